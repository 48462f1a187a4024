"""Chromium failing under a runner: the browser process killed, one page crashed, one context
closed. Each time the runner reopens the session from its auth checkpoint (S3) on its own: it
ends `connected` on a new epoch without a new QR, what the customer sent meanwhile is answered
once, and nothing answered before is sent again.

Before checkpoints existed these faults ended `failed` (page, context) or `qr_ready` (browser):
a person had to restart or scan. The tests wait for the session's first checkpoint before the
fault, so they show restore, not luck."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from devstack.process import Running
from devstack.testing import StackHandle
from tests.e2e import Simulator, fresh_number, wait_for
from tests.reliability.checks import assert_answered_once, echo
from tests.reliability.chromium import DevTools, browser_pid
from tests.reliability.conftest import epoch_of, holder
from wagate.browser import HEADLESS_SHELL
from wagate.objects import checkpoint_prefix


def _checkpointed(stack: StackHandle, session_id: str) -> None:
    def saved() -> bool:
        listing = stack.s3().list_objects_v2(
            Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Prefix=checkpoint_prefix(session_id)
        )
        return listing.get("KeyCount", 0) > 0

    wait_for(saved, 30, what="the session's first auth checkpoint in S3")


def _reopened(stack: StackHandle, session_id: str, old_epoch: int) -> None:
    """Reopened by its runner (a new epoch) and logged in again from the checkpoint."""

    def state() -> tuple | None:
        [(status, epoch, _last_error)] = stack.sql(
            "select status, epoch, last_error from whatsapp_web_sessions where id = %s", (session_id,)
        )
        return (status, epoch) if status == "connected" and epoch > old_epoch else None

    wait_for(state, 60, what="the session reopened and connected without a new QR")


def _converse_across(fault, stack: StackHandle, simulator: Simulator, runners, linked) -> tuple[Running, int]:
    """Link a session, talk, apply `fault(runner, phone)`, talk while it recovers and after."""
    session, phone = linked()
    customer = fresh_number("4917")
    simulator.send(customer, phone, "before the fault")
    wait_for(lambda: simulator.texts_received(customer) == echo(["before the fault"]), what="first reply")
    _checkpointed(stack, session["id"])
    runner = holder(stack, runners, session["id"])
    old_epoch = epoch_of(stack, session["id"])

    fault(runner, phone)
    simulator.send(customer, phone, "while it recovers")  # WhatsApp holds it for the device
    _reopened(stack, session["id"], old_epoch)
    simulator.send(customer, phone, "after the fault")

    texts = ["before the fault", "while it recovers", "after the fault"]
    assert_answered_once(stack, simulator, session["id"], customer, texts)
    assert holder(stack, runners, session["id"]) is runner, "reopened by the same runner"
    return runner, old_epoch


def test_browser_process_killed(stack: StackHandle, simulator: Simulator, runners, linked) -> None:
    killed: list[int] = []

    def kill_browser(runner: Running, _phone: str) -> None:
        pid = browser_pid(runner.pid)
        assert pid, "the runner's Chromium browser process"
        if Path(HEADLESS_SHELL).exists():  # the runners' default where Debian's package is installed
            assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode() == HEADLESS_SHELL
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    runner, _ = _converse_across(kill_browser, stack, simulator, runners, linked)
    relaunched = browser_pid(runner.pid)
    assert relaunched and relaunched != killed[0], "the runner launched a new browser"


def test_one_page_crashed(stack: StackHandle, simulator: Simulator, runners, linked) -> None:
    browsers: list[int | None] = []

    def crash_page(runner: Running, phone: str) -> None:
        browsers.append(browser_pid(runner.pid))
        with DevTools(browsers[0]) as devtools:
            _target, page = devtools.whatsapp_page(phone)
            devtools.crash(page)

    runner, _ = _converse_across(crash_page, stack, simulator, runners, linked)
    assert browser_pid(runner.pid) == browsers[0], "only the page crashed, the browser lived on"


def test_a_context_closed_under_the_runner(stack: StackHandle, simulator: Simulator, runners, linked) -> None:
    def close_context(runner: Running, phone: str) -> None:
        with DevTools(browser_pid(runner.pid)) as devtools:
            target, _page = devtools.whatsapp_page(phone)
            devtools.close_context(target["browserContextId"])

    _converse_across(close_context, stack, simulator, runners, linked)
