"""Failover with no window. `connected` means durable: a new login is reported only once a sealed
checkpoint of it is in S3, so a runner killed at any point of the login after the scan was reported
hands the session over without a new QR, and the customer who writes at once is answered once (the
runner's whole process tree SIGKILLed, as a lost machine, at each point the owner or the runner's log
can see: the scan accepted, the page synced, `connected`, the next checkpoint being written). And a
runner's browser dies with it when its Python process is killed alone.

"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from bench.procmem import alive, descendants
from devstack.testing import StackHandle
from tests.e2e import ApiUser, Fleet, Simulator, fresh_number, session_log_lines, wait_for
from tests.runner.test_failover import (
    assert_each_answered_once,
    link_with_checkpoint,
    wait_connected_elsewhere,
    wait_reply_in_flight,
)


@pytest.fixture
def fleet(runners: Fleet):
    yield runners
    runners.top_up()


def _status(stack: StackHandle, session_id: str) -> str:
    ((status,),) = stack.sql("select status from whatsapp_web_sessions where id = %s", (session_id,))
    return status


def _logged(stack: StackHandle, session_id: str, marker: str) -> int:
    return sum(marker in line for line in session_log_lines(stack, session_id, last=400))


SEALED = '"event": "checkpoint.saved"'
KILL_POINTS = {
    "login_sealed": lambda stack, sid: _logged(stack, sid, SEALED) > 0,
    "page_synced": lambda stack, sid: (
        _logged(stack, sid, "whatsapp web ready") and _logged(stack, sid, SEALED)
    ),
    "connected": lambda stack, sid: _status(stack, sid) == "connected",
    "checkpoint_being_written": lambda stack, sid: _logged(stack, sid, "checkpoint.capturing") > 1,
}


def _scan(user: ApiUser, simulator: Simulator) -> tuple[dict, str]:
    created = user.create_session()
    assert user.wait_status(created["id"], "qr_ready")["qr_code"]
    phone = fresh_number()
    simulator.scan(user.qr_string(created["id"]), phone)
    return created, phone


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_runner_killed_at_any_point_after_the_login_is_sealed_leaves_no_new_qr(
    point: str, stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser
) -> None:
    created, phone = _scan(user, simulator)
    reached = KILL_POINTS[point]
    wait_for(lambda: reached(stack, created["id"]), 30, interval_s=0.02, what=f"the login at {point}")
    holder = fleet.holder(created["id"])
    fleet.kill(holder)
    customer = fresh_number("4917")
    simulator.send(customer, phone, f"written as the runner died at {point}")
    row = wait_connected_elsewhere(stack, created["id"], holder)
    assert row["last_error"] is None, row
    assert_each_answered_once(
        stack, simulator, created["id"], customer, [f"written as the runner died at {point}"]
    )
    devices = [d for d in simulator.http.get("/control/devices").json() if d["phone"] == phone]
    assert len(devices) == 1, "the same linked device, not a new one"


def test_a_runner_killed_between_the_scan_and_the_seal_asks_again_and_says_why(
    stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser
) -> None:
    """The milliseconds between the phone's scan and the first sealed checkpoint: the login exists
    only in the lost page. The session never said `connected`; it comes back with a new QR and the
    reason (or, when the seal won the race with the kill, connected without one)."""
    created, _phone = _scan(user, simulator)
    wait_for(
        lambda: _logged(stack, created["id"], '"status": "authenticating"'),
        30,
        interval_s=0.01,
        what="the scan accepted",
    )
    holder = fleet.holder(created["id"])
    fleet.kill(holder)
    row = wait_for(
        lambda: (r := user.session(created["id"]))["status"] in ("qr_ready", "connected") and r,
        60,
        what="the session back",
    )
    if row["status"] == "qr_ready":
        assert row["last_error_code"] == "link_interrupted", row
        phone = fresh_number()
        simulator.scan(user.qr_string(created["id"]), phone)
        assert user.wait_status(created["id"], "connected")["last_error"] is None
    else:
        assert row["last_error"] is None


def test_a_new_login_is_connected_only_once_it_is_sealed(
    stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser
) -> None:
    """`authenticating` from the scan on, `connected` only with a sealed checkpoint in S3: polled
    as the login goes, and in the runner's log."""
    created, _phone = _scan(user, simulator)
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = _status(stack, created["id"])
        listed = stack.s3().list_objects_v2(
            Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Prefix=f"checkpoints/{created['id']}/"
        )
        seen.append((status, listed.get("KeyCount", 0)))
        if status == "connected":
            break
        time.sleep(0.02)
    assert seen[-1] == ("connected", 1), f"connected before a checkpoint existed: {seen}"

    def logged_order() -> list[str]:
        return [
            marker
            for line in session_log_lines(stack, created["id"], last=400)
            for marker in ('"status": "authenticating"', SEALED, '"status": "connected"')
            if marker in line
        ]

    # the runner logs a status after writing it: the line may come a moment after the row
    order = wait_for(lambda: len(o := logged_order()) >= 3 and o, 10, what="the connected line logged")
    assert order[:3] == ['"status": "authenticating"', SEALED, '"status": "connected"'], order


def test_a_runner_killed_alone_takes_its_browser_with_it_and_loses_nothing(
    stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser, bot
) -> None:
    """The runner's Python process SIGKILLed alone (an OOM kill, a crash) while a customer writes:
    Playwright's driver and Chromium are killed by the kernel with it (runner/lifeline.py), so no
    orphaned page takes a message and confirms it to WhatsApp with nobody left to store it.

    The driver is stopped first (SIGSTOP): a driver too busy to notice its closed pipe at once, as
    under load. Without the lifeline nothing ends it then, and the orphaned page answers WhatsApp
    for as long as it lives; with it the kernel's SIGKILL reaches even a stopped process."""
    session, phone = link_with_checkpoint(user, simulator, stack)
    holder = fleet.holder(session["id"])
    runner = fleet.processes[holder]
    tree = descendants(runner.pid)[1:]
    drivers = [pid for pid in tree if b"cli.js" in _cmdline(pid)]
    assert drivers and len(tree) > len(drivers), "Playwright's driver and Chromium run under the runner"
    customer = fresh_number("4917")
    bot(delay_ms=800)  # a reply is in flight when the runner goes
    simulator.send(customer, phone, "before the crash")
    wait_reply_in_flight(stack, session["id"])
    try:
        for pid in drivers:
            os.kill(pid, signal.SIGSTOP)
        os.kill(runner.pid, signal.SIGKILL)  # alone: what the kernel's OOM killer does
        assert runner.popen.wait(10) == -signal.SIGKILL
        time.sleep(0.05)  # the kernel's reaction (measured by `python -m bench lifeline`)
        after = [f"written after the crash, {i}" for i in range(3)]
        for text in after:
            simulator.send(customer, phone, text)
        wait_for(
            lambda: not alive(tree), 5, interval_s=0.01, what="the driver and Chromium gone with the runner"
        )
    finally:
        for pid in alive(tree):  # orphans of a failed run: not left to the next test
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    wait_connected_elsewhere(stack, session["id"], holder)
    assert_each_answered_once(stack, simulator, session["id"], customer, ["before the crash", *after])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
