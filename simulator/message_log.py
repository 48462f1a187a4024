"""Every message the simulated network carried, with its delivery ack as the sender sees it.

Acks as WhatsApp numbers them: -1 error, 0 pending (still on the sender), 1 server, 2 delivered to
the recipient's device, 3 read. An ack only moves forward (or to -1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from simulator.media import MediaFile

ACK_ERROR = -1
ACK_SERVER = 1
ACK_DELIVERED = 2
ACK_READ = 3


@dataclass
class LoggedMessage:
    id: str
    sender: str
    recipient: str
    text: str
    name: str | None = None
    time: float = field(default_factory=time.time)
    ack: int = ACK_SERVER
    sender_device: int | None = None
    """The linked device that sent it (outbound messages only)."""
    chat: str | None = None
    """The chat a linked device sent it into, as it named it (`<phone>@c.us` or `<lid>@lid`)."""
    type: str = "chat"
    addressing: str = "pn"
    """How a customer's message reached the linked device: from the phone number or the LID."""
    ephemeral_s: int | None = None
    """The disappearing-messages timer a sent message carried (None: none)."""
    caption: str | None = None
    media: MediaFile | None = None
    """The plain bytes of a media message, as its recipient has them."""

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "from": self.sender,
            "to": self.recipient,
            "text": self.text,
            "name": self.name,
            "time": self.time,
            "ack": self.ack,
            "type": self.type,
            "chat": self.chat,
            "addressing": self.addressing,
            "ephemeral_s": self.ephemeral_s,
            "caption": self.caption,
            "media": self.media.to_json() if self.media else None,
        }


class MessageLog:
    def __init__(self) -> None:
        self._messages: dict[str, LoggedMessage] = {}

    def add(self, message: LoggedMessage) -> LoggedMessage:
        return self._messages.setdefault(message.id, message)

    def get(self, message_id: str) -> LoggedMessage | None:
        return self._messages.get(message_id)

    def advance_ack(self, message_id: str, ack: int) -> bool:
        """Set a later ack; False when it would not move the ack forward."""
        message = self._messages.get(message_id)
        if message is None or message.ack == ACK_ERROR or (ack != ACK_ERROR and ack <= message.ack):
            return False
        message.ack = ack
        return True

    def received_by(self, number: str) -> list[LoggedMessage]:
        return sorted((m for m in self._messages.values() if m.recipient == number), key=lambda m: m.time)

    def sent_by(self, number: str) -> list[LoggedMessage]:
        return sorted((m for m in self._messages.values() if m.sender == number), key=lambda m: m.time)

    def between(self, sender: str, recipient: str) -> list[LoggedMessage]:
        return [m for m in self.received_by(recipient) if m.sender == sender]

    def all(self) -> list[LoggedMessage]:
        return sorted(self._messages.values(), key=lambda m: m.time)
