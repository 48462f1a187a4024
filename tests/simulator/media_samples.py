"""Small real files for media tests: a PNG, a WebP sticker, a WAV voice note, a PDF, video bytes."""

from __future__ import annotations

import hashlib
import io
import math
import struct
import wave

from PIL import Image


def png(color: tuple[int, int, int] = (200, 30, 30), size: int = 24) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, format="PNG")
    return out.getvalue()


def webp(size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (size, size), (20, 160, 90, 255)).save(out, format="WEBP")
    return out.getvalue()


def wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A 440 Hz tone, 16-bit mono: audio Chromium decodes (waveform, duration)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        frames = int(seconds * rate)
        tone = (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames))
        file.writeframes(b"".join(struct.pack("<h", sample) for sample in tone))
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def mp4_bytes() -> bytes:
    """Bytes labelled video/mp4 (the simulator moves them, never decodes them)."""
    return b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
