"""Several linked devices at once (different phones, own contexts), isolated from each other."""

from __future__ import annotations

import asyncio

SHOP_A, SHOP_B = "15550007001", "15550007002"
CUSTOMER = "4915100007001"


async def test_two_linked_phones_are_isolated(open_page, control) -> None:
    page_a, page_b = await open_page(), await open_page()
    await asyncio.gather(page_a.link(control, SHOP_A, name="A"), page_b.link(control, SHOP_B, name="B"))
    to_a = await control.send_message(CUSTOMER, SHOP_A, "for A")
    to_b = await control.send_message(CUSTOMER, SHOP_B, "for B")
    (added_a,) = [e["value"]["id"]["id"] for e in await page_a.wait_event("add")]
    (added_b,) = [e["value"]["id"]["id"] for e in await page_b.wait_event("add")]
    assert (added_a, added_b) == (to_a, to_b)

    await page_b.send_text(CUSTOMER, "B answers")
    await page_b.wait_event("ack", count=3)
    assert [(m["from"], m["text"]) for m in await control.received(CUSTOMER)] == [(SHOP_B, "B answers")]
    assert await page_a.events("ack") == []
    assert [m["text"] for m in await control.received(SHOP_A)] == ["for A"]

    await control.unlink(SHOP_A)
    await page_a.page.wait_for_url("**/?post_logout=1*")
    assert await page_b.state() == "CONNECTED"
    assert [(d["phone"], d["online"]) for d in await control.devices()] == [(SHOP_B, True)]
    await control.send_message(CUSTOMER, SHOP_B, "still here?")
    await page_b.wait_event("add", count=3)  # two customer messages and B's own send
