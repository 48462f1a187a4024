"""The WhatsApp Web of 2026, as the simulator models it (the default build profile): customers
addressed by LID, undecrypted messages, edits and deletions, media captions, disappearing chats,
late module registration, passkey linking; and the 2025 profile's older behaviour."""

from __future__ import annotations

import pytest

from simulator.testing import media_payload
from tests.simulator import media_samples
from tests.simulator.test_logout import _watch_logout

PHONE = "15550007001"
CUSTOMER = "4915100007001"

ADDED_JS = """(key) => {
  const msg = window.require('WAWebCollections').Msg.getModelsArray().find((m) => m.id.id === key);
  return msg ? { type: msg.type, body: msg.body, caption: msg.caption || null,
                 from: msg.from._serialized, remote: msg.id.remote._serialized } : null;
}"""

PHONE_OF_JS = """(wid) => {
  const id = window.require('WAWebWidFactory').createWid(wid);
  const pn = window.require('WAWebApiContact').getPhoneNumber(id);
  return pn ? pn._serialized : null;
}"""


async def test_a_lid_customer_with_a_visible_phone_is_answered_in_the_lid_chat(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    key = await control.send_message(CUSTOMER, PHONE, "hello by lid", addressing="lid")
    await page.wait_event("add")
    added = await page.js(ADDED_JS, key)
    assert added["from"].endswith("@lid") and added["remote"] == added["from"]
    assert await page.js(PHONE_OF_JS, added["from"]) == f"{CUSTOMER}@c.us"
    sent = await page.send_text(added["from"], "answer into the lid chat")
    assert sent.startswith(f"true_{added['from']}_")
    acks = await page.wait_event("ack", count=3)
    assert {event["id"] for event in acks} == {sent}
    (received,) = await control.received(CUSTOMER)
    assert (received["text"], received["chat"]) == ("answer into the lid chat", added["from"])
    # with a known LID, a phone number opens that same chat
    again = await page.send_text(CUSTOMER, "by phone number")
    assert again.startswith(f"true_{added['from']}_")


async def test_a_lid_customer_with_a_hidden_phone_is_reachable_only_by_lid(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    key = await control.send_message(CUSTOMER, PHONE, "who am I?", addressing="lid", phone_visible=False)
    await page.wait_event("add")
    lid_chat = (await page.js(ADDED_JS, key))["from"]
    assert await page.js(PHONE_OF_JS, lid_chat) is None
    lid_digits = lid_chat.split("@")[0]
    # the LID's digits as a phone number: no chat, "No LID for user" (the bug of replying that way)
    wrong = await page.js(
        """(n) => window.require('WAWebFindChatAction')
             .findOrCreateLatestChat(window.require('WAWebWidFactory').createWid(n + '@c.us'))
             .then(() => 'opened', (error) => error.message)""",
        lid_digits,
    )
    assert wrong == "No LID for user"
    await page.send_text(lid_chat, "found you")
    await page.wait_event("ack", count=3)
    assert [m["text"] for m in await control.received(CUSTOMER)] == ["found you"]


@pytest.mark.parametrize("delay_ms", [300, -1], ids=["decrypts", "never"])
async def test_an_undecrypted_message_turns_into_the_real_one_or_stays_waiting(
    open_page, control, delay_ms: int
) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    key = await control.send_message(CUSTOMER, PHONE, "secret text", ciphertext_ms=delay_ms)
    await page.wait_event("add")
    assert (await page.js(ADDED_JS, key))["type"] == "ciphertext"
    assert (await page.js(ADDED_JS, key))["body"] == ""
    await page.page.wait_for_timeout(600)
    expected = ("chat", "secret text") if delay_ms >= 0 else ("ciphertext", "")
    added = await page.js(ADDED_JS, key)
    assert (added["type"], added["body"]) == expected


async def test_edits_and_deletions_change_the_message(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    key = await control.send_message(CUSTOMER, PHONE, "typo")
    await page.wait_event("add")
    await page.js(
        """(key) => {
             const msg = window.require('WAWebCollections').Msg.getModelsArray().find((m) => m.id.id === key);
             window.__changes = [];
             msg.on('change:body', (m, body) => window.__changes.push(['body', body]));
             msg.on('change:type', (m, type) => window.__changes.push(['type', type]));
           }""",
        key,
    )
    await control.edit_message(key, "fixed")
    await page.page.wait_for_function("window.__changes.length >= 1")
    await control.revoke_message(key)
    await page.page.wait_for_function("window.__changes.some(([kind]) => kind === 'type')")
    changes = await page.js("window.__changes")
    assert changes[0] == ["body", "fixed"] and ["type", "revoked"] in changes


async def test_a_media_message_keeps_a_thumbnail_in_its_body_and_its_text_in_the_caption(
    open_page, control
) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    photo = media_payload(media_samples.png(), "image/png")
    caption = "the broken part"
    key = await control.send_message(CUSTOMER, PHONE, None, type="image", caption=caption, media=photo)
    await page.wait_event("add")
    added = await page.js(ADDED_JS, key)
    assert added["type"] == "image" and added["caption"] == "the broken part"
    assert added["body"].startswith("/9j/")  # a base64 JPEG: never text


async def test_a_disappearing_chat_gives_its_ephemeral_fields_and_sends_carry_them(
    open_page, control
) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await control.send_message(CUSTOMER, PHONE, "this chat disappears", ephemeral_s=86_400)
    await page.wait_event("add")
    fields = await page.js(
        """(id) => window.require('WAWebGetEphemeralFieldsMsgActionsUtils').getEphemeralFields(
             window.require('WAWebCollections').Chat.get(id))""",
        f"{CUSTOMER}@c.us",
    )
    assert fields["ephemeralDuration"] == 86_400
    await page.js(
        """async (id) => {
             const chat = window.require('WAWebCollections').Chat.get(id);
             const MsgKey = window.require('WAWebMsgKey');
             const from = window.require('WAWebUserPrefsMeUser').getMaybeMePnUser();
             const key = new MsgKey({ from, to: chat.id, id: await MsgKey.newId(), selfDir: 'out' });
             const fields = window.require('WAWebGetEphemeralFieldsMsgActionsUtils').getEphemeralFields(chat);
             const [added] = window.require('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, {
               id: key, body: 'gone tomorrow', from, to: chat.id, type: 'chat', ...fields });
             await added;
           }""",
        f"{CUSTOMER}@c.us",
    )
    await page.wait_event("ack")
    (received,) = await control.received(CUSTOMER)
    assert received["ephemeral_s"] == 86_400


async def test_chat_modules_may_register_after_the_app_loaded(open_page, control) -> None:
    await control.configure(late_modules_ms=1500)
    page = await open_page()
    reach = (
        "() => { try { return Boolean(window.require('WAWebCollections').Msg); }"
        " catch (e) { return e.message; } }"
    )
    early = await page.js(reach)
    assert early == 'Requiring unknown module "WAWebCollections"'
    assert await page.js("typeof window.require('WAWebSocketModel').Socket") == "object"  # login: at once
    await page.page.wait_for_function(f"({reach})() === true", timeout=5000)


async def test_a_passkey_account_waits_on_the_passkey_screen_until_the_phone_confirms(
    open_page, control
) -> None:
    page = await open_page()
    answer = await control.scan(await page.qr(), PHONE, passkey=True)
    assert answer == {"phone": PHONE, "passkey_required": True}
    assert await page.wait_state("PAIRING") == "PAIRING"
    assert await page.js("window.require('WAWebAltDeviceLinkingApi').getPairingType()") == "SHORTCAKE_PASSKEY"
    await page.page.wait_for_selector('[data-testid="shortcake_passkey_screen"]')
    await control.confirm_passkey(PHONE)
    await page.wait_state("CONNECTED")


async def test_the_2025_profile_keeps_phone_number_chats_cmd_refresh_and_logout(open_page, control) -> None:
    await control.configure(wa_build="2025")
    page = await open_page()
    assert await page.js("typeof window.require('WAWebCmd').Cmd.refreshQR") == "function"
    await page.link(control, PHONE)
    opened = await page.js(
        """(n) => window.require('WAWebFindChatAction')
             .findOrCreateLatestChat(window.require('WAWebWidFactory').createWid(n + '@c.us'))
             .then(({ chat }) => chat.id._serialized)""",
        CUSTOMER,
    )
    assert opened == f"{CUSTOMER}@c.us"  # no LID needed on an account not migrated
    logouts = await _watch_logout(page.page)
    await control.unlink(PHONE)
    await page.page.wait_for_url("**/?post_logout=1*")
    assert logouts == ["logout"]
