"""Media at the runner: a customer's file downloaded by WhatsApp Web and kept in S3, a chatbot's
files fetched through the endpoint guard, and the bytes of every file sent.

Inbound: the message is stored first (nothing is lost), then, before the chatbot is asked, its file
is downloaded in the page (WhatsApp Web's own download and decryption), checked against the limit
for its kind before a byte is fetched, and kept under `media/{user}/{session}/{message row}`. A file
over the limit, or one whose download keeps failing (expired, the CDN refusing, the message no
longer on this device), leaves `media_error` on the row; the chatbot is asked all the same, with
`media: null` and that reason.

Outbound: a chatbot's reply item names a URL; its bytes are fetched through the endpoint guard (the
session owner's pool), judged by their bytes (wagate/media.py), a voice note converted to
OGG/Opus, and kept under the reply's own key before the reply row is written.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wagate import failures
from wagate.backoff import compute_backoff
from wagate.endpoints import EndpointFailure, GuardedClients
from wagate.media import (
    MEDIA_TYPES,
    SNIFF_BYTES,
    VIDEO_TAIL_BYTES,
    VOICE_MIME,
    MediaLimits,
    MediaRejected,
    classify,
    default_filename,
    filename_of_url,
    sha256_hex,
    sniff_mime,
)
from wagate.media_av import to_voice_note
from wagate.media_store import MediaStore, message_key

if TYPE_CHECKING:
    from runner.settings import RunnerSettings

log = logging.getLogger("runner.media")

DOWNLOAD_ATTEMPTS = 3
FETCH_DEADLINE_S = 60.0


class MediaFailure(Exception):
    """A file could not be used; `code` (wagate/failures.py) and `reason` are stored."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class MediaReply:
    """A chatbot's reply that is a file: `{"<type>": {"url", "filename"?}, "caption"?, "voice"?}`."""

    type: str
    url: str
    caption: str = ""
    filename: str | None = None


def location_of(reported: dict | None) -> dict | None:
    """A location as WhatsApp Web gives it (`loc` is "name\\naddress") as the row keeps it."""
    if not reported:
        return None
    try:
        latitude, longitude = float(reported.get("latitude")), float(reported.get("longitude"))
    except (TypeError, ValueError):
        return None
    name, _, address = str(reported.get("description") or "").partition("\n")
    return {"latitude": latitude, "longitude": longitude, "name": name or None, "address": address or None}


def contact_of(vcard: str | None) -> dict | None:
    """A contact card's name and phone numbers (vCard 3.0/4.0 as WhatsApp sends it), and the card."""
    if not vcard:
        return None
    unfolded = re.sub(r"\r?\n[ \t]", "", vcard)
    name, phones = None, []
    for line in unfolded.splitlines():
        field, _, value = line.partition(":")
        kind = field.split(";", 1)[0].split(".")[-1].upper()
        if kind == "FN" and value.strip():
            name = value.strip()
        elif kind == "TEL" and value.strip():
            phones.append(value.strip())
    return {"name": name, "phones": phones, "vcard": vcard}


class RunnerMedia:
    def __init__(self, store: MediaStore, limits: MediaLimits, *, allow_private: bool) -> None:
        self.store = store
        self.limits = limits
        self._fetch = GuardedClients(allow_private=allow_private, per_tenant=4, user_agent="wagate")

    @classmethod
    def from_settings(cls, settings: RunnerSettings) -> RunnerMedia:
        common = settings.common
        return cls(
            MediaStore.from_settings(common),
            MediaLimits.from_env(common.extra),
            allow_private=common.allow_private_endpoints,
        )

    async def aclose(self) -> None:
        await self._fetch.aclose()

    # ------------------------------------------------------------------ inbound
    def limit_for(self, kind: str) -> int:
        if kind == "sticker":
            return self.limits.sticker_animated
        return self.limits.limit_for("audio" if kind == "ptt" else kind)

    async def keep_inbound(self, session: Any, row: dict) -> dict:
        """Download the file of a stored inbound message and keep it; the row's new media fields
        (the key, or `media_error`)."""
        kind, limit = row["type"], self.limit_for(row["type"])
        if row.get("media_size") and int(row["media_size"]) > limit:
            return {"media_error": f"the file is larger than WhatsApp's {limit // 2**20} MB limit for {kind}"}
        reason = "the download failed"
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                got = await session.download_media(
                    chat=row.get("chat_id"), key=row["message_id"], max_bytes=limit
                )
            except Exception as exc:  # the page failed the call (closing, crashed): a failed attempt
                got = {"error": "failed", "reason": type(exc).__name__}
            if "data" in got:
                return await self._keep(session, row, got)
            reason = {
                "too_large": f"the file is larger than WhatsApp's {limit // 2**20} MB limit for {kind}",
                "missing": "the message is no longer on this WhatsApp Web device",
                "expired": "WhatsApp no longer has the file (expired)",
            }.get(got.get("error"), f"the download failed ({got.get('reason') or 'no reason given'})")
            if got.get("error") in ("too_large", "missing"):
                break
            if attempt < DOWNLOAD_ATTEMPTS:
                await asyncio.sleep(compute_backoff(attempt, base_s=1.0, max_s=5.0))
        log.warning(
            "media not kept", extra={"session_id": session.id, "message_row": row["id"], "reason": reason}
        )
        return {"media_error": reason}

    async def _keep(self, session: Any, row: dict, got: dict) -> dict:
        data = base64.b64decode(got["data"])
        mime = sniff_mime(data[:SNIFF_BYTES]) or got.get("mimetype") or "application/octet-stream"
        key = message_key(session.row["user_id"], session.id, row["id"])
        sha256 = await asyncio.to_thread(self.store.put, key, data, mime)
        return {
            "media_key": key,
            "media_mime": mime,
            "media_size": len(data),
            "media_sha256": sha256,
            "media_filename": got.get("filename")
            or row.get("media_filename")
            or default_filename(row["type"], mime),
            "media_error": None,
        }

    def presented(self, row: dict) -> dict | None:
        """What a chatbot gets of a kept file: a presigned URL valid for a short time."""
        if not row.get("media_key"):
            return None
        return {
            "url": self.store.download_url(
                row["media_key"], filename=row.get("media_filename"), mime=row.get("media_mime")
            ),
            "mime": row.get("media_mime"),
            "size": row.get("media_size"),
            "sha256": row.get("media_sha256"),
            "filename": row.get("media_filename"),
        }

    # ------------------------------------------------------------------ outbound
    async def keep_reply(self, reply: MediaReply, *, user_id: str, session_id: str) -> dict:
        """Fetch a chatbot's file through the guard, check it, keep it: the reply's fields (with
        its row id). MediaFailure when it cannot be sent."""
        largest = self.limits.largest
        try:
            answer = await self._fetch.get(user_id, reply.url, deadline_s=FETCH_DEADLINE_S, max_bytes=largest)
        except EndpointFailure as exc:
            code = failures.MEDIA_TOO_LARGE if exc.code == "too_large" else failures.MEDIA_UNREACHABLE
            raise MediaFailure(f"the chatbot's {reply.type} could not be fetched: {exc}", code) from exc
        if answer.status != 200 or not answer.body:
            raise MediaFailure(
                f"the chatbot's {reply.type} URL answered HTTP {answer.status}", failures.MEDIA_UNREACHABLE
            )
        data = answer.body
        try:
            verdict = classify(
                data[:SNIFF_BYTES],
                len(data),
                wanted=reply.type,
                limits=self.limits,
                tail=data[-VIDEO_TAIL_BYTES:],
            )
            if verdict.type == "ptt" and not verdict.mime.startswith(VOICE_MIME):
                data = await asyncio.to_thread(to_voice_note, data)
                verdict = classify(data[:SNIFF_BYTES], len(data), wanted="ptt", limits=self.limits)
        except MediaRejected as exc:
            code = failures.MEDIA_TOO_LARGE if exc.code == "media_too_large" else failures.MEDIA_NOT_SUPPORTED
            raise MediaFailure(f"the chatbot's {reply.type}: {exc.message}", code) from exc
        row_id = str(uuid.uuid4())
        key = message_key(user_id, session_id, row_id)
        sha256 = await asyncio.to_thread(self.store.put, key, data, verdict.mime)
        return {
            "id": row_id,
            "type": verdict.type,
            "text": reply.caption,
            "media_key": key,
            "media_mime": verdict.mime,
            "media_size": len(data),
            "media_sha256": sha256,
            "media_filename": reply.filename
            or filename_of_url(reply.url)
            or default_filename(verdict.type, verdict.mime),
        }

    async def file_to_send(self, row: dict) -> tuple[bytes, dict]:
        """The bytes of an outbound file, and the row's fields when they changed (a voice note that
        was not OGG/Opus, converted here and kept in its place)."""
        data = await asyncio.to_thread(self.store.get, row["media_key"])
        if row["type"] != "ptt" or str(row.get("media_mime") or "").startswith(VOICE_MIME):
            return data, {}
        try:
            data = await asyncio.to_thread(to_voice_note, data)
        except MediaRejected as exc:
            raise MediaFailure(f"the voice note: {exc.message}", failures.MEDIA_NOT_SUPPORTED) from exc
        await asyncio.to_thread(self.store.put, row["media_key"], data, VOICE_MIME)
        return data, {"media_mime": VOICE_MIME, "media_size": len(data), "media_sha256": sha256_hex(data)}


__all__ = ["MEDIA_TYPES", "MediaFailure", "MediaReply", "RunnerMedia", "contact_of", "location_of"]
