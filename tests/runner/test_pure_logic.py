"""The runner's pure pieces: backoff, the send rate limit, reply parsing, message filtering, QR."""

from __future__ import annotations

import base64
import random

import pytest

from runner.botclient import BotError, parse_replies, split_text
from runner.pipeline import new_whatsapp_id, skip_reason
from runner.qr import render_qr_png
from runner.ratelimit import TokenBucket
from tests.e2e import decode_qr_png
from wagate.backoff import compute_backoff


def test_backoff_grows_exponentially_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [compute_backoff(n, base_s=1, max_s=10, jitter=0, rng=rng) for n in range(1, 7)]
    assert delays == [1, 2, 4, 8, 10, 10]
    jittered = compute_backoff(3, base_s=1, jitter=0.1, rng=rng)
    assert 3.6 <= jittered <= 4.4
    with pytest.raises(ValueError):
        compute_backoff(0)


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate_per_s=2, burst=3, clock=lambda: now[0])
    assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]
    assert bucket.wait_time() == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.try_take() is True
    assert bucket.try_take() is False


def test_replies_are_parsed_in_every_accepted_shape() -> None:
    assert parse_replies({"replies": [{"text": "a"}, {"text": "b"}]}) == ["a", "b"]
    assert parse_replies({"replies": []}) == []
    assert parse_replies({"reply": "single"}) == ["single"]
    assert parse_replies({"replies": [{"text": "  "}, {"text": None}, "plain"]}) == ["plain"]
    for bad in (
        [],
        {"nothing": 1},
        {"replies": "x"},
        {"replies": [{"text": 5}]},
        {"replies": [{"text": "a\x00b"}]},  # Postgres would refuse to store it: never `replying` forever
        {"reply": "lone \ud800 surrogate"},
    ):
        with pytest.raises(BotError):
            parse_replies(bad)


def test_an_answer_nested_too_deep_is_a_recorded_failure_not_a_crash() -> None:
    from runner.botclient import _replies_of
    from wagate.endpoints import EndpointAnswer

    with pytest.raises(BotError) as failed:
        _replies_of(EndpointAnswer(200, b"[" * 100_000, {}))
    assert failed.value.code == "chatbot_bad_answer"


def test_long_replies_are_split_at_whatsapps_limit() -> None:
    text = ("word " * 30_000).strip()  # ~150 kB
    parts = split_text(text)
    assert all(len(p) <= 65_536 for p in parts)
    assert "".join(parts) == text
    assert len(parts) == 3
    lines = "\n".join(["x" * 100] * 1000)
    assert all(p.endswith("\n") for p in split_text(lines, limit=1000)[:-1])


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"fromMe": True, "remote": "4917@c.us"}, "own message"),
        ({"fromMe": False, "remote": "status@broadcast"}, "status broadcast"),
        ({"fromMe": False, "remote": "1203@g.us"}, "group message"),
        ({"fromMe": False, "remote": "4917@c.us"}, None),
    ],
)
def test_only_customer_chats_go_to_the_bot(message: dict, reason: str | None) -> None:
    assert skip_reason(message, reply_to_groups=False, reply_to_own=False) == reason


def test_groups_can_be_enabled() -> None:
    assert skip_reason({"remote": "1203@g.us"}, reply_to_groups=True, reply_to_own=False) is None


def test_whatsapp_ids_look_like_whatsapp_webs_and_are_unique() -> None:
    ids = {new_whatsapp_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("3EB0") and len(i) == 22 and i.isalnum() for i in ids)


def test_qr_png_decodes_back_to_the_login_string() -> None:
    login = "2@abcDEF123==,bm9pc2U=,aWRlbnRpdHk=,YWR2,WEB"
    png = base64.b64decode(render_qr_png(login))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert decode_qr_png(png) == login


def test_the_ack_book_keeps_the_highest_ack_per_message_and_skips_sent() -> None:
    from runner.acks import AckBook

    book = AckBook()
    book.record("s1", "3EB0A", 1)  # sent: stored with the `sent` mark already
    book.record("s1", "3EB0A", 3)
    book.record("s1", "3EB0A", 2)  # read arrived first: delivered does not lower it
    book.record("s2", "3EB0A", 2)  # the same id in another session is another message
    book.record("s1", "", 3)
    assert book.take() == {("s1", "3EB0A"): 3, ("s2", "3EB0A"): 2}
    assert len(book) == 0 and book.take() == {}


def test_a_video_goes_as_a_document_from_a_browser_without_h264() -> None:
    from runner.pipeline import sent_as

    assert sent_as("video", can_send_video=False) == "document"
    assert sent_as("video", can_send_video=True) == "video"
    assert {
        sent_as(kind, can_send_video=False) for kind in ("image", "ptt", "audio", "document", "sticker")
    } == {
        "image",
        "ptt",
        "audio",
        "document",
        "sticker",
    }


def test_a_chatbot_answer_may_carry_files() -> None:
    from runner.media import MediaReply

    answer = {
        "replies": [
            {"text": "Here is our menu"},
            {"document": {"url": "https://x.test/menu.pdf", "filename": "menu.pdf"}, "caption": "Menu"},
            {"audio": {"url": "https://x.test/hi.mp3"}, "voice": True},
            {"image": {"url": "https://x.test/a.jpg"}},
        ]
    }
    assert parse_replies(answer) == [
        "Here is our menu",
        MediaReply("document", "https://x.test/menu.pdf", "Menu", "menu.pdf"),
        MediaReply("ptt", "https://x.test/hi.mp3"),
        MediaReply("image", "https://x.test/a.jpg"),
    ]
    for bad in (
        {"replies": [{"image": "https://x.test/a.jpg"}]},  # not an object with a url
        {"replies": [{"image": {"url": ""}}]},
        {"replies": [{"image": {"url": "https://x.test/a.jpg"}, "voice": True}]},  # voice is for audio
        {"replies": [{"image": {"url": "https://x.test/a.jpg"}, "video": {"url": "https://x.test/b.mp4"}}]},
        {"replies": [{"image": {"url": "https://x.test/a.jpg"}, "caption": 7}]},
    ):
        with pytest.raises(BotError):
            parse_replies(bad)
