"""Media judged by its bytes, never its name: what a file really is, which WhatsApp message type it
can be, and whether it fits WhatsApp's limits.

Importable anywhere (the API lambda included): only the standard library is imported here, and
`puremagic` (the fallback sniffer) inside the function that needs it. Conversion and samples, which
need PyAV (FFmpeg, only in the runner image), Pillow and fpdf2, are in wagate/media_av.py.

Errors: `MediaRejected` (an `InvalidInput`, so a 400) with `code` one of `REJECTION_CODES`;
`MediaTooLarge` (also a `PayloadTooLarge`, so a 413) for `media_too_large`.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import struct
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import unquote, urlsplit

from wagate.errors import ConfigError, InvalidInput, PayloadTooLarge

MEDIA_TYPES = ("image", "ptt", "audio", "video", "document", "sticker")
MESSAGE_TYPES = ("chat", *MEDIA_TYPES, "location", "vcard")
REJECTION_CODES = ("media_too_large", "media_type_not_supported", "media_empty")

VOICE_MIME = "audio/ogg; codecs=opus"
IMAGE_MIMES = frozenset({"image/jpeg", "image/png"})
AUDIO_MIMES = frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", VOICE_MIME})
# A voice note is converted to OGG/Opus before sending (`to_voice_note`), so it may also start as
# any of these, which WhatsApp would not take as plain audio.
VOICE_SOURCE_MIMES = AUDIO_MIMES | {"audio/ogg; codecs=vorbis", "audio/wav", "audio/flac", "audio/amr-wb"}
VIDEO_MIMES = frozenset({"video/mp4"})
STICKER_MIMES = frozenset({"image/webp"})
# A runner's CPU guard: a few KB of tenant bytes may decode to hours of audio.
VOICE_NOTE_MAX_SECONDS = 60 * 60
SNIFF_BYTES = 64 * 2**10  # what callers should pass to sniff_mime/classify when they have it


@dataclass(frozen=True)
class MediaLimits:
    """Largest accepted size per type, in bytes; WhatsApp's own limits by default."""

    image: int = 5 * 2**20
    audio: int = 16 * 2**20  # also ptt
    video: int = 16 * 2**20
    document: int = 100 * 2**20
    sticker_static: int = 100 * 2**10
    sticker_animated: int = 500 * 2**10

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MediaLimits:
        """`WAGATE_MEDIA_MAX_<FIELD>_BYTES` (e.g. `WAGATE_MEDIA_MAX_IMAGE_BYTES`); unset or empty
        keeps the default; anything but a positive integer is a ConfigError naming the key."""
        env = os.environ if env is None else env
        values: dict[str, int] = {}
        for field in fields(cls):
            key = f"WAGATE_MEDIA_MAX_{field.name.upper()}_BYTES"
            raw = env.get(key, "").strip()
            if not raw:
                continue
            try:
                values[field.name] = int(raw)
            except ValueError:
                raise ConfigError(f"{key} must be a number of bytes, not {raw!r}") from None
            if values[field.name] <= 0:
                raise ConfigError(f"{key} must be a positive number of bytes, not {raw!r}")
        return cls(**values)

    @property
    def largest(self) -> int:
        """The largest file of any type (what an upload or a fetch may be at most)."""
        return max(self.image, self.audio, self.video, self.document, self.sticker_animated)

    def limit_for(self, type: str, *, animated: bool = False) -> int:
        _check_media_type(type)
        if type == "sticker":
            return self.sticker_animated if animated else self.sticker_static
        return getattr(self, "audio" if type == "ptt" else type)


class MediaRejected(InvalidInput):
    """Media wagate will not send as asked. `code`: media_too_large, media_type_not_supported or
    media_empty; `message`: plain English for the API's error body."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class MediaTooLarge(MediaRejected, PayloadTooLarge):
    def __init__(self, message: str) -> None:
        super().__init__("media_too_large", message)


@dataclass(frozen=True)
class MediaVerdict:
    type: str  # one of MEDIA_TYPES, what WhatsApp will show
    mime: str  # sniffed from the bytes
    extension: str  # without the dot


# --- sniffing -------------------------------------------------------------------------------------

_OOXML = (
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
_OLE_STREAMS = (  # directory entry names (UTF-16) of the legacy Office formats
    ("WordDocument", "application/msword"),
    ("Workbook", "application/vnd.ms-excel"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint"),
)
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V ",
               b"MSNV", b"mmp4", b"f4v "}  # fmt: skip
_OGG_CODECS = ((b"OpusHead", VOICE_MIME), (b"\x01vorbis", "audio/ogg; codecs=vorbis"),
               (b"\x7fFLAC", "audio/ogg; codecs=flac"), (b"\x80theora", "video/ogg"))  # fmt: skip


def sniff_mime(head: bytes) -> str | None:
    """The real type of a file from its first bytes (pass at least 4 KiB, `SNIFF_BYTES` when
    available); None when unknown."""
    head = bytes(head[:SNIFF_BYTES])
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"RIFF"):
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(head[8:12])
    if head.startswith(b"OggS"):
        return _sniff_ogg(head)
    if head.startswith(b"#!AMR\n"):
        return "audio/amr"
    if head.startswith(b"#!AMR-WB\n"):
        return "audio/amr-wb"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[4:8] == b"ftyp":
        return _sniff_iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"ID3") or _mpeg_audio_kind(head, 0):
        return _sniff_mpeg_audio(head)
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(head)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        found = (mime for name, mime in _OLE_STREAMS if name.encode("utf-16-le") in head)
        return next(found, "application/x-ole-storage")
    if head.startswith(b"{\\rtf"):
        return "application/rtf"
    return _sniff_other(head)


def is_animated_webp(head: bytes) -> bool:
    """True for a WebP whose extended header (VP8X) sets the animation flag."""
    return head[:4] == b"RIFF" and head[8:16] == b"WEBPVP8X" and len(head) > 20 and bool(head[20] & 0x02)


def _sniff_ogg(head: bytes) -> str:
    if len(head) > 27:
        payload = head[27 + head[26] :]  # after the first page's header and segment table
        for magic, mime in _OGG_CODECS:
            if payload.startswith(magic):
                return mime
    return "application/ogg"


def _sniff_iso_media(head: bytes) -> str | None:
    brand = head[8:12]
    if brand in (b"M4A ", b"M4B "):
        return "audio/mp4"
    if brand in _MP4_BRANDS:
        return "video/mp4"
    if brand == b"qt  ":
        return "video/quicktime"
    if brand.startswith(b"3g2"):
        return "video/3gpp2"
    if brand.startswith(b"3gp"):
        return "video/3gpp"
    if brand in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    if brand in (b"avif", b"avis"):
        return "image/avif"
    return None


_MP3_KBPS = {  # Layer III bitrates by MPEG version (1; 2 and 2.5)
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mpeg_audio_kind(head: bytes, at: int) -> str | None:
    """ "mp3" or "adts" when a valid frame header starts at `at` and, when the next one lies within
    `head`, it is valid too (one lone sync word is too weak a sign)."""
    kind, length = _frame_header(head, at)
    if kind is None:
        return None
    nxt = at + length
    if nxt + 4 <= len(head) and _frame_header(head, nxt)[0] != kind:
        return None
    return kind


def _frame_header(head: bytes, at: int) -> tuple[str | None, int]:
    if len(head) < at + 7 or head[at] != 0xFF:
        return None, 0
    b1, b2 = head[at + 1], head[at + 2]
    if b1 & 0xF6 == 0xF0:  # ADTS: 12-bit sync, layer 00; the frame length is in the header
        length = ((head[at + 3] & 0x03) << 11) | (head[at + 4] << 3) | (head[at + 5] >> 5)
        return ("adts", length) if length >= 7 and (b2 >> 2) & 0x0F < 13 else (None, 0)
    version, layer, bitrate, rate = (b1 >> 3) & 3, (b1 >> 1) & 3, b2 >> 4, (b2 >> 2) & 3
    if b1 & 0xE0 != 0xE0 or version == 1 or layer != 1 or bitrate in (0, 15) or rate == 3:
        return None, 0
    kbps = _MP3_KBPS[1 if version == 3 else 2][bitrate]
    per_frame = 144 if version == 3 else 72
    return "mp3", per_frame * kbps * 1000 // _MP3_RATES[version][rate] + ((b2 >> 1) & 1)


def _sniff_mpeg_audio(head: bytes) -> str | None:
    at = 0
    if head.startswith(b"ID3") and len(head) >= 10:
        size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
        at = 10 + size + (10 if head[5] & 0x10 else 0)
        while at < len(head) and head[at] == 0:  # padding some taggers leave after the tag
            at += 1
        if at + 4 > len(head):
            return "audio/mpeg"  # the tag (cover art, say) is longer than what we were given
    return {"mp3": "audio/mpeg", "adts": "audio/aac"}.get(_mpeg_audio_kind(head, at) or "")


def _sniff_zip(head: bytes) -> str:
    if head[30:38] == b"mimetype":  # ODF and EPUB store their type first, uncompressed
        (length,) = struct.unpack_from("<I", head, 18)
        declared = head[38 : 38 + min(length, 100)]
        if declared.startswith(b"application/"):
            return declared.decode("ascii", "replace")
    if b"[Content_Types].xml" in head:  # Office Open XML: its parts' folder names the application
        return next((mime for folder, mime in _OOXML if folder in head), "application/zip")
    return "application/zip"


def _sniff_other(head: bytes) -> str | None:
    guesses = _puremagic_guesses(head)
    confident = next((mime for mime, confidence in guesses if confidence >= 0.5), None)
    if confident:
        return confident
    if _looks_like_text(head):
        return "text/plain"
    return guesses[0][0] if guesses else None


def _puremagic_guesses(head: bytes) -> list[tuple[str, float]]:
    try:
        import puremagic
    except ImportError:  # a package without it (say, a lambda bundle) only names documents less finely
        return []
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return []
    # the types WhatsApp takes as media are named by the rules above alone: puremagic also takes, say,
    # a lone MPEG sync word for an MP3
    media_mimes = IMAGE_MIMES | STICKER_MIMES | VIDEO_MIMES | {m.split(";")[0] for m in VOICE_SOURCE_MIMES}
    return [(m.mime_type, m.confidence) for m in matches if m.mime_type and m.mime_type not in media_mimes]


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte order mark
        return True
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data":  # only a character cut off at the end is fine
            return False
        text = head[: exc.start].decode("utf-8")
    return not any(ord(c) < 32 and c not in "\t\n\r\f\x1b" for c in text)


# --- rules ----------------------------------------------------------------------------------------

_ACCEPTED = {
    "image": (IMAGE_MIMES, "an image", "JPEG or PNG"),
    "audio": (AUDIO_MIMES, "an audio file", "AAC, AMR, MP3, M4A or OGG/Opus"),
    "ptt": (VOICE_SOURCE_MIMES, "a voice note", "AAC, AMR, MP3, M4A, OGG, WAV or FLAC audio"),
    "video": (VIDEO_MIMES, "a video", "MP4"),
    "sticker": (STICKER_MIMES, "a sticker", "WebP"),
}


def classify(
    head: bytes,
    size: int,
    *,
    wanted: str | None = None,
    voice: bool = False,
    limits: MediaLimits = MediaLimits(),
    tail: bytes = b"",
) -> MediaVerdict:
    """The message type WhatsApp should show for a file of `size` bytes starting with `head`
    (`SNIFF_BYTES` of it when available), or MediaRejected. `wanted` None infers the type from
    the bytes; `voice` asks for a voice note (ptt). A video's codecs are checked in its `moov` box,
    found in `head` or in `tail` (the file's last VIDEO_TAIL_BYTES)."""
    if wanted is not None:
        _check_media_type(wanted)
    if size <= 0:
        raise MediaRejected("media_empty", "the file is empty")
    if voice:
        if wanted not in (None, "audio", "ptt"):
            raise MediaRejected("media_type_not_supported", f"a voice note is audio, not {_noun(wanted)}")
        wanted = "ptt"
    mime = sniff_mime(head)
    media_type = wanted or _infer_type(mime)
    if media_type in _ACCEPTED:
        accepted, noun, kinds = _ACCEPTED[media_type]
        if mime not in accepted:
            raise MediaRejected(
                "media_type_not_supported", f"{noun} must be {kinds}; these bytes are {_describe(mime)}"
            )
    animated = media_type == "sticker" and is_animated_webp(head)
    limit = limits.limit_for(media_type, animated=animated)
    if size > limit:
        noun = ("an animated" if animated else "a static") + " sticker" if media_type == "sticker" else None
        largest, this_one = _human_sizes(limit, size)
        raise MediaTooLarge(f"{noun or _noun(media_type)} may be at most {largest}; this one is {this_one}")
    if media_type == "video":
        check_video_codecs(head, tail)
    mime = mime or "application/octet-stream"
    return MediaVerdict(type=media_type, mime=mime, extension=extension_for(mime))


VIDEO_TAIL_BYTES = 512 * 2**10  # where a video not made for streaming keeps its `moov` box


def check_video_codecs(head: bytes, tail: bytes = b"") -> None:
    """WhatsApp plays MP4 with H.264 video and AAC sound: the sample entries (`avc1`/`avc3`,
    `mp4a`) of the tracks in the `moov` box, at the file's start (made for streaming) or its end.
    A `moov` out of both windows cannot be read here and passes."""
    for window in (head, tail):
        at = window.find(b"moov")
        if at < 0:
            continue
        boxes = window[at:]
        if b"avc1" not in boxes and b"avc3" not in boxes:
            raise MediaRejected("media_type_not_supported", "a video must be H.264 (MP4 with avc1 video)")
        if b"soun" in boxes and b"mp4a" not in boxes:
            raise MediaRejected("media_type_not_supported", "a video's sound must be AAC (mp4a)")
        return


def _infer_type(mime: str | None) -> str:
    if mime in IMAGE_MIMES:
        return "image"
    if mime in STICKER_MIMES:
        return "sticker"
    if mime in AUDIO_MIMES:
        return "audio"
    if mime in VIDEO_MIMES:
        return "video"
    return "document"


def _check_media_type(type: str) -> None:
    if type not in MEDIA_TYPES:
        raise MediaRejected(
            "media_type_not_supported", f"{type!r} is not a media type; use one of {', '.join(MEDIA_TYPES)}"
        )


def _noun(type: str) -> str:
    return _ACCEPTED[type][1] if type in _ACCEPTED else "a document"


def _describe(mime: str | None) -> str:
    return f"{mime} ({extension_for(mime).upper()})" if mime else "of a type wagate does not recognise"


def _human_sizes(limit: int, size: int) -> tuple[str, str]:
    """'5 MB' and '7.2 MB'; exact bytes when rounding would make both look the same."""
    largest, this_one = _human(limit), _human(size)
    return (largest, this_one) if largest != this_one else (f"{limit} bytes", f"{size} bytes")


def _human(n: int) -> str:
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


# --- names and hashes -----------------------------------------------------------------------------

_EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif",
    "image/heic": "heic", "image/avif": "avif", "audio/ogg": "ogg", "application/ogg": "ogg",
    "audio/mpeg": "mp3", "audio/aac": "aac", "audio/amr": "amr", "audio/amr-wb": "awb",
    "audio/mp4": "m4a", "audio/wav": "wav", "audio/flac": "flac", "video/mp4": "mp4",
    "video/ogg": "ogv", "video/webm": "webm", "video/x-matroska": "mkv", "video/quicktime": "mov",
    "video/3gpp": "3gp", "video/3gpp2": "3g2", "video/x-msvideo": "avi", "application/pdf": "pdf",
    "text/plain": "txt", "text/html": "html", "text/csv": "csv", "application/zip": "zip",
    "application/rtf": "rtf", "application/msword": "doc", "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt", "application/epub+zip": "epub",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/octet-stream": "bin", "application/x-ole-storage": "bin",
    **dict(zip((mime for _, mime in _OOXML), ("docx", "xlsx", "pptx"), strict=True)),
}  # fmt: skip
_STEMS = {"image": "image", "ptt": "voice", "audio": "audio", "video": "video", "sticker": "sticker"}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def extension_for(mime: str) -> str:
    """The usual extension (no dot) for a mime type, parameters ignored; "bin" when unknown."""
    base = mime.split(";", 1)[0].strip().lower()
    if base in _EXTENSIONS:
        return _EXTENSIONS[base]
    import mimetypes

    guessed = mimetypes.guess_extension(base)
    return guessed.lstrip(".") if guessed else "bin"


MAX_FILENAME = 240


def plain_filename(value: object) -> str | None:
    """`value` as a file name when it is one (1-MAX_FILENAME printable characters, no path), else None."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FILENAME:
        return None
    if any(ch in value for ch in "/\\\x00") or not value.isprintable():
        return None
    return value.strip()


def filename_of_url(url: str) -> str | None:
    """The last path segment of a URL, when it looks like a file name."""
    name = posixpath.basename(unquote(urlsplit(url).path))
    return plain_filename(name) if "." in name else None


def default_filename(type: str, mime: str, stem: str = "file") -> str:
    """A name for media that came without one: "image.jpg", "voice.ogg"; a document keeps `stem`
    ("file.pdf")."""
    name = _STEMS.get(type) or "".join(c for c in stem if c.isprintable() and c not in '/\\:*?"<>|')
    return f"{name.strip(' .') or 'file'}.{extension_for(mime)}"
