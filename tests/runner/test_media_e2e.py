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
from wagate import media_av

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
    ("image", media_av.sample_image("broken part"), "image/jpeg", None, "image/jpeg"),
    ("ptt", media_av.sample_voice(), "audio/ogg; codecs=opus", None, "audio/ogg; codecs=opus"),
    ("audio", media_av.sample_audio_mp3(), "audio/mpeg", None, "audio/mpeg"),
    ("video", media_av.sample_video_mp4(), "video/mp4", None, "video/mp4"),
    (
        "document",
        media_av.sample_document("Invoice 42"),
        "application/pdf",
        "invoice 42.pdf",
        "application/pdf",
    ),
    ("sticker", media_av.sample_sticker(), "image/webp", None, "image/webp"),
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
        photo = media_av.sample_image("receipt")
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
                media=_payload(media_av.sample_document("x"), "application/pdf", "contract.pdf"),
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
    big = media_av.sample_image("big") + b"\0" * (5 * 2**20)  # a JPEG past the 5 MB image limit
    simulator.send(customer, phone, None, type="image", caption="big one", media=_payload(big, "image/jpeg"))
    wait_for(lambda: len(simulator.received(customer)) == 1, timeout_s=40, what="the reply")
    (row,) = _inbound(user, session["id"]).values()
    assert row["media"] is None and "5 MB" in row["media_error"] and row["status"] == "replied"
    assert simulator.texts_received(customer)[0].startswith("You sent image (not kept: ")


def _runner_browser_plays_h264() -> bool:
    """What the runners' Chromium says of H.264 video (the bridge's canSendVideo, asked directly)."""
    from playwright.sync_api import sync_playwright

    from wagate.browser import chromium_executable

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(headless_shell=True))
        try:
            return bool(
                browser.new_page().evaluate(
                    """() => document.createElement('video')
                        .canPlayType('video/mp4; codecs="avc1.42E01E, mp4a.40.2"')"""
                )
            )
        finally:
            browser.close()


def _files_received(simulator: Simulator, customer: str) -> list[dict]:
    return [m for m in simulator.received(customer) if m.get("media")]


def _outbound(user: ApiUser, session_id: str) -> list[dict]:
    return [m for m in user.messages(session_id) if m["direction"] == "outbound"]


def test_the_chatbots_files_reach_the_customer_byte_for_byte(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    customer = fresh_number("4917")
    for command in ("!image", "!voice", "!doc"):
        simulator.send(customer, phone, command)
        wait_for(
            lambda c=command: (
                len(_files_received(simulator, customer)) == ("!image", "!voice", "!doc").index(c) + 1
            ),
            timeout_s=40,
            what=f"the answer to {command}",
        )
    got = {m["type"]: m for m in _files_received(simulator, customer)}
    rows = {m["type"]: m for m in _outbound(user, session["id"])}
    assert set(got) == set(rows) == {"image", "ptt", "document"}
    for kind in got:
        assert got[kind]["media"]["sha256"] == rows[kind]["media"]["sha256"], kind
        assert rows[kind]["status"] == "sent" and rows[kind]["media"]["size"] == got[kind]["media"]["size"]
        assert _sha(_media_of(user, rows[kind]["id"])) == rows[kind]["media"]["sha256"], (
            "what the history keeps"
        )
    assert got["image"]["caption"] == "A sample photo" and got["image"]["media"]["mime"] == "image/jpeg"
    assert got["ptt"]["media"]["mime"].startswith("audio/ogg")
    assert got["document"]["media"]["filename"] == "menu.pdf" and got["document"]["caption"] == "Our menu"


def test_api_sends_of_files_reach_the_customer(simulator: Simulator, runners, user: ApiUser) -> None:
    session, _phone = user.link(simulator)
    customer = fresh_number("4917")
    photo, song, clip = (
        media_av.sample_image("catalogue"),
        media_av.sample_audio_mp3(),
        media_av.sample_video_mp4(),
    )

    def upload(data: bytes, mime: str, filename: str) -> str:
        made = user.http.post("/api/media", json={"mime": mime, "size": len(data), "filename": filename})
        assert made.status_code == 201, made.text
        assert httpx.put(made.json()["upload_url"], content=data, timeout=10).status_code == 200
        return made.json()["media_id"]

    def send(**fields) -> dict:
        response = user.http.post(
            "/api/messages/send", json={"session_id": session["id"], "to": customer, **fields}
        )
        assert response.status_code == 202, response.text
        return response.json()["message"]

    send(media_id=upload(photo, "image/jpeg", "catalogue.jpg"), caption="New in")
    voice = send(media_id=upload(song, "audio/mpeg", "hello.mp3"), type="ptt")
    send(media_id=upload(clip, "video/mp4", "clip.mp4"))
    sticker, tune = media_av.sample_sticker(), media_av.sample_audio("m4a")
    send(media_id=upload(sticker, "image/webp", "ok.webp"))
    send(media_id=upload(tune, "audio/mp4", "jingle.m4a"))
    wait_for(lambda: len(_files_received(simulator, customer)) == 5, timeout_s=60, what="five files")
    got = {m["type"]: m for m in _files_received(simulator, customer)}
    assert got["image"]["media"]["sha256"] == _sha(photo) and got["image"]["caption"] == "New in"
    assert got["image"]["media"]["filename"] in (None, "catalogue.jpg")
    # a voice note must be OGG/Opus: the MP3 was converted, and the history keeps what was sent
    assert got["ptt"]["media"]["mime"].startswith("audio/ogg")
    (voice_row,) = [m for m in _outbound(user, session["id"]) if m["id"] == voice["id"]]
    assert voice_row["media"]["mime"] == "audio/ogg; codecs=opus"
    assert voice_row["media"]["sha256"] == got["ptt"]["media"]["sha256"] != _sha(song)
    # a video goes as a video where the runner's Chromium plays H.264, else as a document (the
    # file, byte for byte, rather than nothing)
    assert got["sticker"]["media"]["sha256"] == _sha(sticker)
    assert got["audio"]["media"]["sha256"] == _sha(tune)  # not a voice note: sent as it is
    kind = "video" if _runner_browser_plays_h264() else "document"
    assert got[kind]["media"]["sha256"] == _sha(clip)
    (clip_row,) = [m for m in _outbound(user, session["id"]) if m["media"]["sha256"] == _sha(clip)]
    assert clip_row["type"] == kind and clip_row["status"] == "sent"
    if kind == "document":
        assert got["document"]["media"]["filename"] == "clip.mp4"


def test_a_chatbot_file_that_cannot_be_sent_fails_the_message_with_the_reason(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    answers = [
        ([{"image": {"url": "http://127.0.0.1:9/nothing.jpg"}}], "media_unreachable"),
        ([{"text": "first"}, {"image": {"url": "{samples}/menu.pdf"}}], "media_type_not_supported"),
        ([{"image": {"url": "http://169.254.169.254/latest/meta-data/x.jpg"}}], "media_unreachable"),
    ]
    samples = f"{user.stack.supabase_url}/functions/v1/avatar-chat/samples"
    for replies, code in answers:
        items = json.loads(json.dumps(replies).replace("{samples}", samples))
        with RecordingEndpoint(replies=items) as bot:
            session, phone = user.link(simulator, bot_endpoint=bot.url)
            customer = fresh_number("4917")
            simulator.send(customer, phone, "send me the menu")
            row = wait_for(
                lambda s=session: [m for m in user.messages(s["id"]) if m["status"] == "failed"],
                timeout_s=30,
                what="the message failed",
            )[0]
            assert row["error_code"] == code, row
            assert _outbound(user, session["id"]) == [] and simulator.received(customer) == []
            user.delete_all_sessions()


def test_deleting_a_user_deletes_their_files(simulator: Simulator, runners, user: ApiUser) -> None:
    _session, phone = user.link(simulator)
    customer = fresh_number("4917")
    simulator.send(
        customer, phone, None, type="image", media=_payload(media_av.sample_image("x"), "image/jpeg")
    )
    wait_for(lambda: len(simulator.received(customer)) == 1, timeout_s=40, what="the reply")
    s3, bucket = user.stack.s3(), user.stack.env["WAGATE_CHECKPOINT_BUCKET"]

    def versions() -> int:
        listed = s3.list_object_versions(Bucket=bucket, Prefix=f"media/{user.user_id}/")
        return len(listed.get("Versions", [])) + len(listed.get("DeleteMarkers", []))

    assert versions() == 1
    # the user deleted in Supabase Auth: sessions and messages go by cascade, the files by the runners
    user.stack.sql("delete from auth.users where id = %s", (user.user_id,))
    wait_for(lambda: versions() == 0, timeout_s=60, what="the user's files erased, every version")
