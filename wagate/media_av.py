"""Media through FFmpeg (PyAV) and Pillow, in the runner and the local stack only: voice notes
converted to OGG/Opus, a video's codecs, and real sample files (the local chatbot stand-in's
replies, tests, benches). What a file is, and the rules, are in wagate/media.py (the API's too).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from wagate.media import (
    SNIFF_BYTES,
    VOICE_MIME,
    VOICE_NOTE_MAX_SECONDS,
    VOICE_SOURCE_MIMES,
    MediaRejected,
    MediaTooLarge,
    sniff_mime,
)

# --- runner only: FFmpeg through PyAV -------------------------------------------------------------

# Tenant bytes reach only the FFmpeg demuxer their sniffed type names, never FFmpeg's probing
# (which would also try playlist demuxers that open other files and URLs).
_DEMUXERS = {
    "audio/mpeg": "mp3", "audio/aac": "aac", "audio/mp4": "mp4", "audio/amr": "amr",
    "audio/amr-wb": "amr", "audio/wav": "wav", "audio/flac": "flac", "audio/ogg; codecs=vorbis": "ogg",
    "audio/ogg; codecs=flac": "ogg", VOICE_MIME: "ogg", "video/mp4": "mp4", "video/quicktime": "mov",
    "video/3gpp": "mp4", "video/webm": "matroska", "video/x-matroska": "matroska",
}  # fmt: skip


def to_voice_note(data: bytes) -> bytes:
    """Audio (MP3, AAC, M4A, AMR, OGG/Vorbis, WAV, FLAC) as OGG/Opus, mono, 48 kHz: what WhatsApp
    plays as a voice note. OGG/Opus is returned unchanged."""
    mime = sniff_mime(data[:SNIFF_BYTES])
    if mime == VOICE_MIME:
        return data
    unreadable = MediaRejected("media_type_not_supported", "the voice note could not be read as audio")
    if mime not in VOICE_SOURCE_MIMES:
        raise unreadable
    av = _import_av()
    out = io.BytesIO()
    try:
        with av.open(io.BytesIO(data), "r", format=_DEMUXERS[mime]) as source:
            stream = next((s for s in source.streams if s.type == "audio"), None)
            if stream is None:
                raise unreadable
            with av.open(out, "w", format="ogg") as sink:
                opus = sink.add_stream("libopus", rate=48000, layout="mono")
                opus.bit_rate = 32000
                samples = _encode_all(sink, opus, _mono_48k(source.decode(stream), av))
    except av.FFmpegError as exc:
        raise unreadable from exc
    if not samples:
        raise unreadable
    return out.getvalue()


def _mono_48k(frames: Iterator[Any], av: Any) -> Iterator[Any]:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
    decoded = 0
    for frame in frames:
        decoded += frame.samples / frame.sample_rate
        if decoded > VOICE_NOTE_MAX_SECONDS:
            raise MediaTooLarge(f"a voice note may be at most {VOICE_NOTE_MAX_SECONDS // 60} minutes long")
        yield from resampler.resample(frame)
    yield from resampler.resample(None)


def _encode_all(sink: Any, stream: Any, frames: Iterator[Any]) -> int:
    samples = 0
    for frame in frames:
        frame.pts = samples
        samples += frame.samples
        sink.mux(stream.encode(frame))
    sink.mux(stream.encode(None))
    return samples


def probe_video(data: bytes) -> tuple[str | None, str | None]:
    """(video codec, audio codec) of a video's first streams, e.g. ("h264", "aac")."""
    mime = sniff_mime(data[:SNIFF_BYTES])
    unreadable = MediaRejected("media_type_not_supported", "the video could not be read")
    if mime not in _DEMUXERS or not mime.startswith("video/"):
        raise unreadable
    av = _import_av()
    try:
        with av.open(io.BytesIO(data), "r", format=_DEMUXERS[mime]) as container:
            video = next((s.codec_context.name for s in container.streams if s.type == "video"), None)
            audio = next((s.codec_context.name for s in container.streams if s.type == "audio"), None)
    except av.FFmpegError as exc:
        raise unreadable from exc
    return video, audio


def _import_av() -> Any:
    try:
        import av
    except ImportError as exc:  # the API lambda does not ship FFmpeg
        raise RuntimeError("PyAV is not installed here; media conversion runs in the runner") from exc
    return av


# --- samples: real files for the local chatbot stand-in and tests ---------------------------------


def sample_image(text: str = "wagate", *, size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG with `text` on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (37, 211, 102))
    ImageDraw.Draw(image).text((size[0] // 10, size[1] // 2), text, fill="white")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()


_AUDIO_SAMPLES = {  # kind -> (container, codec, sample rate, layout)
    "opus": ("ogg", "libopus", 48000, "mono"),
    "vorbis": ("ogg", "vorbis", 44100, "stereo"),  # FFmpeg's own Vorbis encoder: stereo only
    "mp3": ("mp3", "libmp3lame", 44100, "mono"),
    "aac": ("adts", "aac", 44100, "mono"),
    "m4a": ("ipod", "aac", 44100, "mono"),  # the "ipod" muxer writes the M4A brand
    "amr": ("amr", "libopencore_amrnb", 8000, "mono"),
    "wav": ("wav", "pcm_s16le", 16000, "mono"),
}
AUDIO_SAMPLE_KINDS = tuple(_AUDIO_SAMPLES)


def sample_audio(kind: str, seconds: float = 1.5) -> bytes:
    """A 440 Hz tone of `seconds` encoded as `kind` (one of AUDIO_SAMPLE_KINDS)."""
    import array
    import math

    container, codec, rate, layout = _AUDIO_SAMPLES[kind]
    av = _import_av()
    channels = 2 if layout == "stereo" else 1
    total = int(seconds * rate)
    out = io.BytesIO()
    with av.open(out, "w", format=container) as sink:
        stream = sink.add_stream(codec, rate=rate, layout=layout)
        if codec == "vorbis":
            stream.codec_context.options = {"strict": "experimental"}

        def frames() -> Iterator[Any]:
            for start in range(0, total, 1024):
                count = min(1024, total - start)
                wave = (int(8000 * math.sin(2 * math.pi * 440 * (start + i) / rate)) for i in range(count))
                pcm = array.array("h", (v for v in wave for _ in range(channels)))
                frame = av.AudioFrame(format="s16", layout=layout, samples=count)
                frame.planes[0].update(pcm.tobytes())
                frame.sample_rate = rate
                yield frame

        _encode_all(sink, stream, frames())
    return out.getvalue()


def sample_voice(seconds: float = 1.5) -> bytes:
    """An OGG/Opus tone, mono 48 kHz: a voice note as WhatsApp records one."""
    return sample_audio("opus", seconds)


def sample_audio_mp3(seconds: float = 1.5) -> bytes:
    return sample_audio("mp3", seconds)


def sample_document(title: str = "wagate") -> bytes:
    """A one-page PDF with `title` on it (same bytes for the same title)."""
    import datetime

    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    pdf.add_page()
    pdf.set_font("helvetica", size=24)
    pdf.cell(text=title)
    return bytes(pdf.output())


def sample_sticker(*, animated: bool = False) -> bytes:
    """A 512x512 WebP sticker; three frames when `animated`."""
    from PIL import Image, ImageDraw

    frames = []
    for i in range(3 if animated else 1):
        image = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
        ImageDraw.Draw(image).ellipse((56 + 40 * i, 56, 456 - 40 * i, 456), fill=(255, 200, 0, 255))
        frames.append(image)
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=animated, append_images=frames[1:], duration=200, loop=0)
    return buf.getvalue()


def sample_video_mp4(codec: str = "libx264") -> bytes:
    """A one-second 128x96 MP4 with an AAC tone: H.264 video (libx264, in PyAV's wheels), or
    MPEG-4 Part 2 (`codec="mpeg4"`, or from a PyAV built without libx264)."""
    from PIL import Image, ImageDraw

    av = _import_av()
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as sink:
        try:
            options = {"preset": "ultrafast"} if codec == "libx264" else {}
            video = sink.add_stream(codec, rate=12, options=options)
        except av.codec.codec.UnknownCodecError:
            video = sink.add_stream("mpeg4", rate=12)
        video.width, video.height, video.pix_fmt = 128, 96, "yuv420p"
        audio = sink.add_stream("aac", rate=44100, layout="mono")
        for i in range(12):
            image = Image.new("RGB", (128, 96), (37, 211, 102))
            ImageDraw.Draw(image).rectangle((i * 8, 30, i * 8 + 24, 66), fill="white")
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            sink.mux(video.encode(frame))
        sink.mux(video.encode(None))
        with av.open(io.BytesIO(sample_audio("aac", 1.0)), format="aac") as tone:
            _encode_all(sink, audio, tone.decode(audio=0))
    return out.getvalue()
