"""Media at the API: uploads before a send, a send's file checked and stored, and a stored file
handed to its owner as a short-lived URL.

A file is judged by its bytes (wagate/media.py), never its name or declared type, and nothing is
written before it passed: a send with a bad file answers 4xx (`media_too_large`,
`media_type_not_supported`, `media_unreachable`, `media_not_found`) and leaves no row and no
object. A file sent is copied to its message's own key (`media/{user}/{session}/{row}`), so the
history keeps what the customer got whatever happens to the upload.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from wagate.auth import Principal
from wagate.endpoints import EndpointFailure, GuardedClients, check_endpoint
from wagate.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia
from wagate.media import (
    MAX_FILENAME,
    MEDIA_TYPES,
    SNIFF_BYTES,
    VIDEO_TAIL_BYTES,
    MediaLimits,
    MediaRejected,
    MediaVerdict,
    classify,
    default_filename,
    filename_of_url,
    plain_filename,
)
from wagate.media_store import MediaStore, message_key, upload_key
from wagate.store import MEDIA_UPLOADS, MESSAGES, Row, Store, eq, not_null
from wagate.validation import BodySchema, Field, is_uuid

log = logging.getLogger("wagate.media")

MEDIA_URL_DEADLINE_S = 60.0


def _mime_field(name: str, value: Any) -> str:
    if not isinstance(value, str) or "/" not in value or len(value) > 127 or not value.isprintable():
        raise InvalidInput(f"{name!r} must be a mime type such as 'image/jpeg'", code="invalid_mime")
    return value.strip().lower()


def filename_field(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FILENAME:
        raise InvalidInput(
            f"{name!r} must be a file name of 1-{MAX_FILENAME} characters", code="invalid_filename"
        )
    if plain_filename(value) is None:
        raise InvalidInput(
            f"{name!r} must be a plain file name (no path, no control characters)", code="invalid_filename"
        )
    return value.strip()


def _size_field(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(
            f"{name!r} must be the file's size in bytes (a positive integer)", code="invalid_size"
        )
    return value


def media_type_field(name: str, value: Any) -> str:
    if value not in MEDIA_TYPES:
        raise UnsupportedMedia(
            f"{name!r} must be one of {', '.join(MEDIA_TYPES)}", code="media_type_not_supported"
        )
    return value


UPLOAD_BODY = BodySchema(
    (
        Field("mime", _mime_field),
        Field("filename", filename_field, required=False),
        Field("size", _size_field),
    )
)


def _rejected(exc: MediaRejected) -> Exception:
    if exc.code == "media_too_large":
        return PayloadTooLarge(exc.message, code=exc.code)
    if exc.code == "media_type_not_supported":
        return UnsupportedMedia(exc.message, code=exc.code)
    return InvalidInput(exc.message, code=exc.code)


def media_fields(verdict: MediaVerdict, *, key: str, size: int, sha256: str, filename: str | None) -> Row:
    """The row's media columns for a stored file."""
    return {
        "type": verdict.type,
        "media_key": key,
        "media_mime": verdict.mime,
        "media_size": size,
        "media_sha256": sha256,
        "media_filename": filename or default_filename(verdict.type, verdict.mime),
    }


class MediaApi:
    def __init__(
        self,
        *,
        store: Store,
        media: MediaStore,
        limits: MediaLimits,
        admit: Callable[[Principal], None],
        allow_private_endpoints: bool,
    ) -> None:
        self.store = store
        self.media = media
        self.limits = limits
        self._admit = admit
        self.allow_private_endpoints = allow_private_endpoints

    # ------------------------------------------------------------------ uploads
    def create_upload(self, user: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
        fields = UPLOAD_BODY.validate(body)
        largest = self.limits.largest
        if fields["size"] > largest:
            raise PayloadTooLarge(
                f"a file may be at most {largest} bytes (a document); this one is {fields['size']}",
                code="media_too_large",
            )
        self._admit(user)
        (row,) = self.store.insert(
            MEDIA_UPLOADS,
            {
                "user_id": user.user_id,
                "mime": fields["mime"],
                "filename": fields.get("filename"),
                "size": fields["size"],
            },
        )
        return {
            "media_id": row["id"],
            "upload_url": self.media.upload_url(upload_key(user.user_id, row["id"])),
            "method": "PUT",
            "expires_in": self.media.url_ttl_s,
        }

    # ------------------------------------------------------------------ sends
    def store_for_send(
        self,
        user: Principal,
        session: Row,
        row_id: str,
        *,
        media_id: str | None = None,
        media_url: str | None = None,
        wanted: str | None = None,
    ) -> Row:
        """Check the file and store it under the message's key; the row's media columns. Raises
        4xx errors before anything is written."""
        key = message_key(user.user_id, session["id"], row_id)
        if media_id is not None:
            return self._from_upload(user, media_id, key, wanted)
        assert media_url is not None
        return self._from_url(user, media_url, key, wanted)

    def _from_upload(self, user: Principal, media_id: str, key: str, wanted: str | None) -> Row:
        missing = NotFound("no such media: upload it first with POST /api/media", code="media_not_found")
        upload = (
            self.store.select_one(
                MEDIA_UPLOADS, where={"id": eq(media_id.lower()), "user_id": eq(user.user_id)}
            )
            if is_uuid(media_id)
            else None
        )
        if upload is None:
            raise missing
        source = upload_key(user.user_id, upload["id"])
        size = self.media.head(source)
        if size is None:
            raise NotFound("nothing was uploaded to this media_id's upload_url yet", code="media_not_found")
        head = self.media.head_bytes(source, SNIFF_BYTES)
        # a video's index (moov) may be at its end: read there too, only for what may be a video
        maybe_video = wanted in (None, "video") and size > SNIFF_BYTES
        tail = self.media.tail_bytes(source, VIDEO_TAIL_BYTES) if maybe_video else b""
        try:
            verdict = classify(head, size, wanted=wanted, limits=self.limits, tail=tail)
        except MediaRejected as exc:
            raise _rejected(exc) from exc
        self.media.copy(source, key, verdict.mime)
        sha256 = self.media.sha256_of(key)
        return media_fields(verdict, key=key, size=size, sha256=sha256, filename=upload.get("filename"))

    def _from_url(self, user: Principal, url: str, key: str, wanted: str | None) -> Row:
        check_endpoint(url, allow_private=self.allow_private_endpoints)
        data = asyncio.run(self._fetch(user.user_id, url))
        try:
            verdict = classify(
                data[:SNIFF_BYTES],
                len(data),
                wanted=wanted,
                limits=self.limits,
                tail=data[-VIDEO_TAIL_BYTES:],
            )
        except MediaRejected as exc:
            raise _rejected(exc) from exc
        sha256 = self.media.put(key, data, verdict.mime)
        return media_fields(verdict, key=key, size=len(data), sha256=sha256, filename=filename_of_url(url))

    async def _fetch(self, tenant: str, url: str) -> bytes:
        largest = self.limits.largest
        clients = GuardedClients(
            allow_private=self.allow_private_endpoints, per_tenant=1, user_agent="wagate"
        )
        try:
            answer = await clients.get(tenant, url, deadline_s=MEDIA_URL_DEADLINE_S, max_bytes=largest)
        except EndpointFailure as exc:
            if exc.code == "too_large":
                raise PayloadTooLarge(
                    f"the file at media_url is larger than {largest} bytes", code="media_too_large"
                ) from exc
            raise InvalidInput(f"media_url could not be fetched: {exc}", code="media_unreachable") from exc
        finally:
            await clients.aclose()
        if answer.status != 200:
            raise InvalidInput(f"media_url answered HTTP {answer.status}", code="media_unreachable")
        if not answer.body:
            raise UnsupportedMedia("the file at media_url is empty", code="media_type_not_supported")
        return answer.body

    # ------------------------------------------------------------------ reading
    def link(self, user: Principal, message_id: str) -> dict[str, Any]:
        """A stored message's file as a short-lived URL, for its owner only."""
        row = None
        if is_uuid(message_id):
            self._admit(user)
            row = self.store.select_one(
                MESSAGES,
                where={"id": eq(message_id.lower()), "user_id": eq(user.user_id), "media_key": not_null()},
                columns="media_key,media_mime,media_size,media_filename",
            )
        if row is None:
            raise NotFound("no such message with a file", code="message_not_found")
        return {
            "url": self.media.download_url(
                row["media_key"], filename=row["media_filename"], mime=row["media_mime"]
            ),
            "expires_in": self.media.url_ttl_s,
            "mime": row["media_mime"],
            "size": row["media_size"],
            "filename": row["media_filename"],
        }
