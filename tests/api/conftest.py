"""Factories for the API tests, on top of the shared `stack` fixture (tests/conftest.py).

Every test makes its own users, runners and queues, so tests never see each other's rows; what a
factory creates it removes at the end.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from wagate.store import Store


@dataclass(frozen=True)
class User:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Runner:
    runner_id: str
    queue_url: str


@pytest.fixture(scope="session")
def api(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def store(stack) -> Iterator[Store]:
    with Store(f"{stack.supabase_url}/rest/v1", stack.env["SUPABASE_SERVICE_ROLE_KEY"]) as client:
        yield client


@pytest.fixture
def make_user(stack) -> Callable[[], User]:
    def make() -> User:
        user_id, token = stack.create_user()
        return User(user_id, token)

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user()


@pytest.fixture
def other_user(make_user) -> User:
    return make_user()


@pytest.fixture
def make_runner(stack, store) -> Iterator[Callable[[], Runner]]:
    """A registered runner (`register_runner` rpc) with its own SQS queue on moto."""
    sqs = stack.sqs()
    created: list[Runner] = []

    def make() -> Runner:
        runner_id = f"test-{uuid.uuid4().hex[:12]}"
        queue_url = sqs.create_queue(QueueName=f"{stack.env['WAGATE_RUNNER_QUEUE_PREFIX']}{runner_id}")[
            "QueueUrl"
        ]
        store.rpc("register_runner", {"p_runner_id": runner_id, "p_queue_url": queue_url, "p_capacity": 10})
        runner = Runner(runner_id, queue_url)
        created.append(runner)
        return runner

    yield make
    for runner in created:
        stack.sql("delete from public.whatsapp_web_runners where runner_id = %s", (runner.runner_id,))
        try:
            sqs.delete_queue(QueueUrl=runner.queue_url)
        except Exception:  # already deleted by the test
            pass


@pytest.fixture
def create_session(api) -> Callable[..., dict[str, Any]]:
    def create(user: User, **fields: Any) -> dict[str, Any]:
        body = {"chatbot_id": str(uuid.uuid4()), **fields}
        response = api.post("/api/sessions/create", json=body, headers=user.headers)
        assert response.status_code == 201, response.text
        return response.json()

    return create


@pytest.fixture
def hold_session(stack) -> Callable[..., None]:
    """Make `runner` hold the session with a live lease (what a runner's claim does), in `status`."""

    def hold(
        session_id: str, runner: Runner, *, status: str = "connected", phone: str = "15550001111"
    ) -> None:
        stack.sql(
            "update public.whatsapp_web_sessions set runner_id = %s,"
            " lease_expires_at = now() + interval '5 min', epoch = epoch + 1, status = %s, phone_number = %s,"
            " connected_at = case when %s = 'connected' then now() end where id = %s",
            (runner.runner_id, status, phone, status, session_id),
        )

    return hold


API_LAMBDA = Path(__file__).resolve().parents[2] / "api_lambda"


@pytest.fixture(scope="session")
def chalice_app() -> Any:
    """The Chalice app object, imported in-process from api_lambda/ (as `chalice local` does)."""
    if str(API_LAMBDA) not in sys.path:
        sys.path.insert(0, str(API_LAMBDA))
    spec = importlib.util.spec_from_file_location("wagate_api_app", API_LAMBDA / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app
