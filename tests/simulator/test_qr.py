"""Login QR: the string a bridge builds, the DOM, rotation like the real one, idling, refreshing."""

from __future__ import annotations

import base64

import pytest

from simulator.testing import SimulatorControlError, decode_qr_png
from tests.simulator.driver import QR_STRING_JS


async def test_the_qr_string_is_ref_and_registration_keys(open_page) -> None:
    page = await open_page()
    qr = await page.qr()
    ref, noise, identity, adv, platform = qr.split(",")
    assert ref == await page.js("window.require('WAWebConnModel').Conn.ref")
    assert ref.startswith("2@")
    assert [len(base64.b64decode(part)) for part in (noise, identity, adv)] == [32, 32, 32]
    assert len({noise, identity, adv}) == 3
    assert platform == "WEB"
    assert await page.js("window.require('WAWebAdvSignatureApi').getADVSecretKey()") == adv


async def test_the_dom_shows_the_same_qr(open_page) -> None:
    page = await open_page()
    qr = await page.qr()
    assert await page.page.get_attribute("div[data-ref]", "data-ref") == qr
    canvas = page.page.locator("div[data-ref] canvas")
    await page.page.wait_for_function(
        "() => { const c = document.querySelector('div[data-ref] canvas');"
        " return c.getContext('2d').getImageData(0, 0, 1, 1).data[3] > 0; }"
    )
    assert decode_qr_png(await canvas.screenshot()) == qr


async def test_refs_rotate_then_run_out(open_page, control) -> None:
    await control.configure(ref_first_ms=600, ref_next_ms=250, ref_count=3)
    page = await open_page()
    assert await page.wait_state("UNPAIRED_IDLE", timeout_ms=5000) == "UNPAIRED_IDLE"
    changes = await page.events("ref")  # the recorder saw every ref, the first one included
    refs = [event["value"] for event in changes]
    assert len(refs) == 3 and len(set(refs)) == 3
    assert await page.js("window.require('WAWebConnModel').Conn.ref") == refs[-1]
    # The first ref lives ref_first_ms, the next ones ref_next_ms (timed in the page).
    idle_at = (await page.events("state"))[-1]["at"]
    assert 500 <= changes[1]["at"] - changes[0]["at"] <= 1100
    assert 200 <= changes[2]["at"] - changes[1]["at"] <= 600
    assert 200 <= idle_at - changes[2]["at"] <= 600
    assert await page.page.locator("div[data-ref] > span > button").count() == 1
    with pytest.raises(SimulatorControlError) as refused:
        await control.scan(await page.js(QR_STRING_JS), "15550001001")
    assert (refused.value.status, refused.value.code) == (409, "qr_expired")


async def test_refresh_qr_gives_new_refs_after_idling(open_page, control) -> None:
    await control.configure(ref_first_ms=300, ref_next_ms=200, ref_count=1)
    page = await open_page()
    await page.wait_state("UNPAIRED_IDLE")
    old_ref = await page.js("window.require('WAWebConnModel').Conn.ref")
    await control.configure(ref_first_ms=30_000)
    await page.js("window.require('WAWebLaunchSocketUtils').refreshQR()")  # (no Cmd.refreshQR in 2026)
    await page.wait_state("UNPAIRED")
    new_qr = await page.qr()
    assert not new_qr.startswith(old_ref)
    assert await page.page.locator("div[data-ref] > span > button").count() == 0
    linked = await control.scan(new_qr, "15550001002")
    assert linked["phone"] == "15550001002"


async def test_the_reload_button_refreshes_too(open_page, control) -> None:
    await control.configure(ref_first_ms=200, ref_count=1)
    page = await open_page()
    await page.wait_state("UNPAIRED_IDLE")
    await control.configure(ref_first_ms=30_000)
    await page.page.click("div[data-ref] > span > button")
    assert await page.wait_state("UNPAIRED") == "UNPAIRED"


async def test_a_rotated_ref_is_refused_and_the_current_one_works(open_page, control) -> None:
    await control.configure(ref_first_ms=300, ref_next_ms=30_000)
    page = await open_page()
    refs = [event["value"] for event in await page.wait_event("ref", count=2)]
    current = await page.qr()
    stale = current.replace(refs[1], refs[0])
    with pytest.raises(SimulatorControlError) as refused:
        await control.scan(stale, "15550001003")
    assert refused.value.code == "qr_expired"
    assert (await control.scan(current, "15550001003"))["device_id"] == 1


async def test_malformed_or_tampered_qr_is_refused(open_page, control) -> None:
    page = await open_page()
    ref, noise, identity, adv, platform = (await page.qr()).split(",")
    other_key = base64.b64encode(bytes(32)).decode()
    for qr, status, code in [
        ("not a qr", 400, "invalid_qr"),
        (f"{ref},{noise},{identity},{adv}", 400, "invalid_qr"),
        (f"{ref},{other_key},{identity},{adv},{platform}", 409, "qr_mismatch"),
    ]:
        with pytest.raises(SimulatorControlError) as refused:
            await control.scan(qr, "15550001004")
        assert (refused.value.status, refused.value.code) == (status, code)
    with pytest.raises(SimulatorControlError) as refused:
        await control.scan(f"{ref},{noise},{identity},{adv},{platform}", "12")
    assert refused.value.code == "invalid_phone"
    assert await page.state() == "UNPAIRED"
