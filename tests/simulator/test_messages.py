"""Messages: a customer's arrives as `Msg` `add`; a send steps its ack 0 → 3; lookups, seen, typing."""

from __future__ import annotations

import time

PHONE = "15550003001"
CUSTOMER = "4915100003001"


async def test_an_inbound_message_is_added_as_new(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    message_id = await control.send_message(CUSTOMER, PHONE, "Are you open today?", name="Maria")
    (added,) = [event["value"] for event in await page.wait_event("add")]
    remote = f"{CUSTOMER}@c.us"
    assert added["id"]["fromMe"] is False
    assert added["id"]["id"] == message_id
    assert added["id"]["remote"]["_serialized"] == remote
    assert added["id"]["_serialized"] == f"false_{remote}_{message_id}"
    assert (added["body"], added["type"], added["notifyName"], added["isNewMsg"]) == (
        "Are you open today?", "chat", "Maria", True,
    )  # fmt: skip
    assert added["from"]["_serialized"] == remote and added["to"]["_serialized"] == f"{PHONE}@c.us"
    assert abs(added["t"] - time.time()) < 5
    assert added["ack"] == 1
    chat = await page.js(
        """(id) => {
             const chat = window.require('WAWebCollections').Chat.get(id);
             return [chat.unreadCount, chat.msgs.length];
           }""",
        remote,
    )
    assert chat == [1, 1]
    assert await page.js(
        "(id) => window.require('WAWebCollections').Msg.get(id).body", added["id"]["_serialized"]
    )
    await page.page.wait_for_timeout(100)
    (received,) = await control.received(PHONE)
    assert (received["id"], received["from"], received["text"], received["name"], received["ack"]) == (
        message_id, CUSTOMER, "Are you open today?", "Maria", 2,
    )  # fmt: skip


async def test_a_sent_message_steps_its_ack_to_read(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE, name="Shop")
    key = await page.send_text(CUSTOMER, "We open at nine.")
    acks = await page.wait_event("ack", count=3)
    assert [(event["id"], event["value"]) for event in acks] == [(key, 1), (key, 2), (key, 3)]
    (added,) = [event["value"] for event in await page.events("add")]
    assert added["id"]["fromMe"] is True and added["ack"] == 0 and added["body"] == "We open at nine."
    assert await page.js("(key) => window.__sendResults[key].messageSendResult", key) == "OK"
    (received,) = await control.received(CUSTOMER)
    assert (received["from"], received["to"], received["text"], received["name"], received["ack"]) == (
        PHONE, CUSTOMER, "We open at nine.", "Shop", 3,
    )  # fmt: skip
    assert received["id"] == key.split("_")[-1]


async def test_customers_read_when_told_to(open_page, control) -> None:
    await control.configure(ack_read_ms=-1)
    page = await open_page()
    await page.link(control, PHONE)
    key = await page.send_text(CUSTOMER, "Hello")
    await page.wait_event("ack", count=2)
    await page.page.wait_for_timeout(300)
    assert [event["value"] for event in await page.events("ack")] == [1, 2]
    assert (await control.read(CUSTOMER)) == {"read": 1}
    acks = await page.wait_event("ack", count=3)
    assert (acks[-1]["id"], acks[-1]["value"]) == (key, 3)


async def test_number_lookup_and_sending_to_a_number_not_on_whatsapp(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    lookup = """(number) => window.require('WAWebQueryExistsJob')
                  .queryWidExists(window.require('WAWebWidFactory').createWid(number + '@c.us'))"""
    assert (await page.js(lookup, CUSTOMER))["wid"]["_serialized"] == f"{CUSTOMER}@c.us"
    await control.mark_absent("4915100003999")
    assert await page.js(lookup, "4915100003999") is None
    assert await page.js(lookup, "12") is None
    # A LID-migrated account opens no chat with a number it has no LID for, as the real app:
    failed = await page.js(
        """(n) => window.require('WAWebFindChatAction')
             .findOrCreateLatestChat(window.require('WAWebWidFactory').createWid(n + '@c.us'))
             .then(() => 'opened', (error) => error.message)""",
        "4915100003999",
    )
    assert failed == "No LID for user"
    # A number that was on WhatsApp when the page looked it up, gone when it sends: refused (ack -1).
    await control.mark_absent("4915100003999", absent=False)
    assert await page.js(lookup, "4915100003999") is not None
    await control.mark_absent("4915100003999")
    key = await page.send_text("4915100003999", "anyone there?")
    acks = await page.wait_event("ack")
    assert (acks[0]["id"], acks[0]["value"]) == (key, -1)
    await page.page.wait_for_function("(key) => window.__sendResults && window.__sendResults[key]", arg=key)
    assert await page.js("(key) => window.__sendResults[key].messageSendResult", key) == "ERROR_UNKNOWN"


async def test_seen_and_typing_reach_the_customer(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await control.send_message(CUSTOMER, PHONE, "hi")
    await page.wait_event("add")
    seen_js = """async ([id, available]) => {
             const wid = window.require('WAWebWidFactory').createWid(id);
             const chat = window.require('WAWebCollections').Chat.get(wid);
             const { Stream } = window.require('WAWebStreamModel');
             if (available) Stream.markAvailable();
             await window.require('WAWebUpdateUnreadChatAction').sendSeen({ chat, threadId: undefined });
             Stream.markUnavailable();
             await window.require('WAWebChatStateBridge').sendChatStateComposing(wid);
           }"""
    # The 2026 app sends no read receipt unless the stream is marked available around sendSeen.
    await page.js(seen_js, [f"{CUSTOMER}@c.us", False])
    await page.page.wait_for_timeout(150)
    assert [m["ack"] for m in await control.received(PHONE)] == [2]
    await page.js(seen_js, [f"{CUSTOMER}@c.us", True])
    assert await page.js(
        "(id) => window.require('WAWebCollections').Chat.get(id).unreadCount", f"{CUSTOMER}@c.us"
    ) == 0  # fmt: skip
    await page.page.wait_for_timeout(150)
    assert [m["ack"] for m in await control.received(PHONE)] == [3]
    (presence,) = await control.presence(CUSTOMER)
    assert (presence["from"], presence["state"]) == (PHONE, "composing")


# The text path of whatsapp-web.js v1.34's WWebJS.sendMessage / getMessageModel, step by step.
WWEBJS_SEND_JS = """
async ([to, content]) => {
  const chat = await (async () => {
    const chatWid = window.require('WAWebWidFactory').createWid(to);
    return window.require('WAWebCollections').Chat.get(chatWid)
      || (await window.require('WAWebFindChatAction').findOrCreateLatestChat(chatWid))?.chat;
  })();
  const { getIsNewsletter, getIsBroadcast } = window.require('WAWebChatGetters');
  if (getIsNewsletter(chat) || getIsBroadcast(chat)) throw new Error('not a 1:1 chat');
  let options = { linkPreview: true };
  const link = window.require('WALinkify').findLink(content);
  if (link) {
    const preview = await window.require('WAWebLinkPreviewChatAction').getLinkPreview(link);
    if (preview && preview.data) options = { ...options, ...preview.data };
  }
  delete options.linkPreview;
  const { getMaybeMeLidUser, getMaybeMePnUser } = window.require('WAWebUserPrefsMeUser');
  const newId = await window.require('WAWebMsgKey').newId();
  const from = chat.id.isLid() ? getMaybeMeLidUser() : getMaybeMePnUser();
  const newMsgKey = new (window.require('WAWebMsgKey'))({
    from, to: chat.id, id: newId, participant: undefined, selfDir: 'out' });
  const message = {
    ...options, id: newMsgKey, ack: 0, body: content, from, to: chat.id, local: true, self: 'out',
    t: parseInt(new Date().getTime() / 1000), isNewMsg: true, type: 'chat',
    ...window.require('WAWebGetEphemeralFieldsMsgActionsUtils').getEphemeralFields(chat) };
  const [msgPromise] = window.require('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, message);
  await msgPromise;
  const sent = window.require('WAWebCollections').Msg.get(newMsgKey._serialized);
  const model = sent.serialize();
  model.links = window.require('WALinkify').findLinks(sent.mediaObject ? sent.caption : sent.body)
    .map((found) => ({ link: found.href, isSuspicious: Boolean(found.suspiciousCharacters?.size) }));
  if (typeof model.id.remote === 'object') model.id = { ...model.id, remote: model.id.remote._serialized };
  return model;
}
"""


async def test_whatsapp_web_js_text_send_path_works_unchanged(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await control.send_message(CUSTOMER, PHONE, "send me the menu")  # the chat whatsapp-web.js finds
    await page.wait_event("add")
    model = await page.js(WWEBJS_SEND_JS, [f"{CUSTOMER}@c.us", "See https://example.com/menu."])
    assert model["id"]["remote"] == f"{CUSTOMER}@c.us" and model["id"]["fromMe"] is True
    assert model["links"] == [{"link": "https://example.com/menu", "isSuspicious": False}]
    await page.wait_event("ack", count=3)
    assert [m["text"] for m in await control.received(CUSTOMER)] == ["See https://example.com/menu."]
