"""Messages across the simulated network: customers to linked numbers, linked devices to customers,
delivery acks, read receipts, chat states (typing) and number lookups.

Rule for "is this number on WhatsApp": every well-formed number (7-15 digits) is, unless the control
API marked it absent (`POST /control/faults/absent`).
"""

from __future__ import annotations

import time

from simulator.codes import new_phone_message_id, normalize_phone
from simulator.errors import InvalidRequest, NotFound
from simulator.message_log import ACK_DELIVERED, ACK_ERROR, ACK_READ, ACK_SERVER, LoggedMessage
from simulator.page_session import PageSession
from simulator.world import World

CHAT_STATES = ("composing", "recording", "paused")


class Traffic:
    def __init__(self, world: World) -> None:
        self.world = world

    # --- customers (control API) -----------------------------------------------------------------

    def customer_sends(
        self, sender: object, recipient: object, text: object, name: object = None
    ) -> LoggedMessage:
        customer = _number_or_raise(sender, "from")
        linked = _number_or_raise(recipient, "to")
        if not isinstance(text, str) or not text:
            raise InvalidRequest("invalid_text", "text must be a non-empty string")
        if name is not None and not isinstance(name, str):
            raise InvalidRequest("invalid_name", "name must be a string")
        devices = self.world.accounts.devices_of(linked)
        if not devices:
            raise NotFound("not_linked", f"{linked} has no linked device to deliver to")
        message = self.world.log.add(LoggedMessage(new_phone_message_id(), customer, linked, text, name))
        frame = {
            "t": "msg",
            "msg": {
                "id": message.id,
                "from": customer,
                "to": linked,
                "body": text,
                "t": int(message.time),
                "notify_name": name,
            },
            "dup": self.world.faults.duplicate_adds,
        }
        for device in devices:
            self.world.push(device, frame)
        return message

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
        recipient = normalize_phone(data.get("to"))
        body = data.get("body") if isinstance(data.get("body"), str) else ""
        message = LoggedMessage(
            data["id"], device.phone, recipient or str(data.get("to")), body, device.push_name,
            sender_device=device.device_id,
        )  # fmt: skip
        if recipient is None or not self.world.faults.is_on_whatsapp(recipient):
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
        device, customer = session.device, normalize_phone(frame.get("chat"))
        if device is None or customer is None:
            return
        for message in self.world.log.between(customer, device.phone):
            self.world.log.advance_ack(message.id, ACK_READ)

    async def on_chat_state(self, session: PageSession, frame: dict) -> None:
        device, customer, state = session.device, normalize_phone(frame.get("chat")), frame.get("state")
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
                frame = {"t": "ack", "id": message.id, "to": message.recipient, "ack": message.ack}
                self.world.push(device, frame)


def _number_or_raise(value: object, field: str) -> str:
    number = normalize_phone(value)
    if number is None:
        raise InvalidRequest("invalid_number", f"{field} must be a phone number: 7-15 digits, e.g. 15550100")
    return number
