"""Property-based fuzzing of the live API from its own OpenAPI document (schemathesis + hypothesis).

Positive and negative cases for every operation, sent with a valid user's token: the API must never
answer 5xx, must answer only documented status codes and content types, with bodies matching the
document, must reject what the document calls invalid, and a 4xx must leave the database as it was.
Bounded to about a minute.

(schemathesis' pytest plugin does not run under pytest 9 yet, so each operation is driven here
with hypothesis directly.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode
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
EXAMPLES = 25  # per operation and generation mode
WITHOUT_INPUTS = {"GET /api/health", "GET /api/sessions", "GET /api/chatbots", "GET /api/webhooks"}


def database_state(stack, user_id: str) -> Callable[[], list[tuple]]:
    """What a request could write: every row count, and the user's sessions and messages (not the
    fields a runner changes on its own)."""

    def state() -> list[tuple]:
        return stack.sql(
            "select 'counts', (select count(*) from whatsapp_web_sessions)::text,"
            " (select count(*) from whatsapp_web_messages)::text,"
            " (select count(*) from wagate_chatbots)::text || '/'"
            " || (select count(*) from wagate_chatbot_secrets)::text || '/'"
            " || (select count(*) from wagate_webhooks)::text || '/'"
            " || (select count(*) from wagate_deliveries)::text || '/'"
            " || (select count(*) from wagate_media_uploads)::text"
            " union all select id::text, chatbot_id::text, pairing_phone, bot_endpoint"
            " from whatsapp_web_sessions where user_id = %s"
            " union all select m.id::text, m.session_id::text, m.to_number, m.content"
            " from whatsapp_web_messages m join whatsapp_web_sessions s on s.id = m.session_id"
            " where s.user_id = %s order by 1",
            (user_id, user_id),
        )

    return state


def fuzz(
    operation: APIOperation,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    state: Callable[[], list[tuple]],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        before = state()
        response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
        if 400 <= response.status_code < 500:
            assert state() == before, f"{operation.label} answered {response.status_code} and wrote"

    check()


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_the_api_keeps_its_contract(stack, mode: GenerationMode) -> None:
    user_id, token = stack.create_user()
    schema = schemathesis.openapi.from_url(f"{stack.api_url}/api/openapi.json")
    failures: dict[str, str] = {}
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        headers = {"Authorization": f"Bearer {token}"}
        if operation.path.endswith("/qr"):
            headers["Accept"] = "image/png"
        try:
            fuzz(operation, mode, stack.api_url, headers, database_state(stack, user_id))
        except Unsatisfiable:  # nothing to make invalid (an operation without inputs)
            assert mode is GenerationMode.NEGATIVE and operation.label in WITHOUT_INPUTS
        except Exception as exc:  # one failure per operation; all operations reported together
            failures[operation.label] = str(exc)[:3000]
    # schemathesis leaves out the document's own operation (GET /api/openapi.json)
    assert len(labels) == 28, labels
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    if mode is GenerationMode.POSITIVE:  # the cases really reached the database
        (created,) = stack.sql("select count(*) from whatsapp_web_sessions where user_id = %s", (user_id,))
        assert created[0] > 0
