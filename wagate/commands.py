"""Commands sent through SQS from the API to the runners.

Every command has an `id` a runner deduplicates on, the session it targets, and the epoch the
sender saw (0 when unknown): a runner holding a newer epoch drops older commands.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from wagate.errors import InvalidInput


class CommandType(StrEnum):
    START = "start"  # shared start queue: any runner with capacity claims the session
    SEND = "send"  # send the queued outbound message `message_id` (a row id)
    DISCONNECT = "disconnect"  # log the device out and end the session
    RESTART = "restart"  # close and start again (new QR if not logged in)
    DELETE = "delete"  # log out, stop, erase checkpoints


@dataclass(frozen=True)
class Command:
    type: CommandType
    session_id: str
    epoch: int = 0
    payload: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def to_json(self) -> str:
        body = asdict(self)
        body["type"] = self.type.value
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Command:
        try:
            body = json.loads(raw)
            return cls(
                type=CommandType(body["type"]),
                session_id=str(body["session_id"]),
                epoch=int(body.get("epoch", 0)),
                payload=dict(body.get("payload") or {}),
                id=str(body["id"]),
                created_at=str(body.get("created_at", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"malformed command: {exc}", code="malformed_command") from exc
