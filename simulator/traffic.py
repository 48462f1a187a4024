"""Messages across the simulated network: customers to linked numbers, linked devices to customers,
delivery acks, read receipts, chat states (typing) and number lookups.

Rule for "is this number on WhatsApp": every well-formed number (7-15 digits) is, unless the control
API marked it absent (`POST /control/faults/absent`).

Customers are addressed by phone number (`<phone>@c.us`) or, as WhatsApp does since 2025, by LID
(`<lid>@lid`, `"addressing": "lid"`); a LID customer may hide their phone number from the linked
device (`"phone_visible": false`). A linked device sends into a chat as it names it (a phone
number, `<phone>@c.us` or `<lid>@lid`); the network delivers to the person behind it.
"""

from __future__ import annotations

import logging
import time

from simulator.codes import new_phone_message_id, normalize_phone
from simulator.content import UnreadableMedia, customer_content, device_media
from simulator.errors import InvalidRequest, NotFound
from simulator.message_log import ACK_DELIVERED, ACK_ERROR, ACK_READ, ACK_SERVER, LoggedMessage
from simulator.page_session import PageSession
from simulator.world import World

log = logging.getLogger("simulator.traffic")

CHAT_STATES = ("composing", "recording", "paused")
ADDRESSINGS = ("pn", "lid")
# What a customer's phone may send besides text (the page shows each as WhatsApp Web does: a media
# message's `body` is its thumbnail, its text the `caption`), and the system messages WhatsApp Web
# adds to a chat (a change of security code, a template notice, a missed call, a protocol message).
MEDIA_TYPES = ("image", "video", "audio", "ptt", "document", "sticker")
OTHER_TYPES = (
    "location",
    "vcard",
    "e2e_notification",
    "notification_template",
    "call_log",
    "protocol",
    "gp2",
)
MESSAGE_TYPES = ("chat", *MEDIA_TYPES, *OTHER_TYPES)


class Traffic:
    def __init__(self, world: World) -> None:
        self.world = world

    # --- customers (control API) -----------------------------------------------------------------

    def customer_sends(
        self,
        sender: object,
        recipient: object,
        text: object,
        name: object = None,
        *,
        addressing: object = "pn",
        phone_visible: object = True,
        type: object = "chat",
        caption: object = None,
        ciphertext_ms: object = None,
        ephemeral_s: object = None,
        media: object = None,
        location: object = None,
        vcard: object = None,
    ) -> LoggedMessage:
        """A customer's message to a linked number. `addressing` "lid": from the customer's LID (the
        phone number shown to the linked device only if `phone_visible`); `ciphertext_ms`: the page
        gets it undecrypted ("Waiting for this message") and decrypts it that much later (-1: never);
        `ephemeral_s`: the chat has disappearing messages on; `type`/`caption`: see MESSAGE_TYPES;
        `media`, `location`, `vcard`: see simulator.content."""
        customer = _number_or_raise(sender, "from")
        linked = _number_or_raise(recipient, "to")
        kind = type if type is not None else "chat"
        if kind not in MESSAGE_TYPES:
            raise InvalidRequest("invalid_type", f"type must be one of {', '.join(MESSAGE_TYPES)}")
        if kind == "chat" and (not isinstance(text, str) or not text):
            raise InvalidRequest("invalid_text", "text must be a non-empty string")
        if text is not None and not isinstance(text, str):
            raise InvalidRequest("invalid_text", "text must be a string")
        if caption is not None and not isinstance(caption, str):
            raise InvalidRequest("invalid_caption", "caption must be a string")
        if name is not None and not isinstance(name, str):
            raise InvalidRequest("invalid_name", "name must be a string")
        if addressing not in ADDRESSINGS:
            raise InvalidRequest("invalid_addressing", 'addressing must be "pn" (phone number) or "lid"')
        if not isinstance(phone_visible, bool):
            raise InvalidRequest("invalid_phone_visible", "phone_visible must be true or false")
        for label, value in (("ciphertext_ms", ciphertext_ms), ("ephemeral_s", ephemeral_s)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < -1):
                raise InvalidRequest(f"invalid_{label}", f"{label} must be an integer (-1 or more)")
        devices = self.world.accounts.devices_of(linked)
        if not devices:
            raise NotFound("not_linked", f"{linked} has no linked device to deliver to")
        content = customer_content(
            kind, self.world.media, {customer, linked}, media=media, location=location, vcard=vcard
        )
        shown = text if kind == "chat" else (caption or "")
        logged = LoggedMessage(
            new_phone_message_id(), customer, linked, shown, name, type=kind, addressing=addressing,
            caption=caption, media=content.media,
        )  # fmt: skip
        message = self.world.log.add(logged)
        frame = {
            "t": "msg",
            "msg": {
                "id": message.id,
                "from": customer,
                "from_lid": self.world.accounts.directory.lid_for(customer),
                "addressing": addressing,
                "phone_visible": addressing == "pn" or phone_visible,
                "to": linked,
                "body": text or "",
                "type": kind,
                "caption": caption,
                "ciphertext_ms": ciphertext_ms,
                "ephemeral_s": ephemeral_s,
                "t": int(message.time),
                "notify_name": name,
                "media": content.fields.get("media"),
                "location": content.fields.get("location"),
                "vcard": content.fields.get("vcard"),
            },
            "dup": self.world.faults.duplicate_adds,
        }
        for device in devices:
            self.world.push(device, frame)
        return message

    def customer_edits(self, message_id: object, text: object) -> LoggedMessage:
        """The customer edits a message they sent: its linked number's pages see the new text."""
        message = self._customers_message(message_id)
        if not isinstance(text, str) or not text:
            raise InvalidRequest("invalid_text", "text must be a non-empty string")
        message.text = text
        self._to_recipient(message, {"t": "msg_edit", "id": message.id, "body": text})
        return message

    def customer_revokes(self, message_id: object) -> LoggedMessage:
        """The customer deletes a message for everyone: it turns `revoked` on the linked pages."""
        message = self._customers_message(message_id)
        message.type = "revoked"
        self._to_recipient(message, {"t": "msg_revoke", "id": message.id})
        return message

    def _customers_message(self, message_id: object) -> LoggedMessage:
        message = self.world.log.get(message_id) if isinstance(message_id, str) else None
        if message is None or message.sender_device is not None:
            raise NotFound("unknown_message", "no message a customer sent has this id")
        return message

    def _to_recipient(self, message: LoggedMessage, frame: dict) -> None:
        for device in self.world.accounts.devices_of(message.recipient):
            self.world.push(device, frame)

    def resolve_chat(self, chat: object) -> tuple[str | None, str]:
        """(the person's phone, the chat as the device named it) for a chat a device sent into:
        `<phone>`, `<phone>@c.us` or `<lid>@lid`. The phone is None for a LID nobody has."""
        text = str(chat or "")
        if text.endswith("@lid"):
            return self.world.accounts.directory.phone_for(text[: -len("@lid")]), text
        phone = normalize_phone(text)
        return phone, f"{phone}@c.us" if phone else text

    def customer_reads(self, reader: object, sender: object = None) -> int:
        """The customer opens their chat(s): every message they received (from `sender`) turns ack 3."""
        customer = _number_or_raise(reader, "number")
        linked = None if sender is None else _number_or_raise(sender, "from")
        unread = [
            m
            for m in self.world.log.received_by(customer)
            if m.ack in (ACK_SERVER, ACK_DELIVERED) and (linked is None or m.sender == linked)
        ]
        for message in unread:
            self._advance_outbound(message.id, ACK_READ)
        return len(unread)

    def is_on_whatsapp(self, number: object) -> bool:
        digits = normalize_phone(number)
        return digits is not None and self.world.faults.is_on_whatsapp(digits)

    def lookup(self, wid: object) -> dict:
        """A device's number lookup (usync): whether the person is on WhatsApp, with their phone
        number and LID (what a linked device learns the mapping from)."""
        phone, _chat = self.resolve_chat(wid)
        if phone is None or not self.is_on_whatsapp(phone):
            return {"exists": False}
        return {"exists": True, "pn": phone, "lid": self.world.accounts.directory.lid_for(phone)}

    # --- frames from linked pages ----------------------------------------------------------------

    async def on_device_send(self, session: PageSession, frame: dict) -> None:
        device = session.device
        data = frame.get("msg")
        if device is None or not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return
        known = self.world.log.get(data["id"])
        if known is not None:  # the page resent it after a reconnect
            self._push_ack(known)
            return
        recipient, chat = self.resolve_chat(data.get("to"))
        body = data.get("body") if isinstance(data.get("body"), str) else ""
        ephemeral = data.get("ephemeral_s")
        message = LoggedMessage(
            data["id"], device.phone, recipient or str(data.get("to")), body, device.push_name,
            sender_device=device.device_id, chat=chat,
            ephemeral_s=ephemeral if isinstance(ephemeral, int) and not isinstance(ephemeral, bool) else None,
        )  # fmt: skip
        kind = data.get("type")
        if kind in MEDIA_TYPES:
            message.type, message.caption = kind, _text_or_none(data.get("caption"))
            message.text = message.caption or ""
            try:
                message.media = device_media(self.world.media, data)
            except UnreadableMedia as exc:
                log.warning("device %s sent %s media the customer cannot open: %s", device.wid, kind, exc)
                message.ack = ACK_ERROR
        if message.ack == ACK_ERROR or recipient is None or not self.world.faults.is_on_whatsapp(recipient):
            message.ack = ACK_ERROR
            self._push_ack(self.world.log.add(message))
            return
        self._push_ack(self.world.log.add(message))
        config = self.world.config
        self.world.timers.later(config.ack_delivered_ms, lambda: self._delivered(message.id))

    async def on_receipt(self, session: PageSession, frame: dict) -> None:
        device, upto = session.device, frame.get("upto")
        if device is None or isinstance(upto, bool) or not isinstance(upto, int):
            return
        for delivered in device.outbox.confirm(upto):
            if delivered.get("t") == "msg":
                self.world.log.advance_ack(delivered["msg"]["id"], ACK_DELIVERED)

    async def on_seen(self, session: PageSession, frame: dict) -> None:
        device, (customer, _chat) = session.device, self.resolve_chat(frame.get("chat"))
        if device is None or customer is None:
            return
        for message in self.world.log.between(customer, device.phone):
            self.world.log.advance_ack(message.id, ACK_READ)

    async def on_chat_state(self, session: PageSession, frame: dict) -> None:
        device, state = session.device, frame.get("state")
        customer, _chat = self.resolve_chat(frame.get("chat"))
        if device is None or customer is None or state not in CHAT_STATES:
            return
        self.world.presence[(customer, device.phone)] = {
            "from": device.phone,
            "state": state,
            "time": time.time(),
        }

    def presence_towards(self, number: object) -> list[dict]:
        customer = _number_or_raise(number, "number")
        return [entry for (target, _), entry in self.world.presence.items() if target == customer]

    # --- acks --------------------------------------------------------------------------------------

    def _delivered(self, message_id: str) -> None:
        self._advance_outbound(message_id, ACK_DELIVERED)
        read_after = self.world.config.ack_read_ms
        if read_after >= 0:
            self.world.timers.later(read_after, lambda: self._advance_outbound(message_id, ACK_READ))

    def _advance_outbound(self, message_id: str, ack: int) -> None:
        if self.world.log.advance_ack(message_id, ack):
            message = self.world.log.get(message_id)
            if message is not None:
                self._push_ack(message)

    def _push_ack(self, message: LoggedMessage) -> None:
        for device in self.world.accounts.devices_of(message.sender):
            if device.device_id == message.sender_device:
                frame = {
                    "t": "ack",
                    "id": message.id,
                    "to": message.recipient,
                    "chat": message.chat or f"{message.recipient}@c.us",
                    "ack": message.ack,
                }
                self.world.push(device, frame)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _number_or_raise(value: object, field: str) -> str:
    number = normalize_phone(value)
    if number is None:
        raise InvalidRequest("invalid_number", f"{field} must be a phone number: 7-15 digits, e.g. 15550100")
    return number
