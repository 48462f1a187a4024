"""What a customer's message carries besides text: media (uploaded to the CDN here), a location or a
contact card, turned into the fields the page's Msg model gets (see README, "Media")."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from simulator.errors import InvalidRequest
from simulator.media import (
    DEFAULT_DURATION_S,
    DEFAULT_MIME,
    FALLBACK_THUMBNAIL,
    MEDIA_TYPES,
    MediaDecryptError,
    MediaFile,
    MediaStore,
    b64,
    decrypt_media,
    parse_location,
    parse_media,
    parse_vcard,
    thumbnail_b64,
    vcard_formatted_name,
)

TIMED_TYPES = ("audio", "ptt", "video")
# Media shown with a picture (the others' body is empty in WhatsApp Web).
PICTURED_TYPES = ("image", "video", "sticker", "document")


@dataclass
class Content:
    fields: dict = field(default_factory=dict)
    """Msg attributes for the page (`media`, `location`, `vcard` parts of the `msg` frame)."""
    media: MediaFile | None = None


def customer_content(
    kind: str,
    store: MediaStore,
    numbers: set[str],
    *,
    media: object = None,
    location: object = None,
    vcard: object = None,
) -> Content:
    """Check and prepare the content of a customer's message of type `kind`; media is encrypted and
    put on the CDN, its blob tagged with `numbers` (sender and recipient) for the media fault."""
    if kind in MEDIA_TYPES:
        file = parse_media(media, kind)
        uploaded = store.upload(file, kind, numbers)
        if kind in TIMED_TYPES:
            duration = media.get("duration", DEFAULT_DURATION_S) if isinstance(media, dict) else None
            if isinstance(duration, bool) or not isinstance(duration, int) or duration < 0:
                raise InvalidRequest("invalid_media", "media.duration must be whole seconds")
            uploaded["duration"] = duration
        if kind != "document":
            uploaded.pop("filename")
        thumbnail = thumbnail_b64(file) if kind in PICTURED_TYPES else ""
        return Content({"media": {**uploaded, "body": thumbnail}}, file)
    if media is not None:
        raise InvalidRequest("invalid_media", f"a {kind} message has no media")
    if kind == "location":
        return Content({"location": {**parse_location(location), "body": FALLBACK_THUMBNAIL}})
    if location is not None:
        raise InvalidRequest("invalid_location", f"a {kind} message has no location")
    if kind == "vcard":
        text = parse_vcard(vcard)
        return Content({"vcard": {"body": text, "vcardFormattedName": vcard_formatted_name(text)}})
    if vcard is not None:
        raise InvalidRequest("invalid_vcard", f"a {kind} message has no vcard")
    return Content()


class UnreadableMedia(Exception):
    """A linked device's media message whose blob is not on the CDN or does not decrypt."""


def device_media(store: MediaStore, data: dict) -> MediaFile:
    """The plain file of a media message a linked device sent: its uploaded blob, decrypted with the
    message's `mediaKey` as the customer's phone does (keys by the message's type)."""
    kind, direct_path, media_key = data.get("type"), data.get("directPath"), data.get("mediaKey")
    blob = store.get(direct_path) if isinstance(direct_path, str) else None
    if blob is None or not isinstance(media_key, str):
        raise UnreadableMedia(f"no uploaded blob at {direct_path!r} or no mediaKey")
    try:
        plain = decrypt_media(blob.data, base64.b64decode(media_key), str(kind))
    except (MediaDecryptError, ValueError, binascii.Error) as exc:
        raise UnreadableMedia(str(exc)) from exc
    filehash = data.get("filehash")
    if isinstance(filehash, str) and filehash != b64(hashlib.sha256(plain).digest()):
        raise UnreadableMedia("the plain bytes do not match the message's filehash")
    mime = data.get("mimetype") if isinstance(data.get("mimetype"), str) else DEFAULT_MIME.get(str(kind))
    filename = data.get("filename") if isinstance(data.get("filename"), str) else None
    return MediaFile(plain, mime or "application/octet-stream", filename)
