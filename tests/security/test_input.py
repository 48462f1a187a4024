"""Hostile input through the running API: oversized bodies and headers, look-alike numbers and ids,
and text that breaks naive code (control characters, bidirectional marks, zero-width joiners,
emoji sequences), which must reach the customer and the database byte for byte, both ways.

Already covered, not repeated: every malformed body, field and path id with its code and nothing
written (tests/api/test_bad_input.py, test_validation.py); the fuzzing of every operation from the
OpenAPI document, with no state change on 4xx (tests/api/test_fuzz.py).
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e import Simulator, fresh_number, wait_for
from tests.security.conftest import Linked
from wagate.validation import MAX_BODY_BYTES

# Each one valid for the API (not empty, no NUL, at most 65,536 characters).
HOSTILE_TEXTS = [
    "tab\there, LF\nCR\rCRLF\r\n, bell\x07, backspace\x08, escape \x1b[31mred\x1b[0m, DEL\x7f, C1\x85\x9b.",
    "\u202eevil\u202c RLO, \u200fRLM \u05e9\u05dc\u05d5\u05dd\u200e LRM,"
    " \u2067isolated \u0645\u0631\u062d\u0628\u0627\u2069",
    "zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffbom, soft\u00adhyphen, e\u0301 vs \u00e9",
    "👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 👍🏽 🇩🇪 ❤️ 1️⃣ \U0001fae0 \U0001f600",
    "  leading and trailing spaces, a line\u2028separator and a paragraph\u2029separator  ",
]


def stored_contents(stack, session_id: str, direction: str) -> list[str]:
    rows = stack.sql(
        "select content from public.whatsapp_web_messages where session_id = %s and direction = %s"
        " order by created_at, id",
        (session_id, direction),
    )
    return [content for (content,) in rows]


def test_text_sent_through_the_api_arrives_and_is_stored_byte_exact(
    stack, simulator: Simulator, linked: Linked, exposed: set[str]
) -> None:
    customer = fresh_number("4917")
    for text in HOSTILE_TEXTS:
        response = linked.user.http.post(
            "/api/messages/send", json={"session_id": linked.session["id"], "to": customer, "text": text}
        )
        assert response.status_code == 202, response.text
        assert response.json()["message"]["content"] == text
        exposed.add(text)

    def delivered() -> list[str] | None:
        texts = [m["text"] for m in simulator.received(customer)]
        return texts if len(texts) >= len(HOSTILE_TEXTS) else None

    received = wait_for(delivered, what="every text to reach the customer")
    assert sorted(t.encode() for t in received) == sorted(t.encode() for t in HOSTILE_TEXTS)
    stored = [m["content"] for m in linked.user.messages(linked.session["id"]) if m["to_number"] == customer]
    assert sorted(stored) == sorted(HOSTILE_TEXTS)
    database = stack.sql(
        "select content from public.whatsapp_web_messages where session_id = %s and to_number = %s",
        (linked.session["id"], customer),
    )
    assert sorted(content.encode() for (content,) in database) == sorted(t.encode() for t in HOSTILE_TEXTS)


def test_text_from_a_customer_is_stored_and_echoed_byte_exact(
    stack, simulator: Simulator, linked: Linked, exposed: set[str]
) -> None:
    customer = fresh_number("4915")
    for text in HOSTILE_TEXTS:
        simulator.send(customer, linked.phone, text)
        exposed.update({text, f"You said: {text}"})

    def replied() -> list[str] | None:
        texts = [m["text"] for m in simulator.received(customer)]
        return texts if len(texts) >= len(HOSTILE_TEXTS) else None

    replies = wait_for(replied, what="the chatbot's replies to reach the customer")
    assert sorted(replies) == sorted(f"You said: {text}" for text in HOSTILE_TEXTS)
    inbound = stack.sql(
        "select content from public.whatsapp_web_messages"
        " where session_id = %s and from_number = %s and direction = 'inbound'",
        (linked.session["id"], customer),
    )
    assert sorted(content.encode() for (content,) in inbound) == sorted(t.encode() for t in HOSTILE_TEXTS)


@pytest.mark.parametrize(
    "to",
    [
        "".join(chr(0x0660 + int(d)) for d in "4915112345678"),  # Arabic-Indic digits
        "".join(chr(0xFF10 + int(d)) for d in "4915112345678"),  # full-width digits
        "4915112345678\n",
        "4915112345678@c.us",
        "120363025246125486@g.us",
        "49151 12345678",
        "+4915112345678",
        "4915112345678\u200b",
    ],
)
def test_look_alike_phone_numbers_are_refused(stack, linked: Linked, to: str) -> None:
    probe = f"look-alike number {to!r}"
    response = linked.user.http.post(
        "/api/messages/send", json={"session_id": linked.session["id"], "to": to, "text": probe}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_phone")
    assert probe not in stored_contents(stack, linked.session["id"], "outbound"), "nothing written"


def test_look_alike_session_ids_are_refused(linked: Linked) -> None:
    sid = linked.session["id"]
    for look_alike in (f"{{{sid}}}", f"urn:uuid:{sid}", f"{sid}\n", sid.replace("-", ""), f" {sid}"):
        body = {"session_id": look_alike, "to": "4915112345678", "text": "hi"}
        response = linked.user.http.post("/api/messages/send", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_field"), look_alike


def test_oversized_bodies_are_413_and_write_nothing(stack, linked: Linked) -> None:
    before = stored_contents(stack, linked.session["id"], "outbound")
    just_over = {"session_id": linked.session["id"], "to": "4915112345678", "text": "x" * MAX_BODY_BYTES}
    headers = {"Content-Type": "application/json"}
    for path, raw in [
        ("/api/messages/send", json.dumps(just_over).encode()),
        ("/api/sessions/disconnect", b'{"session_id": "' + b"a" * MAX_BODY_BYTES + b'"}'),
        ("/api/messages/send", b" " * (10 * MAX_BODY_BYTES)),
    ]:
        response = linked.user.http.post(path, content=raw, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")
    assert stored_contents(stack, linked.session["id"], "outbound") == before
    assert linked.user.session(linked.session["id"])["status"] == "connected"


def raw_get(api_url: str, target: str, headers: dict[str, str]) -> int | None:
    """The status of a GET sent byte for byte (no client library caps its size); None: closed."""
    parts = urlsplit(api_url)
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as sock:
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            status_line = sock.makefile("rb").readline()
        except ConnectionResetError:
            return None
    return int(status_line.split()[1]) if status_line else None


def test_oversized_headers_and_urls_are_rejected(stack, linked: Linked) -> None:
    auth = {"Authorization": f"Bearer {linked.token}"}
    attempts = {
        "a 70 kB Authorization header": ("/api/sessions", {"Authorization": "Bearer " + "a" * 70_000}),
        "a 20 kB token": ("/api/sessions", {"Authorization": "Bearer " + "a" * 20_000}),
        "200 headers": ("/api/sessions", {**auth, **{f"X-Pad-{i}": "x" for i in range(200)}}),
        "a 70 kB path": ("/api/sessions/" + "a" * 70_000, auth),
        "a 70 kB query": (f"/api/sessions/{linked.session['id']}/messages?before=" + "a" * 70_000, auth),
    }
    for what, (target, headers) in attempts.items():
        status = raw_get(stack.api_url, target, headers)
        assert status is None or 400 <= status < 500, (what, status)
        if what == "a 20 kB token":  # within the server's limits: the API itself refuses it
            assert status == 401
    assert httpx.get(f"{stack.api_url}/api/health", timeout=15).status_code == 200
    assert linked.user.session(linked.session["id"])["status"] == "connected"
