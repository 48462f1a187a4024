"""Files at the API, against the real stack (PostgREST, moto's S3, the Chalice app): uploads, sends
checked on the bytes, nothing written on a refusal, and a message's file for its owner only."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from wagate import media_av
from wagate.media_store import session_prefix

PHONE = "4915123456789"


@pytest.fixture
def connected(create_session, make_runner, hold_session, user):
    """A session of `user` held by a runner (the API queues sends to it)."""
    session = create_session(user)
    hold_session(session["id"], make_runner())
    return session


@pytest.fixture(scope="module")
def files() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A loopback web server with files at /<name> (what a tenant's media_url points at)."""
    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path.lstrip("/"))
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()


def _index_at_the_end(mp4: bytes) -> bytes:
    """The same video with 100 KB of padding before its moov box (out of the first 64 KB)."""
    moov = mp4.index(b"moov") - 4
    return mp4[:moov] + b"\0" * 100_000 + mp4[moov:]


def _upload(api, user, data: bytes, mime: str, filename: str | None = None) -> str:
    body = {"mime": mime, "size": len(data), **({"filename": filename} if filename else {})}
    response = api.post("/api/media", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    upload = response.json()
    assert upload["method"] == "PUT" and upload["expires_in"] == 900
    put = httpx.put(upload["upload_url"], content=data)
    assert put.status_code == 200, put.text
    return upload["media_id"]


def _objects(stack, prefix: str) -> list[str]:
    listed = stack.s3().list_objects_v2(Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def _state(stack, user, session) -> tuple:
    (messages,) = stack.sql("select count(*) from public.whatsapp_web_messages")
    return messages, tuple(_objects(stack, session_prefix(user.id, session["id"])))


def _send(api, user, session, **fields):
    body = {"session_id": session["id"], "to": PHONE, **fields}
    return api.post("/api/messages/send", json=body, headers=user.headers)


def test_an_uploaded_photo_is_sent_kept_and_handed_to_its_owner_only(
    stack, api, user, other_user, connected
) -> None:
    photo = media_av.sample_image("order 1234")
    media_id = _upload(api, user, photo, "image/jpeg", "broken.jpg")
    response = _send(api, user, connected, media_id=media_id, caption="Here it is")
    assert response.status_code == 202, response.text
    message = response.json()["message"]
    assert message["type"] == "image" and message["content"] == "Here it is"
    assert message["media"] == {
        "mime": "image/jpeg",
        "size": len(photo),
        "sha256": hashlib.sha256(photo).hexdigest(),
        "filename": "broken.jpg",
    }
    # the message's own copy, whatever happens to the upload
    key = f"{session_prefix(user.id, connected['id'])}{message['id']}"
    assert _objects(stack, key) == [key]

    link = api.get(f"/api/messages/{message['id']}/media?redirect=false", headers=user.headers)
    assert link.status_code == 200, link.text
    assert link.json()["mime"] == "image/jpeg" and link.json()["size"] == len(photo)
    assert hashlib.sha256(httpx.get(link.json()["url"]).content).hexdigest() == message["media"]["sha256"]
    redirect = api.get(f"/api/messages/{message['id']}/media", headers=user.headers, follow_redirects=False)
    assert redirect.status_code == 302
    assert httpx.get(redirect.headers["location"]).content == photo

    for path in (
        f"/api/messages/{message['id']}/media",
        f"/api/messages/{message['id']}/media?redirect=false",
    ):
        refused = api.get(path, headers=other_user.headers, follow_redirects=False)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "message_not_found"


def test_a_file_at_a_url_is_fetched_judged_by_its_bytes_and_typed(stack, api, user, connected, files) -> None:
    base, served = files
    served["menu.png"] = media_av.sample_document("Menu")  # a PDF under a picture's name
    response = _send(api, user, connected, media_url=f"{base}/menu.png")
    assert response.status_code == 202, response.text
    message = response.json()["message"]
    assert (message["type"], message["media"]["mime"]) == ("document", "application/pdf")
    assert message["media"]["filename"] == "menu.png"
    served["voice.mp3"] = media_av.sample_audio_mp3()
    voice = _send(api, user, connected, media_url=f"{base}/voice.mp3", type="ptt").json()["message"]
    assert voice["type"] == "ptt"  # converted to OGG/Opus by the runner when it is sent


@pytest.mark.parametrize(
    ("make", "fields", "status", "code"),
    [
        (lambda: media_av.sample_document("x"), {"type": "image"}, 415, "media_type_not_supported"),
        (lambda: media_av.sample_image("x") + b"\0" * (5 * 2**20), {}, 413, "media_too_large"),
        (lambda: media_av.sample_sticker() + b"\0" * 200_000, {"type": "sticker"}, 413, "media_too_large"),
        (lambda: b"MZ\x90\x00" + b"\0" * 100, {"type": "video"}, 415, "media_type_not_supported"),
        (
            lambda: media_av.sample_audio_mp3() + b"\0" * (16 * 2**20),
            {"type": "audio"},
            413,
            "media_too_large",
        ),
        (lambda: media_av.sample_video_mp4() + b"\0" * (16 * 2**20), {}, 413, "media_too_large"),
        (lambda: media_av.sample_document("x"), {"type": "ptt"}, 415, "media_type_not_supported"),
        (lambda: media_av.sample_video_mp4("mpeg4"), {}, 415, "media_type_not_supported"),
        (lambda: _index_at_the_end(media_av.sample_video_mp4("mpeg4")), {}, 415, "media_type_not_supported"),
    ],
    ids=[
        "pdf-as-image",
        "image-over-5mb",
        "sticker-over-limit",
        "exe-as-video",
        "audio-over-16mb",
        "video-over-16mb",
        "pdf-as-voice",
        "video-not-h264",
        "video-not-h264-index-at-the-end",
    ],
)
def test_a_file_over_the_limits_is_refused_and_nothing_is_written(
    stack, api, user, connected, make, fields, status, code
) -> None:
    media_id = _upload(api, user, make(), "application/octet-stream")
    before = _state(stack, user, connected)
    response = _send(api, user, connected, media_id=media_id, **fields)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert _state(stack, user, connected) == before


def test_bad_media_sends_are_refused_with_their_codes(stack, api, user, other_user, connected, files) -> None:
    base, _served = files
    theirs = _upload(api, other_user, media_av.sample_image("theirs"), "image/jpeg")
    (never_put,) = [
        api.post("/api/media", json={"mime": "image/jpeg", "size": 10}, headers=user.headers).json()
    ]
    before = _state(stack, user, connected)
    cases = [
        ({"media_id": theirs}, 404, "media_not_found"),
        ({"media_id": never_put["media_id"]}, 404, "media_not_found"),
        ({"media_url": f"{base}/missing.jpg"}, 400, "media_unreachable"),
        ({"media_url": "http://169.254.169.254/latest/meta-data"}, 400, "endpoint_not_allowed"),
        ({"media_id": theirs, "text": "hi"}, 400, "invalid_media"),
        ({"media_id": theirs, "media_url": f"{base}/x.jpg"}, 400, "invalid_media"),
        ({"text": "hi", "caption": "no file"}, 400, "invalid_media"),
        ({"media_id": theirs, "type": "gif"}, 415, "media_type_not_supported"),
    ]
    for fields, status, code in cases:
        response = _send(api, user, connected, **fields)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
            fields,
            response.text,
        )
    assert _state(stack, user, connected) == before


def test_uploads_are_checked_before_a_url_is_made(api, user) -> None:
    for body, status, code in [
        ({"mime": "image/jpeg", "size": 101 * 2**20}, 413, "media_too_large"),
        ({"mime": "jpeg", "size": 10}, 400, "invalid_mime"),
        ({"mime": "image/jpeg", "size": 0}, 400, "invalid_size"),
        ({"mime": "image/jpeg", "size": 10, "filename": "../etc/passwd"}, 400, "invalid_filename"),
    ]:
        response = api.post("/api/media", json=body, headers=user.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body


def test_deleting_a_session_with_its_messages_deletes_their_files(stack, api, user, connected) -> None:
    media_id = _upload(api, user, media_av.sample_image("x"), "image/jpeg")
    assert _send(api, user, connected, media_id=media_id).status_code == 202
    prefix = session_prefix(user.id, connected["id"])
    assert len(_objects(stack, prefix)) == 1
    response = api.delete(f"/api/sessions/{connected['id']}?delete_messages=true", headers=user.headers)
    assert response.status_code == 204
    assert _objects(stack, prefix) == []


def test_uploads_never_sent_are_purged_after_a_day(stack, api, user) -> None:
    old = api.post("/api/media", json={"mime": "image/jpeg", "size": 10}, headers=user.headers).json()
    new = api.post("/api/media", json={"mime": "image/jpeg", "size": 10}, headers=user.headers).json()
    stack.sql(
        "update public.wagate_media_uploads set created_at = now() - interval '25 hours' where id = %s",
        (old["media_id"],),
    )
    stack.sql("select public.purge_media_uploads(86400)")  # what the dispatcher's housekeeping calls
    left = stack.sql("select id::text from public.wagate_media_uploads where user_id = %s", (user.id,))
    assert left == [(new["media_id"],)]
