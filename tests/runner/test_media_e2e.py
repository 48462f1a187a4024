"""Media end to end, in real Chromium through the simulator: a customer's files downloaded by
WhatsApp Web in the runner's page, kept in S3 (moto) and checked by sha256 there and through the
API, the chatbot told what they are (a presigned URL it can fetch), and a download that fails
answered with `media_error`. Files out: tests further down."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx

from devstack.chatbots import RecordingEndpoint
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from wagate import media

VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Maria Silva\r\n"
    "TEL;type=CELL;waid=4915112345678:+49 151 12345678\r\nEND:VCARD"
)


def _payload(data: bytes, mime: str, filename: str | None = None) -> dict:
    return {
        "data_b64": base64.b64encode(data).decode(),
        "mime": mime,
        **({"filename": filename} if filename else {}),
    }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _inbound(user: ApiUser, session_id: str) -> dict[str, dict]:
    return {m["message_id"]: m for m in user.messages(session_id) if m["direction"] == "inbound"}


def _media_of(user: ApiUser, message_id: str) -> bytes:
    link = user.http.get(f"/api/messages/{message_id}/media?redirect=false")
    assert link.status_code == 200, link.text
    return httpx.get(link.json()["url"], timeout=10).content


FILES = [  # (type, bytes, the mime the customer's phone says, file name, the mime wagate finds)
    ("image", media.sample_image("broken part"), "image/jpeg", None, "image/jpeg"),
    ("ptt", media.sample_voice(), "audio/ogg; codecs=opus", None, "audio/ogg; codecs=opus"),
    ("audio", media.sample_audio_mp3(), "audio/mpeg", None, "audio/mpeg"),
    ("video", media.sample_video_mp4(), "video/mp4", None, "video/mp4"),
    ("document", media.sample_document("Invoice 42"), "application/pdf", "invoice 42.pdf", "application/pdf"),
    ("sticker", media.sample_sticker(), "image/webp", None, "image/webp"),
]


def test_every_kind_of_file_a_customer_sends_is_kept_and_answered(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    customer = fresh_number("4917")
    sent = {}
    for kind, data, mime, filename, _found in FILES:
        whatsapp_id = simulator.send(
            customer, phone, None, type=kind, caption=f"my {kind}", media=_payload(data, mime, filename)
        )
        sent[whatsapp_id] = kind
    where = simulator.send(
        customer,
        phone,
        None,
        type="location",
        location={"latitude": 52.52, "longitude": 13.405, "name": "Shop", "address": "Main St 1"},
    )
    card = simulator.send(customer, phone, None, type="vcard", vcard=VCARD)
    wait_for(lambda: len(simulator.received(customer)) == len(FILES) + 2, timeout_s=60, what="every reply")
    replies = set(simulator.texts_received(customer))
    rows = _inbound(user, session["id"])
    for (kind, data, _mime, filename, found), whatsapp_id in zip(FILES, sent, strict=True):
        row = rows[whatsapp_id]
        assert (row["type"], row["content"], row["status"]) == (kind, f"my {kind}", "replied"), row
        assert row["media"]["sha256"] == _sha(data) and row["media"]["size"] == len(data), kind
        assert row["media"]["mime"] == found and row["media_error"] is None, kind
        if filename:
            assert row["media"]["filename"] == filename
        assert _sha(_media_of(user, row["id"])) == _sha(data), f"{kind}: the bytes through the API"
        assert f"You sent {kind} ({found}, {len(data)} bytes): my {kind}" in replies
    assert rows[where]["location"] == {
        "latitude": 52.52,
        "longitude": 13.405,
        "name": "Shop",
        "address": "Main St 1",
    }
    assert "You sent location (52.52, 13.405): Shop" in replies
    contact = rows[card]["contact"]
    assert contact["name"] == "Maria Silva" and contact["phones"] == ["+49 151 12345678"]
    assert "You sent vcard: Maria Silva" in replies
    # the thumbnail WhatsApp Web keeps in a media message's body is never taken for its text
    assert all(not row["content"].startswith("/9j/") for row in rows.values())


def test_the_chatbot_gets_a_short_lived_url_of_the_file_and_a_failed_download_its_reason(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    with RecordingEndpoint(reply="got it") as bot:
        session, phone = user.link(simulator, bot_endpoint=bot.url)
        customer = fresh_number("4917")
        photo = media.sample_image("receipt")
        simulator.send(
            customer, phone, None, type="image", caption="receipt", media=_payload(photo, "image/jpeg")
        )
        wait_for(lambda: simulator.texts_received(customer) == ["got it"], what="the reply")
        message = json.loads(bot.calls[0]["body"])["message"]
        assert (message["type"], message["text"], message["media_error"]) == ("image", "receipt", None)
        assert message["media"]["mime"] == "image/jpeg" and message["media"]["sha256"] == _sha(photo)
        assert httpx.get(message["media"]["url"], timeout=10).content == photo  # presigned: no credentials
        assert "X-Amz-Expires=900" in message["media"]["url"]

        # WhatsApp's CDN no longer has the file: stored, answered, and the chatbot told why
        simulator.post("/control/faults/media", {"mode": "expired", "numbers": [customer]})
        try:
            simulator.send(
                customer,
                phone,
                None,
                type="document",
                caption="the contract",
                media=_payload(media.sample_document("x"), "application/pdf", "contract.pdf"),
            )
            wait_for(lambda: len(simulator.received(customer)) == 2, timeout_s=40, what="the second reply")
        finally:
            simulator.post("/control/faults/clear")
        message = json.loads(bot.calls[1]["body"])["message"]
        assert message["type"] == "document" and message["media"] is None
        assert "expired" in message["media_error"]
        (row,) = [m for m in _inbound(user, session["id"]).values() if m["type"] == "document"]
        assert row["status"] == "replied" and row["media"] is None and "expired" in row["media_error"]
        missing = user.http.get(f"/api/messages/{row['id']}/media")
        assert missing.status_code == 404


def test_a_file_over_whatsapps_limit_is_not_downloaded_but_answered(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    customer = fresh_number("4917")
    big = media.sample_image("big") + b"\0" * (5 * 2**20)  # a JPEG past the 5 MB image limit
    simulator.send(customer, phone, None, type="image", caption="big one", media=_payload(big, "image/jpeg"))
    wait_for(lambda: len(simulator.received(customer)) == 1, timeout_s=40, what="the reply")
    (row,) = _inbound(user, session["id"]).values()
    assert row["media"] is None and "5 MB" in row["media_error"] and row["status"] == "replied"
    assert simulator.texts_received(customer)[0].startswith("You sent image (not kept: ")
