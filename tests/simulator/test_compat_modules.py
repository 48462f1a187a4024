"""What whatsapp-web.js 1.34.7 needs beyond a bridge's surface (static/compat_modules.js and
`Msg.msgContextInfo`); tests/reference runs the library itself."""

from __future__ import annotations

from tests.simulator.test_loading import MISSING_MEMBERS_JS

PHONE = "15550003101"
CUSTOMER = "4915100003101"

COMPAT_SURFACE = {
    "WAWebCallCollection": ["on", "off", "get"],
    "WAWebMsgReply": ["canReplyMsg", "canPrivateReply"],
    "WAWebBackendJobsCommon": ["mediaTypeFromProtobuf"],
    "WAWebE2EProtoUtils": ["typeAttributeFromProtobuf"],
    "WAWebAddonReactionTableMode": ["reactionTableMode.bulkUpsert"],
    "WAWebAddonPollVoteTableMode": ["pollVoteTableMode.bulkUpsert"],
    "WAWebNonMessageDataRequestPlaceholderMessageResendUtils": ["handlePlaceholderMsgsSeen"],
}


async def test_the_modules_whatsapp_web_js_touches_are_there(open_page) -> None:
    page = await open_page()
    assert await page.js(MISSING_MEMBERS_JS, COMPAT_SURFACE) == []
    # whatsapp-web.js wraps `.set` of the call collection's first own Map property
    own_maps = await page.js(
        """() => { const calls = window.require('WAWebCallCollection');
                   return Object.keys(calls).filter((key) => calls[key] instanceof Map); }"""
    )
    assert len(own_maps) == 1
    types = await page.js(
        """() => [{conversation: 'hi'}, {imageMessage: {}}, {reactionMessage: {}}].map((proto) => [
             window.require('WAWebBackendJobsCommon').mediaTypeFromProtobuf(proto),
             window.require('WAWebE2EProtoUtils').typeAttributeFromProtobuf(proto)])"""
    )
    assert types == [[None, "text"], ["image", "media"], [None, "reaction"]]


async def test_a_reply_quotes_the_customers_message(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    message_id = await control.send_message(CUSTOMER, PHONE, "Do you deliver?", name="Maria")
    (added,) = [event["value"] for event in await page.wait_event("add")]
    quote = await page.js(
        """(key) => {
             const msg = window.require('WAWebCollections').Msg.get(key);
             const chat = window.require('WAWebCollections').Chat.get(msg.id.remote);
             const replies = window.require('WAWebMsgReply');
             const byChat = msg.msgContextInfo(chat);  // as whatsapp-web.js calls it
             return {
               canReply: replies.canReplyMsg(msg.unsafe()),
               canPrivateReply: replies.canPrivateReply(msg),
               quotedKeys: Object.keys(byChat.quotedMsg).sort(),
               body: byChat.quotedMsg.body,
               participant: byChat.quotedParticipant._serialized,
               stanza: byChat.quotedStanzaID,
               remoteByChat: byChat.quotedRemoteJid && byChat.quotedRemoteJid._serialized,
               remoteByChatId: msg.msgContextInfo(chat.id).quotedRemoteJid,  // as the real app does
             };
           }""",
        added["id"]["_serialized"],
    )
    remote = f"{CUSTOMER}@c.us"
    assert quote["canReply"] is True and quote["canPrivateReply"] is False
    assert quote["body"] == "Do you deliver?" and quote["stanza"] == message_id
    assert not {"id", "from", "to", "t", "ack", "notifyName", "isNewMsg", "self"} & set(quote["quotedKeys"])
    assert quote["participant"] == remote
    assert (quote["remoteByChat"], quote["remoteByChatId"]) == (remote, None)
    assert page.errors == []
