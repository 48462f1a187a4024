"""Faults on demand: lost connection, conflict, WhatsApp Web updates, duplicate and slow delivery,
refs running out, WhatsApp Web not loading, a saved login online before the page's globals."""

from __future__ import annotations

import httpx
import pytest

from tests.simulator.driver import close_and_wait_offline

PHONE = "15550006001"
CUSTOMER = "4915100006001"


async def test_a_dropped_connection_recovers_and_delivers_what_it_missed(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await control.drop(PHONE)
    assert await page.wait_state("TIMEOUT") == "TIMEOUT"
    message_id = await control.send_message(CUSTOMER, PHONE, "sent while you were away")
    await page.page.wait_for_timeout(500)
    assert await page.state() in ("TIMEOUT", "OPENING")
    assert await page.events("add") == []
    await control.restore(PHONE)
    assert await page.wait_state("CONNECTED") == "CONNECTED"
    (added,) = [event["value"] for event in await page.wait_event("add")]
    assert added["id"]["id"] == message_id
    states = [event["value"] for event in await page.events("state")]
    assert states[states.index("TIMEOUT") :][-2:] == ["OPENING", "CONNECTED"]


async def test_a_send_while_offline_goes_out_on_reconnect(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await page.lookup(CUSTOMER)  # while online: the page learns the customer's LID
    await control.drop()
    await page.wait_state("TIMEOUT")
    key = await page.send_text(CUSTOMER, "queued in the page")
    await page.page.wait_for_timeout(300)
    assert await control.received(CUSTOMER) == []
    await control.restore()
    acks = await page.wait_event("ack", count=3)
    assert [(event["id"], event["value"]) for event in acks] == [(key, 1), (key, 2), (key, 3)]
    assert [m["text"] for m in await control.received(CUSTOMER)] == ["queued in the page"]


async def test_the_whole_network_down_keeps_a_waiting_page_from_getting_refs(open_page, control) -> None:
    page = await open_page()
    await page.wait_state("UNPAIRED")
    await control.drop()
    await page.wait_state("TIMEOUT")
    await control.restore()
    assert await page.wait_state("UNPAIRED") == "UNPAIRED"
    assert (await control.scan(await page.qr(), PHONE))["phone"] == PHONE


async def test_conflict_then_takeover(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    assert await control.conflict(PHONE) == {"pages": 1}
    assert await page.wait_state("CONFLICT") == "CONFLICT"
    message_id = await control.send_message(CUSTOMER, PHONE, "who has the session?")
    await page.page.wait_for_timeout(400)
    assert await page.state() == "CONFLICT"
    assert await page.events("add") == []
    await page.js("window.require('WAWebSocketModel').Socket.takeover()")
    assert await page.wait_state("CONNECTED") == "CONNECTED"
    (added,) = [event["value"] for event in await page.wait_event("add")]
    assert added["id"]["id"] == message_id


async def test_the_same_login_opened_in_a_second_page_replaces_the_first(open_page, control) -> None:
    first = await open_page()
    await first.link(control, PHONE)
    second = await open_page(context=first.page.context)
    assert await second.wait_state("CONNECTED") == "CONNECTED"
    assert await first.wait_state("CONFLICT") == "CONFLICT"
    await control.send_message(CUSTOMER, PHONE, "only the newest page gets this")
    await second.wait_event("add")
    assert await first.events("add") == []


async def test_a_removed_module_breaks_pages_loaded_afterwards(open_page, control) -> None:
    before = await open_page()
    await control.remove_module("WAWebSendMsgChatAction")
    after = await open_page()
    probe = """() => {
      try { window.require('WAWebSendMsgChatAction'); return 'ok'; } catch (e) { return e.message; }
    }"""
    assert await before.js(probe) == "ok"
    assert await after.js(probe) == 'Requiring unknown module "WAWebSendMsgChatAction"'
    # The app itself still works: it links and receives.
    await after.link(control, PHONE)
    await control.send_message(CUSTOMER, PHONE, "still working")
    await after.wait_event("add")


async def test_a_renamed_module_moves_to_its_new_name(open_page, control) -> None:
    await control.rename_module("WAWebQueryExistsJob", "WAWebQueryExistsJobV2")
    page = await open_page()
    await page.link(control, PHONE)
    result = await page.js(
        """async (number) => {
             let oldName;
             try { window.require('WAWebQueryExistsJob'); oldName = 'ok'; } catch (e) { oldName = e.message; }
             const wid = window.require('WAWebWidFactory').createWid(number + '@c.us');
             const found = await window.require('WAWebQueryExistsJobV2').queryWidExists(wid);
             return [oldName, found.wid._serialized];
           }""",
        CUSTOMER,
    )
    assert result == ['Requiring unknown module "WAWebQueryExistsJob"', f"{CUSTOMER}@c.us"]
    assert (await control.faults())["renamed_modules"] == {"WAWebQueryExistsJob": "WAWebQueryExistsJobV2"}


async def test_duplicate_add_events(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await control.duplicate_adds(True)
    message_id = await control.send_message(CUSTOMER, PHONE, "twice")
    added = await page.wait_event("add", count=2)
    assert [event["value"]["id"]["id"] for event in added] == [message_id, message_id]
    assert await page.js("window.require('WAWebCollections').Msg.length") == 1


async def test_slow_delivery(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await control.delay(700)
    sent_at = await page.js("performance.now()")
    await control.send_message(CUSTOMER, PHONE, "slowly")
    (added,) = await page.wait_event("add", timeout_ms=5000)
    assert added["at"] - sent_at >= 650


async def test_refs_run_out_on_demand(open_page, control) -> None:
    page = await open_page()
    await page.wait_state("UNPAIRED")
    assert await control.exhaust_refs() == {"pages": 1}
    assert await page.wait_state("UNPAIRED_IDLE", timeout_ms=1000) == "UNPAIRED_IDLE"
    await page.js("window.require('WAWebBackendEventBus').BackendEventBus.triggerRefreshQR()")
    assert await page.wait_state("UNPAIRED") == "UNPAIRED"


async def test_clearing_faults(control) -> None:
    await control.drop("15550006002")
    await control.remove_module("WAWebCmd")
    await control.mark_absent(CUSTOMER)
    await control.delay(10)
    await control.duplicate_adds(True)
    await control.stall_loads(True)
    await control.late_globals(True)
    await control.fail_media("expired", CUSTOMER)
    assert await control.clear_faults() == {
        "dropped": [], "removed_modules": [], "renamed_modules": {}, "duplicate_adds": False,
        "delivery_delay_ms": 0, "absent_numbers": [], "stall_loads": False, "late_globals": False,
        "media": {"mode": "none", "numbers": []},
    }  # fmt: skip


async def test_whatsapp_web_stops_loading_on_demand(simulator, control) -> None:
    """The page is not served while loads are stalled, and is served once they are not."""
    assert (await control.stall_loads(True))["stall_loads"] is True
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/", timeout=1.0)
        bad = await http.post("/control/faults/stall", json={"enabled": "yes"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_stall"
        assert (await control.stall_loads(False))["stall_loads"] is False
        served = await http.get("/", timeout=5.0)
    assert served.status_code == 200 and "<html" in served.text.lower()


async def test_a_saved_login_takes_its_backlog_before_the_globals_when_they_come_late(
    open_page, control
) -> None:
    """late_globals: a page with a saved login goes online, takes (and confirms) what WhatsApp held
    for it, and only then sets `window.Debug`: a client waiting for it hears no `add`. A page still
    to be linked publishes at once."""
    page = await open_page()
    await page.link(control, PHONE)
    context = page.page.context
    await close_and_wait_offline(page, control)
    message_id = await control.send_message(CUSTOMER, PHONE, "held for the device")
    assert (await control.late_globals(True))["late_globals"] is True

    reopened = await open_page(context=context)
    await reopened.wait_synced()
    assert await reopened.js("window.__stateAtDebug") == "CONNECTED"
    assert await reopened.events("add") == [], "taken before anyone could listen"
    taken = await reopened.js(
        "window.require('WAWebCollections').Msg.getModelsArray().map((m) => [m.id.id, m.isNewMsg])"
    )
    assert taken == [[message_id, True]]
    assert (await control.devices())[0]["pending"] == 0, "confirmed to the server"

    unlinked = await open_page()
    assert await unlinked.wait_state("UNPAIRED") == "UNPAIRED"
