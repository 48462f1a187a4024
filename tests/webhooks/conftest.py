"""The webhook suite's own local stack: its dispatcher (a supervised part, as under `make dev`)
retries on a short schedule (1, 2, 3, 5, 8, 13, 21, 34 s: 87 s in all, past the minute a
receiver stays down) with a 2-s deadline per call, and its tests kill it and restart Postgres,
which no other suite may see. The shared fixtures `user`, `bot` and `faults` resolve to these."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from devstack import fleet
from devstack.process import ProcessGroup, Running
from devstack.stack import free_port
from devstack.testing import StackHandle
from tests.conftest import throwaway_stack
from tests.e2e import RUNNER_SETTINGS, ApiUser, Simulator
from tests.webhooks.receiver import Receiver

SCHEDULE_S = (1, 2, 3, 5, 8, 13, 21, 34)
DISPATCHER_ENV = {
    "WEBHOOK_RETRY_SCHEDULE_S": ",".join(map(str, SCHEDULE_S)),
    "WEBHOOK_TIMEOUT_S": "2",
    "WEBHOOK_POLL_S": "0.1",
    "WEBHOOK_CONNECTIONS_PER_TENANT": "4",
}
ALL_EVENTS = [
    "session.status",
    "session.qr",
    "message.received",
    "message.replied",
    "message.sent",
    "message.ack",
    "message.failed",
]


@pytest.fixture(scope="package")
def stack() -> Iterator[StackHandle]:
    with throwaway_stack("wagate-webhooks-", env=DISPATCHER_ENV) as handle:
        yield handle


@pytest.fixture(scope="package")
def simulator(stack: StackHandle) -> Iterator[Simulator]:
    group = ProcessGroup()
    port = free_port()
    options = {"ref-first-ms": 15000, "ref-next-ms": 5000, "ref-count": 3, "ack-delivered-ms": 100,
               "ack-read-ms": 300, "sync-ms": 100, "reconnect-ms": 300}  # fmt: skip
    args = [item for name, value in options.items() for item in (f"--{name}", str(value))]
    group.start(fleet.simulator_spec(port, stack.paths.log_dir, stack.process_env(), args))
    try:
        yield Simulator(f"http://127.0.0.1:{port}")
    finally:
        group.stop_all()


@pytest.fixture(scope="package")
def runner(stack: StackHandle, simulator: Simulator) -> Running:
    return stack.start_runner(simulator.url + "/", **RUNNER_SETTINGS)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver().start()
    yield made
    made.stop()


@pytest.fixture
def hook(user: ApiUser, receiver: Receiver) -> Callable[..., dict]:
    """Register the receiver as an endpoint of `user` (its secret given to the receiver)."""

    def register(events: list[str] | None = None, **body: object) -> dict:
        response = user.http.post(
            "/api/webhooks", json={"url": receiver.url, "events": events or ALL_EVENTS, **body}
        )
        assert response.status_code == 201, response.text
        created = response.json()
        receiver.secrets.append(created["secret"])
        return created

    return register


def deliveries(user: ApiUser, webhook_id: str, **params: object) -> list[dict]:
    response = user.http.get(f"/api/webhooks/{webhook_id}/deliveries", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


def api(user: ApiUser) -> httpx.Client:
    return user.http
