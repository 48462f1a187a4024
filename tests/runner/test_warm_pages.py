"""The WhatsApp Web page a runner keeps loaded for the next first login, in Debian's Chromium on the
simulator: the taker gets a live login code at once (a fresh one when the codes ran out while the
page waited), the phone can link it, and the next page is loaded behind it."""

from __future__ import annotations

import asyncio

import pytest

from runner.browser import BrowserOwner
from runner.warm import WarmPages
from tests.e2e import Simulator, fresh_number


async def _until(check, timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s")


@pytest.fixture
async def warm_pages(simulator: Simulator):
    owner = BrowserOwner()
    await owner.start()
    pages = WarmPages(owner, simulator.url + "/", load_timeout_s=30)
    yield pages
    await pages.close()
    await owner.close()


async def _until_async(read, wanted: object, timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if await read() == wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not {wanted!r} within {timeout_s} s")


def _kinds(events: list[dict]) -> list[str]:
    return [event["type"] for event in events]


async def test_the_taker_gets_a_live_code_and_the_next_page_loads_behind_it(
    warm_pages: WarmPages, simulator: Simulator
) -> None:
    warm_pages.prepare()
    await _until(lambda: warm_pages.ready)
    taken = await warm_pages.take()
    assert taken is not None and not warm_pages.ready
    events: list[dict] = []
    assert await taken.adopt(lambda _source, event: events.append(event))
    await _until(lambda: "qr" in _kinds(events))
    assert _kinds(events)[0] == "state", "the page announces its state first"
    qr = next(event["qr"] for event in events if event["type"] == "qr")
    await asyncio.to_thread(simulator.scan, qr, fresh_number())
    await _until(lambda: "ready" in _kinds(events))
    await _until(lambda: warm_pages.ready)
    second = await warm_pages.take()
    assert second is not None and second.page is not taken.page
    await taken.close()
    await second.close()


async def test_codes_that_ran_out_while_waiting_are_renewed_for_the_taker(
    warm_pages: WarmPages, simulator: Simulator
) -> None:
    warm_pages.prepare()
    await _until(lambda: warm_pages.ready)
    simulator.post("/control/faults/refs_exhausted")  # every page waiting for a scan: no codes left
    taken = await warm_pages.take()
    assert taken is not None and taken.page is not None
    state = "() => window.require('WAWebSocketModel').Socket.state"
    await _until_async(lambda: taken.page.evaluate(state), "UNPAIRED_IDLE")
    events: list[dict] = []
    assert await taken.adopt(lambda _source, event: events.append(event))
    await _until(lambda: "qr" in _kinds(events))
    assert "qr_exhausted" not in _kinds(events), "the taker is not told the codes ran out: it gets new ones"
    await taken.close()


async def test_a_page_that_waited_too_long_is_replaced(simulator: Simulator) -> None:
    owner = BrowserOwner()
    await owner.start()
    pages = WarmPages(owner, simulator.url + "/", load_timeout_s=30, max_age_s=1.0)
    try:
        pages.prepare()
        await _until(lambda: pages.ready)
        first = pages.ready
        await _until(lambda: pages.ready is not None and pages.ready is not first)
        assert first is not None and first.page is not None and first.page.is_closed()
    finally:
        await pages.close()
        await owner.close()
