"""Every kind of bad input gets its 4xx and code through the real API, and the database is unchanged."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.api_helpers import row_counts

CHATBOT = "7e0b8f4e-9a8e-4f7a-8d1e-0a1b2c3d4e5f"
SESSION = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"


def _raw(body: object) -> bytes:
    return json.dumps(body).encode()


CASES = [
    # (path, raw body, status, code)
    ("/api/sessions/create", b"{", 400, "invalid_json"),
    ("/api/sessions/create", b"", 400, "invalid_body"),
    ("/api/sessions/create", b"[]", 400, "invalid_body"),
    ("/api/sessions/create", b'"chatbot"', 400, "invalid_body"),
    ("/api/sessions/create", b"\xff\xfe\x00", 400, "invalid_json"),
    ("/api/sessions/create", b"[" * 50_000 + b"]" * 50_000, 400, "invalid_json"),
    ("/api/sessions/create", _raw({}), 400, "missing_field"),
    ("/api/sessions/create", _raw({"chatbot_id": CHATBOT, "user_id": SESSION}), 400, "unknown_field"),
    ("/api/sessions/create", _raw({"chatbot_id": 7}), 400, "invalid_field"),
    ("/api/sessions/create", _raw({"chatbot_id": "7e0b8f4e"}), 400, "invalid_field"),
    (
        "/api/sessions/create",
        _raw({"chatbot_id": CHATBOT, "phone_number": "+4915123456789"}),
        400,
        "invalid_phone",
    ),
    ("/api/sessions/create", _raw({"chatbot_id": CHATBOT, "phone_number": "12"}), 400, "invalid_phone"),
    (
        "/api/sessions/create",
        _raw({"chatbot_id": CHATBOT, "bot_endpoint": "ftp://x.example"}),
        400,
        "invalid_field",
    ),
    ("/api/sessions/create", b'{"chatbot_id": "' + b"a" * (1024 * 1024) + b'"}', 413, "payload_too_large"),
    ("/api/sessions/disconnect", _raw({}), 400, "missing_field"),
    ("/api/sessions/disconnect", _raw({"session_id": "abc"}), 400, "invalid_field"),
    ("/api/sessions/disconnect", _raw({"session_id": SESSION, "force": True}), 400, "unknown_field"),
    ("/api/sessions/disconnect", _raw({"session_id": SESSION}), 404, "session_not_found"),
    ("/api/messages/send", _raw({"session_id": SESSION, "to": "15551234567"}), 400, "missing_field"),
    (
        "/api/messages/send",
        _raw({"session_id": SESSION, "to": 15551234567, "text": "x"}),
        400,
        "invalid_field",
    ),
    (
        "/api/messages/send",
        _raw({"session_id": SESSION, "to": "+15551234567", "text": "x"}),
        400,
        "invalid_phone",
    ),
    (
        "/api/messages/send",
        _raw({"session_id": SESSION, "to": "15551234567", "text": ""}),
        400,
        "invalid_field",
    ),
    (
        "/api/messages/send",
        _raw({"session_id": SESSION, "to": "15551234567", "text": "\x00"}),
        400,
        "invalid_field",
    ),
    (
        "/api/messages/send",
        b'{"session_id":"%s","to":"15551234567","text":"\\ud800"}' % SESSION.encode(),
        400,
        "invalid_field",
    ),
    (
        "/api/messages/send",
        _raw({"session_id": SESSION, "to": "15551234567", "text": "x" * 65537}),
        400,
        "text_too_long",
    ),
    (
        "/api/messages/send",
        _raw({"session_id": SESSION, "to": "15551234567", "text": ["x"]}),
        400,
        "invalid_field",
    ),
    (
        "/api/messages/send",
        _raw({"session_id": SESSION, "to": "15551234567", "text": "x", "cc": "1"}),
        400,
        "unknown_field",
    ),
    (
        "/api/messages/send",
        _raw({"session_id": SESSION, "to": "15551234567", "text": "x"}),
        404,
        "session_not_found",
    ),
]


@pytest.mark.parametrize(
    ("path", "raw", "status", "code"), CASES, ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_input(stack, api, user, path: str, raw: bytes, status: int, code: str) -> None:
    before = row_counts(stack)
    headers = {**user.headers, "Content-Type": "application/json"}
    response = api.post(path, content=raw, headers=headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert row_counts(stack) == before


def test_bad_input_for_a_real_session_changes_nothing(
    stack, api, user, create_session, make_runner, hold_session
):
    session = create_session(user)
    hold_session(session["id"], make_runner())
    before = row_counts(stack)
    snapshot = stack.sql("select * from public.whatsapp_web_sessions where id = %s", (session["id"],))
    for body in (
        {"session_id": session["id"], "to": "1", "text": "x"},
        {"session_id": session["id"], "to": "15551234567", "text": "x" * 65537},
        {"session_id": session["id"], "to": "15551234567"},
    ):
        assert api.post("/api/messages/send", json=body, headers=user.headers).status_code == 400
    assert row_counts(stack) == before
    assert stack.sql("select * from public.whatsapp_web_sessions where id = %s", (session["id"],)) == snapshot


def test_the_longest_text_is_accepted(stack, api, user, create_session, make_runner, hold_session) -> None:
    session = create_session(user)
    hold_session(session["id"], make_runner())
    text = "😀" * 65536  # 65,536 characters, 786 kB as escaped JSON
    body = json.dumps({"session_id": session["id"], "to": "15551234567", "text": text}).encode()
    response = api.post(
        "/api/messages/send", content=body, headers={**user.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text[:200]
    assert stack.sql(
        "select length(content) from public.whatsapp_web_messages where id = %s",
        (response.json()["message"]["id"],),
    ) == [(65536,)]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_bodies_must_be_json(stack, api, user, content_type: str) -> None:
    before = row_counts(stack)
    response = api.post(
        "/api/sessions/create",
        content=_raw({"chatbot_id": CHATBOT}),
        headers={**user.headers, "Content-Type": content_type},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert row_counts(stack) == before


@pytest.mark.parametrize("session_id", ["not-a-uuid", "1", str(uuid.uuid4()), "%00", "' or 1=1 --"])
def test_bad_or_unknown_ids_in_paths_are_404(api, user, session_id: str) -> None:
    for method, suffix in [("GET", ""), ("GET", "/messages"), ("POST", "/restart"), ("DELETE", "")]:
        response = api.request(method, f"/api/sessions/{session_id}{suffix}", headers=user.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "session_not_found")
