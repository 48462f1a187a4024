"""wagate.media: media judged by its bytes, on real files made by real encoders (PyAV's FFmpeg,
Pillow, fpdf2, zipfile)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import av
import pytest
from PIL import Image

from wagate import media, media_av
from wagate.errors import ConfigError, PayloadTooLarge
from wagate.media import MediaLimits, MediaRejected, classify, sniff_mime

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _pillow(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


def _zip(names: tuple[str, ...]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, f"<xml>{name}</xml>" * 20)
    return buf.getvalue()


def _without_id3(mp3: bytes) -> bytes:
    size = (mp3[6] << 21) | (mp3[7] << 14) | (mp3[8] << 7) | mp3[9]
    return mp3[10 + size :]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    """One real file of each kind, made once for the module."""
    made = {kind: media_av.sample_audio(kind, 1.0) for kind in media_av.AUDIO_SAMPLE_KINDS}
    made.update(
        jpeg=media_av.sample_image(),
        png=_pillow("PNG"),
        gif=_pillow("GIF"),
        webp=media_av.sample_sticker(),
        webp_animated=media_av.sample_sticker(animated=True),
        mp4=media_av.sample_video_mp4(),
        pdf=media_av.sample_document(),
        text="Olá, wagate! Ünïcödé text\n".encode() * 300,
        zip=_zip(("notes.txt", "data.csv")),
        docx=_zip(("[Content_Types].xml", "_rels/.rels", "word/document.xml")),
    )
    made["mp3_no_id3"] = _without_id3(made["mp3"])
    return made


SNIFFED = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "webp_animated": "image/webp",
    "opus": "audio/ogg; codecs=opus",
    "vorbis": "audio/ogg; codecs=vorbis",
    "mp3": "audio/mpeg",
    "mp3_no_id3": "audio/mpeg",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "mp4": "video/mp4",
    "pdf": "application/pdf",
    "text": "text/plain",
    "zip": "application/zip",
    "docx": DOCX,
}


@pytest.mark.parametrize("kind", SNIFFED)
@pytest.mark.parametrize("head_size", [4 * 2**10, 64 * 2**10])
def test_sniffs_each_type_from_its_first_bytes(files: dict[str, bytes], kind: str, head_size: int) -> None:
    # 4 KiB also cuts the UTF-8 text in the middle of a character
    assert sniff_mime(files[kind][:head_size]) == SNIFFED[kind]


def test_unknown_bytes_are_none_and_a_lone_mp3_sync_word_is_not_mp3() -> None:
    assert sniff_mime(bytes(range(256)) * 16) is None
    assert sniff_mime(b"") is None
    # a valid MPEG-1 Layer III header whose next frame (417 bytes on) is missing
    assert sniff_mime(b"\xff\xfb\x90\x00" + b"\x00" * 600) != "audio/mpeg"


def test_animated_webp_is_told_from_static(files: dict[str, bytes]) -> None:
    assert media.is_animated_webp(files["webp_animated"][:4096])
    assert not media.is_animated_webp(files["webp"][:4096])
    assert not media.is_animated_webp(files["png"])


# (file, wanted, voice, expected type, the MediaLimits field that applies)
AT_THE_LIMIT = [
    ("jpeg", "image", False, "image", "image"),
    ("png", None, False, "image", "image"),
    ("mp3", "audio", False, "audio", "audio"),
    ("aac", None, False, "audio", "audio"),
    ("amr", "audio", False, "audio", "audio"),
    ("m4a", "audio", False, "audio", "audio"),
    ("opus", None, False, "audio", "audio"),
    ("mp3", None, True, "ptt", "audio"),
    ("m4a", "ptt", False, "ptt", "audio"),
    ("mp4", "video", False, "video", "video"),
    ("webp", "sticker", False, "sticker", "sticker_static"),
    ("webp_animated", None, False, "sticker", "sticker_animated"),
    ("pdf", "document", False, "document", "document"),
    ("jpeg", "document", False, "document", "document"),
]


@pytest.mark.parametrize(("kind", "wanted", "voice", "expected", "field"), AT_THE_LIMIT)
def test_classify_accepts_at_the_limit_and_refuses_one_byte_over(
    files: dict[str, bytes], kind: str, wanted: str | None, voice: bool, expected: str, field: str
) -> None:
    data = files[kind]
    limits = MediaLimits(**{field: len(data)})
    verdict = classify(data[:65536], len(data), wanted=wanted, voice=voice, limits=limits)
    assert (verdict.type, verdict.mime) == (expected, SNIFFED[kind])

    with pytest.raises(MediaRejected) as rejected:
        classify(data[:65536], len(data) + 1, wanted=wanted, voice=voice, limits=limits)
    assert rejected.value.code == "media_too_large"
    assert isinstance(rejected.value, PayloadTooLarge)  # the API answers 413


def test_an_animated_sticker_has_its_own_limit(files: dict[str, bytes]) -> None:
    animated = files["webp_animated"]
    limits = MediaLimits(sticker_static=len(animated) - 1, sticker_animated=len(animated))
    assert classify(animated, len(animated), limits=limits).type == "sticker"
    static = files["webp"]
    with pytest.raises(MediaRejected, match="a static sticker may be at most"):
        classify(static, len(animated), limits=limits)


@pytest.mark.parametrize(
    ("kind", "wanted"),
    [
        ("pdf", "image"),
        ("gif", "image"),
        ("webp", "image"),
        ("jpeg", "sticker"),
        ("jpeg", "video"),
        ("m4a", "video"),
        ("mp4", "audio"),
        ("vorbis", "audio"),  # WhatsApp plays OGG only with Opus inside
        ("wav", "audio"),
        ("pdf", "ptt"),
        ("text", "audio"),
    ],
)
def test_bytes_not_of_the_wanted_kind_are_refused(files: dict[str, bytes], kind: str, wanted: str) -> None:
    data = files[kind]
    with pytest.raises(MediaRejected) as rejected:
        classify(data, len(data), wanted=wanted)
    assert rejected.value.code == "media_type_not_supported"
    assert SNIFFED[kind] in rejected.value.message


def test_only_the_bytes_count_not_the_name(files: dict[str, bytes], tmp_path: Path) -> None:
    renamed = tmp_path / "report.pdf"
    renamed.write_bytes(files["png"])
    data = renamed.read_bytes()
    assert classify(data, len(data)) == media.MediaVerdict("image", "image/png", "png")
    assert classify(data, len(data), wanted="document").mime == "image/png"


@pytest.mark.parametrize(
    ("kind", "inferred"),
    [
        ("jpeg", "image"),
        ("png", "image"),
        ("webp", "sticker"),
        ("webp_animated", "sticker"),
        ("mp3", "audio"),
        ("aac", "audio"),
        ("amr", "audio"),
        ("m4a", "audio"),
        ("opus", "audio"),
        ("mp4", "video"),
        ("pdf", "document"),
        ("gif", "document"),
        ("vorbis", "document"),
        ("wav", "document"),
        ("zip", "document"),
        ("docx", "document"),
        ("text", "document"),
    ],
)
def test_the_type_is_inferred_from_the_bytes(files: dict[str, bytes], kind: str, inferred: str) -> None:
    data = files[kind]
    verdict = classify(data, len(data))
    assert (verdict.type, verdict.mime) == (inferred, SNIFFED[kind])


def test_too_large_for_the_inferred_type_does_not_become_a_document(files: dict[str, bytes]) -> None:
    jpeg = files["jpeg"]
    with pytest.raises(MediaRejected) as rejected:
        classify(jpeg, 7_549_747, limits=MediaLimits())  # 7.2 MB, under the document limit
    assert rejected.value.code == "media_too_large"
    assert rejected.value.message == "an image may be at most 5 MB; this one is 7.2 MB"


def test_a_voice_note_may_start_as_other_audio_but_not_as_something_else(files: dict[str, bytes]) -> None:
    for kind in ("mp3", "aac", "amr", "m4a", "opus", "vorbis", "wav"):
        assert classify(files[kind], len(files[kind]), voice=True).type == "ptt"
    for kind, wanted in (("pdf", None), ("jpeg", "ptt"), ("mp3", "image")):
        with pytest.raises(MediaRejected) as rejected:
            classify(files[kind], len(files[kind]), wanted=wanted, voice=True)
        assert rejected.value.code == "media_type_not_supported"


def test_empty_files_and_unknown_types_are_refused(files: dict[str, bytes]) -> None:
    with pytest.raises(MediaRejected) as empty:
        classify(b"", 0)
    assert empty.value.code == "media_empty"
    with pytest.raises(MediaRejected) as unknown:
        classify(files["gif"], len(files["gif"]), wanted="gif")
    assert unknown.value.code == "media_type_not_supported"


def test_unrecognised_bytes_are_a_document() -> None:
    data = bytes(range(256)) * 4
    assert classify(data, len(data)) == media.MediaVerdict("document", "application/octet-stream", "bin")


def _read_audio(data: bytes) -> tuple[str, int, int, float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        context = stream.codec_context
        return context.name, context.channels, context.sample_rate, samples / context.sample_rate


@pytest.mark.parametrize("kind", ["mp3", "m4a", "amr", "vorbis"])
def test_to_voice_note_makes_ogg_opus_mono_48k(files: dict[str, bytes], kind: str) -> None:
    note = media_av.to_voice_note(files[kind])
    assert sniff_mime(note) == media.VOICE_MIME
    name, channels, rate, seconds = _read_audio(note)
    assert (name, channels, rate) == ("opus", 1, 48000)
    assert seconds == pytest.approx(_read_audio(files[kind])[3], abs=0.05)
    assert seconds == pytest.approx(1.0, abs=0.1)


def test_to_voice_note_keeps_ogg_opus_and_refuses_what_is_not_audio(files: dict[str, bytes]) -> None:
    assert media_av.to_voice_note(files["opus"]) == files["opus"]
    # the last two look like audio to the sniffer, so FFmpeg is the one that gives up on them
    not_audio = (b"this is not audio at all\n" * 100, files["pdf"], files["mp3"][:100], files["m4a"][:400])
    for garbage in not_audio:
        with pytest.raises(MediaRejected) as rejected:
            media_av.to_voice_note(garbage)
        assert rejected.value.code == "media_type_not_supported"
        assert "could not be read as audio" in rejected.value.message


def test_probe_video_names_the_codecs(files: dict[str, bytes]) -> None:
    assert media_av.probe_video(files["mp4"]) == ("h264", "aac")
    with pytest.raises(MediaRejected):
        media_av.probe_video(files["pdf"])


def test_limits_from_the_environment() -> None:
    limits = MediaLimits.from_env(
        {
            "WAGATE_MEDIA_MAX_IMAGE_BYTES": "1000",
            "WAGATE_MEDIA_MAX_STICKER_ANIMATED_BYTES": "2000",
            "WAGATE_MEDIA_MAX_VIDEO_BYTES": "",
        }
    )
    assert limits == MediaLimits(image=1000, sticker_animated=2000)
    assert (limits.limit_for("ptt"), limits.limit_for("audio")) == (16 * 2**20, 16 * 2**20)
    assert limits.limit_for("sticker", animated=True) == 2000
    assert limits.limit_for("sticker") == 100 * 2**10
    for bad in ("lots", "-5", "0"):
        with pytest.raises(ConfigError, match="WAGATE_MEDIA_MAX_DOCUMENT_BYTES"):
            MediaLimits.from_env({"WAGATE_MEDIA_MAX_DOCUMENT_BYTES": bad})


def test_names_and_hashes() -> None:
    assert media.extension_for(media.VOICE_MIME) == "ogg"
    assert media.extension_for(DOCX) == "docx"
    assert media.extension_for("application/x-wagate-unknown") == "bin"
    assert media.default_filename("image", "image/jpeg") == "image.jpg"
    assert media.default_filename("ptt", media.VOICE_MIME) == "voice.ogg"
    assert media.default_filename("document", "application/pdf", "../Q3: report") == "Q3 report.pdf"
    assert media.sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_importing_media_loads_neither_ffmpeg_nor_pillow() -> None:
    # the API lambda imports wagate.media and ships no FFmpeg
    code = (
        "import sys, wagate.media as m; m.classify(b'plain words, a document', 10); "
        "print(sorted(name for name in ('av', 'PIL') if name in sys.modules))"
    )
    repo = Path(__file__).parents[2]  # this checkout's wagate, not another one the venv points at
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo
    )
    assert result.stdout.strip() == "[]"


def test_a_video_must_be_h264_with_aac_sound() -> None:
    h264, mpeg4 = media_av.sample_video_mp4(), media_av.sample_video_mp4("mpeg4")
    assert media.classify(h264[:65536], len(h264), tail=h264[-media.VIDEO_TAIL_BYTES :]).type == "video"
    with pytest.raises(media.MediaRejected) as refused:
        media.classify(mpeg4[:65536], len(mpeg4), tail=mpeg4[-media.VIDEO_TAIL_BYTES :])
    assert refused.value.code == "media_type_not_supported" and "H.264" in refused.value.message
    # an index at the end of the file (not made for streaming) is found in the tail
    moov = h264.index(b"moov") - 4
    moved = h264[:32] + b"\0" * 70_000 + h264[moov:]  # the head shows no moov, the tail does
    assert media.classify(moved[:65536], len(moved), wanted="video", tail=moved[-media.VIDEO_TAIL_BYTES :])
    assert media_av.probe_video(h264)[0] == "h264" and media_av.probe_video(mpeg4)[0] == "mpeg4"
