"""Media as WhatsApp moves it: encrypted blobs on a CDN, each message carrying the key to its blob.

A sender picks a random 32-byte `mediaKey`, expands it with HKDF-SHA256 (112 bytes, info
"WhatsApp <Image|Video|Audio|Document> Keys") into iv (16), cipherKey (32) and macKey (32), encrypts
the plain bytes with AES-256-CBC and appends the first 10 bytes of HMAC-SHA256(macKey, iv +
ciphertext). The blob goes to the CDN under a `directPath`; the message carries `directPath`,
`mediaKey`, `filehash` (base64 SHA-256 of the plain bytes) and `encFilehash` (of the blob). The page
does the same in WebCrypto (`static/media_crypto.js`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import secrets
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from simulator.errors import InvalidRequest

MEDIA_TYPES = ("image", "video", "audio", "ptt", "document", "sticker")
KEY_INFO = {
    "image": b"WhatsApp Image Keys",
    "sticker": b"WhatsApp Image Keys",
    "video": b"WhatsApp Video Keys",
    "gif": b"WhatsApp Video Keys",
    "audio": b"WhatsApp Audio Keys",
    "ptt": b"WhatsApp Audio Keys",
    "document": b"WhatsApp Document Keys",
}
MAC_LENGTH = 10
MAX_MEDIA_BYTES = 16 * 1024 * 1024
DEFAULT_DURATION_S = 5
"""`duration` of audio, voice notes and videos when the control API gives none (nothing is decoded)."""
DEFAULT_MIME = {"sticker": "image/webp", "ptt": "audio/ogg; codecs=opus"}
# A 1x1 JPEG: the thumbnail of media Pillow cannot read (audio, documents, video) and of locations.
FALLBACK_THUMBNAIL = (
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcp"
    "LDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAA"
    "D/2gAIAQEAAD8AVN//2Q=="
)


class MediaDecryptError(Exception):
    """A blob that does not decrypt with the key given (wrong key, wrong type, or tampered)."""


@dataclass
class MediaFile:
    """Plain media bytes with what a recipient is told about them."""

    data: bytes
    mime: str
    filename: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def to_json(self) -> dict:
        return {"mime": self.mime, "filename": self.filename, "size": len(self.data), "sha256": self.sha256}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def expand_media_key(media_key: bytes, media_type: str) -> tuple[bytes, bytes, bytes]:
    """(iv, cipher key, mac key) from a mediaKey, as WhatsApp expands it for that media type."""
    info = KEY_INFO.get(media_type)
    if info is None:
        raise ValueError(f"no media keys for type {media_type!r}")
    expanded = HKDF(algorithm=hashes.SHA256(), length=112, salt=None, info=info).derive(media_key)
    return expanded[:16], expanded[16:48], expanded[48:80]


def encrypt_media(plain: bytes, media_key: bytes, media_type: str) -> bytes:
    """The blob a sender uploads: AES-256-CBC ciphertext and the 10-byte truncated HMAC."""
    iv, cipher_key, mac_key = expand_media_key(media_key, media_type)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    mac = hmac.new(mac_key, iv + ciphertext, hashlib.sha256).digest()[:MAC_LENGTH]
    return ciphertext + mac


def decrypt_media(blob: bytes, media_key: bytes, media_type: str) -> bytes:
    """The plain bytes of an uploaded blob; MediaDecryptError when its MAC or padding is wrong."""
    iv, cipher_key, mac_key = expand_media_key(media_key, media_type)
    ciphertext, mac = blob[:-MAC_LENGTH], blob[-MAC_LENGTH:]
    expected = hmac.new(mac_key, iv + ciphertext, hashlib.sha256).digest()[:MAC_LENGTH]
    if len(blob) <= MAC_LENGTH or not hmac.compare_digest(mac, expected) or len(ciphertext) % 16:
        raise MediaDecryptError("the media's MAC does not match its key")
    decryptor = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise MediaDecryptError("the media's padding is wrong") from exc


def new_direct_path() -> str:
    """A CDN path shaped like WhatsApp's (`/v/t62.7118-24/<n>_<n>_n.enc?ccb=11-4&oh=…&oe=…`)."""
    expires = f"{int(time.time()) + 14 * 86400:X}"
    name = f"{secrets.randbelow(10**17)}_{secrets.randbelow(10**17)}_n.enc"
    return f"/v/t62.7118-24/{name}?ccb=11-4&oh=01_{secrets.token_urlsafe(24)}&oe={expires}"


def path_of(direct_path: str) -> str:
    """The CDN key of a directPath (without its query)."""
    return direct_path.split("?", 1)[0]


def thumbnail_b64(media: MediaFile) -> str:
    """A base64 JPEG thumbnail (at most 96 px) of an image or sticker; the 1x1 fallback otherwise."""
    if not media.mime.startswith("image/"):
        return FALLBACK_THUMBNAIL
    try:
        from PIL import Image

        with Image.open(io.BytesIO(media.data)) as image:
            image.thumbnail((96, 96))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=60)
            return b64(out.getvalue())
    except Exception:  # any unreadable image gets the fallback, as the app shows a grey box
        return FALLBACK_THUMBNAIL


@dataclass
class Blob:
    """One file on the CDN: encrypted bytes and whose message it belongs to (for the media fault)."""

    data: bytes
    media_type: str
    numbers: set[str] = field(default_factory=set)


class MediaStore:
    """The CDN: encrypted blobs by path (without the directPath's query)."""

    def __init__(self) -> None:
        self._blobs: dict[str, Blob] = {}

    def put(self, direct_path: str, blob: Blob) -> None:
        self._blobs[path_of(direct_path)] = blob

    def get(self, direct_path: str) -> Blob | None:
        return self._blobs.get(path_of(direct_path))

    def upload(self, media: MediaFile, media_type: str, numbers: set[str]) -> dict:
        """Encrypt `media` under a new key and keep it: the fields a message carries for it."""
        media_key = secrets.token_bytes(32)
        blob = encrypt_media(media.data, media_key, media_type)
        direct_path = new_direct_path()
        self.put(direct_path, Blob(blob, media_type, numbers))
        return {
            "mimetype": media.mime,
            "size": len(media.data),
            "filehash": b64(hashlib.sha256(media.data).digest()),
            "encFilehash": b64(hashlib.sha256(blob).digest()),
            "mediaKey": b64(media_key),
            "mediaKeyTimestamp": int(time.time()),
            "directPath": direct_path,
            "filename": media.filename,
        }


def parse_media(value: object, media_type: str) -> MediaFile:
    """The control API's `media: {data_b64, mime, filename?}` for a message of `media_type`."""
    if not isinstance(value, dict):
        raise InvalidRequest("invalid_media", f"a {media_type} message needs media: {{data_b64, mime}}")
    data_b64, mime, filename = value.get("data_b64"), value.get("mime"), value.get("filename")
    if not isinstance(data_b64, str) or not data_b64:
        raise InvalidRequest("invalid_media", "media.data_b64 must be the file's bytes in base64")
    try:
        data = base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("invalid_media", "media.data_b64 is not valid base64") from exc
    if not data or len(data) > MAX_MEDIA_BYTES:
        raise InvalidRequest("invalid_media", f"media must be 1 byte to {MAX_MEDIA_BYTES} bytes")
    if not isinstance(mime, str) or "/" not in mime:
        raise InvalidRequest("invalid_media", "media.mime must be a MIME type, e.g. image/jpeg")
    if filename is not None and (not isinstance(filename, str) or not filename):
        raise InvalidRequest("invalid_media", "media.filename must be a non-empty string")
    if media_type == "sticker" and mime != "image/webp":
        raise InvalidRequest("invalid_media", "a sticker is an image/webp")
    return MediaFile(data, mime, filename)


def parse_location(value: object) -> dict:
    """The control API's `location: {latitude, longitude, name?, address?}`."""
    if not isinstance(value, dict):
        raise InvalidRequest("invalid_location", "a location message needs location: {latitude, longitude}")
    lat, lng = value.get("latitude"), value.get("longitude")
    for label, number, limit in (("latitude", lat, 90), ("longitude", lng, 180)):
        if isinstance(number, bool) or not isinstance(number, int | float) or abs(number) > limit:
            raise InvalidRequest("invalid_location", f"location.{label} must be a number within ±{limit}")
    texts = {key: value.get(key) for key in ("name", "address")}
    if any(text is not None and not isinstance(text, str) for text in texts.values()):
        raise InvalidRequest("invalid_location", "location.name and location.address must be strings")
    return {"latitude": lat, "longitude": lng, **texts}


def parse_vcard(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("BEGIN:VCARD") or "END:VCARD" not in value:
        raise InvalidRequest("invalid_vcard", "vcard must be a vCard text (BEGIN:VCARD ... END:VCARD)")
    return value


def vcard_formatted_name(vcard: str) -> str | None:
    for line in vcard.splitlines():
        if line.upper().startswith("FN:") or line.upper().startswith("FN;"):
            return line.split(":", 1)[1].strip() or None
    return None
