"""Fixtures shared by every suite: the real local stack (Postgres, PostgREST behind the gateway,
moto's server, the API via `chalice local`), started once per test session on free ports; the
simulator in place of WhatsApp and two runners driving it in Debian's Chromium. End-to-end tests
act only through the public API and the simulator's control API (the phone and the customers).

One simulator and one fleet for the whole session: runners take sessions from the stack's shared
start queue, so a second fleet alive at the same time would claim other tests' sessions."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from devstack import fleet
from devstack.process import ProcessGroup
from devstack.stack import free_port
from devstack.testing import StackHandle
from tests.e2e import ApiUser, Fleet, Simulator


@contextlib.contextmanager
def throwaway_stack(prefix: str, env: dict[str, str] | None = None) -> Iterator[StackHandle]:
    """A whole local stack in a state directory of its own, removed afterwards (kept, with its
    logs, when WAGATE_KEEP_STATE is set). Not under pytest's tmp dir: pytest resets its folder to
    0700, and Postgres runs as its own system user when the tests run as root."""
    state_dir = Path(tempfile.mkdtemp(prefix=prefix))
    handle = StackHandle(state_dir, env=env)
    try:
        handle.start()
        yield handle
    finally:
        handle.stop()
        if os.environ.get("WAGATE_KEEP_STATE"):
            print(f"\nstack state kept in {state_dir}")
        else:
            shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[StackHandle]:
    with throwaway_stack("wagate-stack-") as handle:
        yield handle


@pytest.fixture
def tmp_state() -> Iterator[Path]:
    """A state directory for a stack of the test's own (see `stack` for why not tmp_path)."""
    state_dir = Path(tempfile.mkdtemp(prefix="wagate-state-"))
    yield state_dir
    shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def simulator(stack: StackHandle) -> Iterator[Simulator]:
    group = ProcessGroup()
    port = free_port()
    spec = fleet.simulator_spec(
        port,
        stack.paths.log_dir,
        stack.process_env(),
        [
            "--ref-first-ms",
            "15000",
            "--ref-next-ms",
            "5000",
            "--ref-count",
            "3",
            "--ack-delivered-ms",
            "100",
            "--ack-read-ms",
            "300",
            "--sync-ms",
            "100",
            "--reconnect-ms",
            "300",
        ],
    )
    group.start(spec)
    try:
        yield Simulator(f"http://127.0.0.1:{port}")
    finally:
        group.stop_all()


@pytest.fixture(scope="session")
def runners(stack: StackHandle, simulator: Simulator) -> Fleet:
    """Two runners on the simulator (stopped with the stack); tests that kill one top it up.
    What suites that ran before without runners left (tests/api: start commands for their sessions,
    rows set `connected` under made-up runners whose leases have expired) is cleared first: the
    fleet would open all of it (adopting orphans), and the tests at hand would wait behind it."""
    stack.sqs().purge_queue(QueueUrl=stack.env["WAGATE_START_QUEUE_URL"])
    stack.sql(
        "update public.whatsapp_web_sessions set status = 'disconnected', runner_id = null,"
        " lease_expires_at = null where status not in ('disconnected', 'logged_out', 'failed', 'qr_expired')"
    )
    fleet = Fleet(stack, simulator.url + "/", size=2)
    fleet.start(2)
    return fleet


@pytest.fixture
def bot(stack: StackHandle) -> Iterator[Callable[..., dict]]:
    """Change the local chatbot's behaviour for one test; restored afterwards."""
    url = f"{stack.supabase_url}/functions/v1/_local/bot"
    service = {"apikey": stack.env["SUPABASE_SERVICE_ROLE_KEY"]}  # the gateway's local endpoints want it

    def configure(**changes: object) -> dict:
        response = httpx.post(url, json=changes, headers=service, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    yield configure
    configure(delay_ms=0, failure_rate=0, mode="echo")


@pytest.fixture
def faults(simulator: Simulator) -> Iterator[Simulator]:
    """The simulator with faults allowed; every fault cleared afterwards."""
    yield simulator
    simulator.post("/control/faults/clear")


@pytest.fixture
def user(stack: StackHandle) -> Iterator[ApiUser]:
    """A dashboard user; the sessions it leaves are deleted afterwards, as a user would, so the
    shared runners hold only the sessions of the test at hand."""
    api_user = ApiUser(stack)
    yield api_user
    api_user.delete_all_sessions()
