"""Property-based fuzzing of the live API from its own OpenAPI document (schemathesis + hypothesis).

Positive and negative cases for every operation, sent with a valid user's token: the API must never
answer 5xx, must answer only documented status codes and content types, with bodies matching the
document, and must reject what the document calls invalid. Bounded to about a minute.

(schemathesis' own pytest plugin does not run under pytest 9 yet, so the operations are driven
here with hypothesis directly.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES_PER_OPERATION_AND_MODE = 25


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_the_api_keeps_its_contract(stack, mode: GenerationMode) -> None:
    _, token = stack.create_user()
    schema = schemathesis.openapi.from_url(f"{stack.api_url}/api/openapi.json")
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        print('OP', operation.label, flush=True)
        headers = {"Authorization": f"Bearer {token}"}
        if operation.path.endswith("/qr"):
            headers["Accept"] = "image/png"

        @settings(
            max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case, headers=headers) -> None:
            case.call_and_validate(base_url=stack.api_url, headers=headers, checks=CHECKS, timeout=30)

        try:
            check()
        except Exception as exc:  # one failure per operation, all operations reported together
            failures[operation.label] = str(exc)[:3000]
    assert operations == 11, failures
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
