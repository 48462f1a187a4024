"""The login survives: offline delivery on reconnect, reloads, and a fresh context restored from
`storage_state(indexed_db=True)` (where the history key comes back unusable)."""

from __future__ import annotations

import json

from tests.simulator.driver import close_and_wait_offline

PHONE = "15550004001"
CUSTOMER = "4915100004001"


async def test_messages_sent_while_the_page_was_closed_arrive_on_reconnect(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    context = page.page.context
    await close_and_wait_offline(page, control)
    first = await control.send_message(CUSTOMER, PHONE, "are you there?")
    second = await control.send_message(CUSTOMER, PHONE, "hello?")
    (device,) = await control.devices()
    assert (device["online"], device["pending"]) == (False, 2)

    reopened = await open_page(context=context)
    added = [event["value"] for event in await reopened.wait_event("add", count=2)]
    assert [(m["id"]["id"], m["body"], m["isNewMsg"]) for m in added] == [
        (first, "are you there?", True),
        (second, "hello?", True),
    ]
    assert "UNPAIRED" not in [event["value"] for event in await reopened.events("state")]
    await reopened.wait_synced()
    await reopened.page.wait_for_timeout(100)
    assert (await control.devices())[0]["pending"] == 0
    assert [m["ack"] for m in await control.received(PHONE)] == [2, 2]


async def test_a_reload_reconnects_without_a_qr_and_keeps_history(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    message_id = await control.send_message(CUSTOMER, PHONE, "before the reload")
    await page.wait_event("add")
    sent_key = await page.send_text(CUSTOMER, "answer")
    await page.wait_event("ack", count=3)

    await page.page.reload(wait_until="commit")
    await page.page.wait_for_function("window.Debug && window.Debug.VERSION")
    assert await page.wait_state("CONNECTED") == "CONNECTED"
    await page.wait_synced()
    states = [event["value"] for event in await page.events("state")]
    assert "UNPAIRED" not in states
    history = await page.js(
        """() => window.require('WAWebCollections').Msg.getModelsArray()
                   .map((m) => [m.id.id, m.body, m.ack, m.isNewMsg])"""
    )
    assert history == [
        [message_id, "before the reload", 1, False],
        [sent_key.split("_")[-1], "answer", 3, False],
    ]
    assert await page.events("add") == []
    assert await page.js("window.require('WAWebUserPrefsMeUser').getMaybeMePnUser().user") == PHONE


async def test_a_context_restored_from_storage_state_reconnects_without_a_qr(
    browser, open_page, control
) -> None:
    page = await open_page()
    await page.link(control, PHONE, name="Restored")
    await control.send_message(CUSTOMER, PHONE, "old history")
    await page.wait_event("add")
    state = await page.page.context.storage_state(indexed_db=True)
    saved = json.dumps(state)
    assert '"ta"' in saved and '"ab"' in saved  # typed arrays and ArrayBuffers survive as such
    await page.page.context.close()

    restored = await open_page(storage_state=state)
    assert await restored.wait_state("CONNECTED") == "CONNECTED"
    await restored.wait_synced()
    assert "UNPAIRED" not in [event["value"] for event in await restored.events("state")]
    assert await restored.js("window.require('WAWebConnModel').Conn.pushname") == "Restored"
    # The history key came back as {}: the page started a fresh history instead of failing.
    assert await restored.js("window.require('WAWebCollections').Msg.length") == 0
    dump = await restored.storage_dump()
    assert dump["keys"] == [{"type": "CryptoKey", "extractable": False, "algorithm": "AES-GCM"}]
    assert dump["messages"] == []

    await control.send_message(CUSTOMER, PHONE, "after the restore")
    await restored.wait_event("add")
    await restored.page.reload(wait_until="commit")
    await restored.wait_synced()
    bodies = await restored.js(
        "() => window.require('WAWebCollections').Msg.getModelsArray().map((m) => m.body)"
    )
    assert bodies == ["after the restore"]
    assert restored.errors == []
