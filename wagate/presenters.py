"""What callers see of the rows: the public session and message objects (no runner internals),
the QR image, and the opaque cursor of message history pages."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from wagate.errors import Gone, InvalidInput, NotFound
from wagate.status import SessionStatus
from wagate.validation import is_uuid

SESSION_FIELDS = (
    "id",
    "session_id",
    "chatbot_id",
    "status",
    "phone_number",
    "push_name",
    "qr_code",
    "qr_expires_at",
    "pairing_code",
    "connected_at",
    "last_error",
    "last_error_code",
    "created_at",
    "updated_at",
)
MESSAGE_FIELDS = (
    "id",
    "session_id",
    "message_id",
    "direction",
    "from_number",
    "to_number",
    "content",
    "status",
    "ack",
    "timestamp",
    "reply_to",
    "error",
    "error_code",
    "chat_id",
    "customer_lid",
    "customer_phone",
    "edited_at",
    "revoked_at",
)


def parse_timestamp(value: object) -> datetime | None:
    """A PostgREST timestamptz (ISO 8601) as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def qr_is_valid(row: Mapping[str, Any], now: datetime) -> bool:
    expires_at = parse_timestamp(row.get("qr_expires_at"))
    return bool(row.get("qr_code")) and expires_at is not None and expires_at > now


def public_session(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    session = {name: row.get(name) for name in SESSION_FIELDS}
    if not qr_is_valid(row, now):
        session["qr_code"] = None  # an expired QR is never shown
    return session


def public_message(row: Mapping[str, Any]) -> dict[str, Any]:
    """A message as callers see it (the same object as events carry: wagate_public_message in SQL).
    A media message's text (`content`) is its caption; its file is `media`, fetched through
    GET /api/messages/{id}/media."""
    message = {name: row.get(name) for name in MESSAGE_FIELDS}
    message["type"] = row.get("type") or "chat"
    message["media"] = (
        {
            "mime": row.get("media_mime"),
            "size": row.get("media_size"),
            "sha256": row.get("media_sha256"),
            "filename": row.get("media_filename"),
        }
        if row.get("media_key")
        else None
    )
    message["media_error"] = row.get("media_error")
    message["location"] = row.get("location")
    message["contact"] = row.get("contact")
    return message


def public_chatbot(row: Mapping[str, Any], secret: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """A chatbot its owner reads: never the secret itself, only when it was made or rotated."""
    previous_until = parse_timestamp(secret.get("previous_valid_until")) if secret else None
    return {
        "chatbot_id": row["chatbot_id"],
        "created_at": row.get("created_at"),
        "signing_secret_created_at": (secret.get("rotated_at") or secret.get("created_at"))
        if secret
        else None,
        "previous_secret_valid_until": (
            secret.get("previous_valid_until")
            if previous_until is not None and previous_until > now
            else None
        ),
    }


def qr_png(row: Mapping[str, Any], now: datetime) -> bytes:
    """The session's current QR code as PNG bytes."""
    if row.get("status") == SessionStatus.QR_EXPIRED:
        raise Gone("the QR code has expired: restart the session for a new one", code="qr_expired")
    raw = row.get("qr_code")
    if not raw:
        raise NotFound("the session has no QR code to show", code="qr_not_available")
    if not qr_is_valid(row, now):
        raise Gone("the QR code has expired; a new one is on its way", code="qr_expired")
    encoded = str(raw).split(",", 1)[1] if str(raw).startswith("data:") else str(raw)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotFound("the stored QR code is unreadable", code="qr_not_available") from exc


def encode_cursor(row: Mapping[str, Any]) -> str:
    """An opaque cursor pointing just after `row` in newest-first order."""
    raw = json.dumps([row["timestamp"], row["id"]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """(timestamp, id) of a cursor made by `encode_cursor`."""
    invalid = InvalidInput("'before' is not a cursor this API returned", code="invalid_cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        timestamp, row_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise invalid from exc
    if not isinstance(timestamp, str) or parse_timestamp(timestamp) is None or not is_uuid(row_id):
        raise invalid
    return parse_timestamp(timestamp).isoformat(), row_id  # type: ignore[union-attr]
