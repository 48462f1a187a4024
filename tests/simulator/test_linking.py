"""Linking a page: QR scan and pairing code → PAIRING → CONNECTED → hasSynced; who the page is then."""

from __future__ import annotations

import pytest

from simulator.codes import PAIRING_CODE_ALPHABET
from simulator.testing import SimulatorControlError

PHONE = "15550002001"


async def test_scan_links_the_page(open_page, control) -> None:
    page = await open_page()
    linked = await page.link(control, PHONE, name="Acme Bakery")
    assert linked == {"phone": PHONE, "device_id": 1, "wid": f"{PHONE}:1@c.us", "push_name": "Acme Bakery"}
    states = [event["value"] for event in await page.events("state")]
    assert states[-3:] == ["UNPAIRED", "PAIRING", "CONNECTED"]
    assert [event["value"] for event in await page.events("synced")] == [True]
    me = await page.js(
        """() => {
             const prefs = window.require('WAWebUserPrefsMeUser');
             const conn = window.require('WAWebConnModel').Conn;
             return { pn: prefs.getMaybeMePnUser()._serialized, me: prefs.getMeUser().user,
                      lid: prefs.getMaybeMeLidUser().server, pushname: conn.pushname, platform: conn.platform,
                      connected: conn.connected, wid: conn.serialize().wid._serialized };
           }"""
    )
    assert me == {
        "pn": f"{PHONE}@c.us", "me": PHONE, "lid": "lid", "pushname": "Acme Bakery", "platform": "android",
        "connected": True, "wid": f"{PHONE}@c.us",
    }  # fmt: skip
    await page.page.wait_for_selector('[data-asset-intro-image-light="true"]')
    assert await page.page.locator("div[data-ref]").count() == 0
    devices = await control.devices()
    assert [(d["phone"], d["device_id"], d["online"], d["push_name"]) for d in devices] == [
        (PHONE, 1, True, "Acme Bakery")
    ]
    assert page.errors == []


async def test_the_login_is_kept_with_binary_values(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await control.send_message("4915100002001", PHONE, "stored encrypted")
    await page.wait_event("add")
    dump = await page.storage_dump()
    for _ in range(20):  # the add fires before the encrypted copy is written
        if dump["messages"]:
            break
        await page.page.wait_for_timeout(50)
        dump = await page.storage_dump()
    assert dump["localStorage"]["last-wid-md"] == f'"{PHONE}:1@c.us"'
    assert set(dump["localStorage"]) >= {"WANoiseInfo", "WAWebEncKeySalt", "WALid", "remember-me"}
    user = {row["key"]: row["types"] for row in dump["user"]}
    assert user["adv_secret_key"]["value"] == "Uint8Array"
    assert user["companion_credentials"]["value"]["secret"] == "Uint8Array"
    assert dump["identity"][0]["pubKey"] == "ArrayBuffer"
    assert dump["keys"] == [{"type": "CryptoKey", "extractable": False, "algorithm": "AES-GCM"}]
    assert dump["messages"] and all(
        m["iv"] == "Uint8Array" and m["data"] == "ArrayBuffer" for m in dump["messages"]
    )


async def test_pairing_code_links_the_page(open_page, control) -> None:
    page = await open_page()
    await page.wait_state("UNPAIRED")
    code = await page.js(
        """async (phone) => {
             const api = window.require('WAWebAltDeviceLinkingApi');
             api.setPairingType('ALT_DEVICE_LINKING');
             await api.initializeAltDeviceLinking();
             return api.startAltLinkingFlow(phone, true);
           }""",
        PHONE,
    )
    assert len(code) == 8 and set(code) <= set(PAIRING_CODE_ALPHABET)
    assert await page.page.get_attribute("[data-pairing-code]", "data-pairing-code") == code
    with pytest.raises(SimulatorControlError) as wrong_phone:
        await control.pair(code, "15550009999")
    assert (wrong_phone.value.status, wrong_phone.value.code) == (409, "phone_mismatch")
    with pytest.raises(SimulatorControlError) as wrong_code:
        await control.pair("AAAA-AAAA", PHONE)
    assert (wrong_code.value.status, wrong_code.value.code) == (404, "unknown_code")
    typed = f"{code[:4]}-{code[4:]}".lower()
    assert (await control.pair(typed, PHONE, name="By Code"))["push_name"] == "By Code"
    assert await page.wait_state("CONNECTED") == "CONNECTED"
    await page.wait_synced()
    with pytest.raises(SimulatorControlError) as used:
        await control.pair(code, PHONE)
    assert used.value.code == "unknown_code"


async def test_pairing_code_needs_a_waiting_page(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    error = await page.js(
        """async () => {
             try { await window.require('WAWebAltDeviceLinkingApi').startAltLinkingFlow('15550002002'); }
             catch (error) { return error.code; }
           }"""
    )
    assert error == "not_waiting"


async def test_a_second_device_of_the_same_phone_gets_its_own_id(open_page, control) -> None:
    first, second = await open_page(), await open_page()
    await first.link(control, PHONE)
    assert (await second.link(control, PHONE))["device_id"] == 2
    assert sorted(d["device_id"] for d in await control.devices()) == [1, 2]
