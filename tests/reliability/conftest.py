"""The reliability suite's own local stack, simulator and runners.

Its tests stop and restart parts of the stack (PostgREST, Postgres, moto) and crash the runners'
browsers, which no other suite may see: so this package starts a stack of its own (package
scope) instead of the session's shared one. The shared fixtures `user`, `bot` and `faults`
(tests/conftest.py) resolve to these overrides. Its runners' Chromium opens a DevTools port
(tests/reliability/chromium.py) so one page can be crashed or one context closed from outside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from devstack import fleet
from devstack.process import ProcessGroup, Running
from devstack.stack import free_port
from devstack.testing import StackHandle
from tests.conftest import throwaway_stack
from tests.e2e import ApiUser, Simulator
from tests.reliability.chromium import debug_wrapper

RUNNER_SETTINGS = {
    # Longer than the 10-s PostgREST outage: a runner keeps its sessions through it.
    "LEASE_TTL_SECONDS": "30",
    # The flood of 1,000 messages is paced by the send limiter, not the test's patience.
    "SEND_RATE_PER_S": "1000",
    "SEND_BURST": "100",
    # Nothing here tests a slow chatbot (tests/runner does): room for a CPU-starved machine, where
    # a browser relaunching and restoring its sessions holds up the local bot for seconds.
    "BOT_TIMEOUT_S": "10",
    "BOT_ATTEMPTS": "3",
    "WA_LOAD_TIMEOUT_S": "20",
    "COMMAND_MAX_RECEIVES": "3",
}


@pytest.fixture(scope="package")
def stack() -> Iterator[StackHandle]:
    with throwaway_stack("wagate-reliability-") as handle:
        yield handle


@pytest.fixture(scope="package")
def simulator(stack: StackHandle) -> Iterator[Simulator]:
    group = ProcessGroup()
    port = free_port()
    options = {
        "ref-first-ms": 15000,
        "ref-next-ms": 5000,
        "ref-count": 3,
        "ack-delivered-ms": 100,
        "ack-read-ms": -1,  # customers read only when told: fewer ack events in the flood
        "sync-ms": 100,
        "reconnect-ms": 300,
    }
    args = [item for name, value in options.items() for item in (f"--{name}", str(value))]
    group.start(fleet.simulator_spec(port, stack.paths.log_dir, stack.process_env(), args))
    try:
        yield Simulator(f"http://127.0.0.1:{port}")
    finally:
        group.stop_all()


@pytest.fixture(scope="package")
def runners(stack: StackHandle, simulator: Simulator) -> list[Running]:
    """Two runners on the simulator whose Chromium can be reached over DevTools."""
    chromium = debug_wrapper(stack.paths.state_dir)
    settings = {**RUNNER_SETTINGS, "CHROMIUM_PATH": str(chromium)}
    return [stack.start_runner(simulator.url + "/", **settings) for _ in range(2)]


@pytest.fixture
def linked(
    stack: StackHandle, simulator: Simulator, runners: list[Running], user: ApiUser
) -> Iterator[Callable[[], tuple[dict, str]]]:
    """Link sessions (QR scanned by a simulated phone); each is deleted after the test, so the
    runners' browsers hold only the sessions of the test at hand."""
    created: list[str] = []

    def link() -> tuple[dict, str]:
        session, phone = user.link(simulator)
        created.append(session["id"])
        return session, phone

    yield link
    for session_id in created:
        user.http.delete(f"/api/sessions/{session_id}", params={"delete_messages": "true"})


def holder(stack: StackHandle, runners: list[Running], session_id: str) -> Running:
    """The runner process holding a session now."""
    [(runner_id, _epoch)] = stack.sql(
        "select runner_id, epoch from whatsapp_web_sessions where id = %s", (session_id,)
    )
    matches = [r for r in runners if (r.spec.env or {}).get("RUNNER_ID") == runner_id]
    assert matches, f"session {session_id} is held by {runner_id}, not by one of this suite's runners"
    return matches[0]


def epoch_of(stack: StackHandle, session_id: str) -> int:
    return stack.sql("select epoch from whatsapp_web_sessions where id = %s", (session_id,))[0][0]
