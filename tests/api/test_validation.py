"""Input validation and presentation as pure functions: no stack needed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from wagate.errors import Gone, InvalidInput, NotFound, PayloadTooLarge
from wagate.phone import country_of, from_chat_id, is_e164_digits, to_chat_id
from wagate.presenters import decode_cursor, encode_cursor, public_session, qr_png
from wagate.service import CREATE_SESSION_BODY, SEND_MESSAGE_BODY
from wagate.status import MAX_TEXT_LENGTH
from wagate.validation import MAX_BODY_BYTES, bool_parameter, limit_parameter, parse_json_object

CHATBOT = "7e0b8f4e-9a8e-4f7a-8d1e-0a1b2c3d4e5f"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value.code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "invalid_body"),
        (b"   ", "invalid_body"),
        (None, "invalid_body"),
        (b"{", "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b"[1, 2]", "invalid_body"),
        (b'"text"', "invalid_body"),
        (b"null", "invalid_body"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
        (b"{}" + b" " * MAX_BODY_BYTES, "payload_too_large"),
    ],
)
def test_bodies_that_are_not_json_objects(raw: bytes | None, code: str) -> None:
    assert code_of(parse_json_object, raw) == code


def test_too_large_is_its_own_error() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_json_object(b" " * (MAX_BODY_BYTES + 1))


def test_a_json_object_is_returned() -> None:
    assert parse_json_object(b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_field"),
        ({"chatbot_id": CHATBOT, "extra": 1}, "unknown_field"),
        ({"chatbot_id": 42}, "invalid_field"),
        ({"chatbot_id": None}, "invalid_field"),
        ({"chatbot_id": "not-a-uuid"}, "invalid_field"),
        ({"chatbot_id": "{" + CHATBOT + "}"}, "invalid_field"),
        ({"chatbot_id": CHATBOT.replace("-", "")}, "invalid_field"),
        ({"chatbot_id": CHATBOT, "phone_number": "+15551234567"}, "invalid_phone"),
        ({"chatbot_id": CHATBOT, "phone_number": "0555123456"}, "invalid_phone"),
        ({"chatbot_id": CHATBOT, "phone_number": "123456"}, "invalid_phone"),
        ({"chatbot_id": CHATBOT, "phone_number": "1234567890123456"}, "invalid_phone"),
        ({"chatbot_id": CHATBOT, "phone_number": 15551234567}, "invalid_field"),
        ({"chatbot_id": CHATBOT, "bot_endpoint": "ftp://bot.example/x"}, "invalid_field"),
        ({"chatbot_id": CHATBOT, "bot_endpoint": "https://user:pw@bot.example/x"}, "invalid_field"),
        ({"chatbot_id": CHATBOT, "bot_endpoint": "https://"}, "invalid_field"),
        ({"chatbot_id": CHATBOT, "bot_endpoint": "https://bot.example/\x00"}, "invalid_field"),
        ({"chatbot_id": CHATBOT, "bot_endpoint": "https://bot.example:99999/"}, "invalid_field"),
        ({"chatbot_id": CHATBOT, "bot_endpoint": "https://bot.example/" + "a" * 3000}, "invalid_field"),
    ],
)
def test_create_session_bodies(body: dict, code: str) -> None:
    assert code_of(CREATE_SESSION_BODY.validate, body) == code


def test_create_session_body_is_normalised() -> None:
    fields = CREATE_SESSION_BODY.validate(
        {
            "chatbot_id": CHATBOT.upper(),
            "phone_number": "15551234567",
            "bot_endpoint": "https://bot.example/hook",
        }
    )
    assert fields == {
        "chatbot_id": CHATBOT,
        "phone_number": "15551234567",
        "bot_endpoint": "https://bot.example/hook",
    }


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "invalid_field"),
        ("   \n", "invalid_field"),
        ("a" * (MAX_TEXT_LENGTH + 1), "text_too_long"),
        ("nul\x00inside", "invalid_field"),
        ("lone \ud800 surrogate", "invalid_field"),
        (["list"], "invalid_field"),
    ],
)
def test_send_message_texts(text: object, code: str) -> None:
    body = {"session_id": CHATBOT, "to": "15551234567", "text": text}
    assert code_of(SEND_MESSAGE_BODY.validate, body) == code


def test_longest_text_fits_the_body_limit_even_fully_escaped() -> None:
    text = "\U0001f600" * MAX_TEXT_LENGTH  # each one a JSON-escaped surrogate pair: 12 bytes
    raw = json.dumps({"session_id": CHATBOT, "to": "15551234567", "text": text}).encode()
    body = parse_json_object(raw)
    assert SEND_MESSAGE_BODY.validate(body)["text"] == text
    max_chars = json.dumps({"session_id": CHATBOT, "to": "15551234567", "text": "\x01" * MAX_TEXT_LENGTH})
    assert SEND_MESSAGE_BODY.validate(parse_json_object(max_chars.encode()))


def test_phone_numbers() -> None:
    assert is_e164_digits("15551234567") and is_e164_digits("4915123456789")
    assert (
        not is_e164_digits("+15551234567")
        and not is_e164_digits("1555 123 4567")
        and not is_e164_digits(None)
    )
    assert to_chat_id("15551234567") == "15551234567@c.us"
    assert from_chat_id("15551234567@c.us") == "15551234567"
    with pytest.raises(ValueError):
        to_chat_id("+1")


@pytest.mark.parametrize("raw", ["0", "201", "-1", "1.5", "ten", "", "٣"])
def test_limit_parameter_rejects(raw: str) -> None:
    assert code_of(limit_parameter, raw, default=50, maximum=200) == "invalid_parameter"


def test_limit_and_bool_parameters() -> None:
    assert limit_parameter(None, default=50, maximum=200) == 50
    assert limit_parameter("200", default=50, maximum=200) == 200
    assert bool_parameter("TRUE", name="x") is True and bool_parameter("0", name="x") is False
    assert bool_parameter(None, name="x") is False
    assert code_of(bool_parameter, "yes", name="x") == "invalid_parameter"


def test_cursor_round_trip_and_forgeries() -> None:
    row = {"timestamp": "2026-11-25T12:00:00.123456+00:00", "id": CHATBOT}
    assert decode_cursor(encode_cursor(row)) == (row["timestamp"], CHATBOT)
    forged = [
        "",
        "!!!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'["yesterday","x"]').decode(),
        base64.urlsafe_b64encode(b'{"a":1}').decode(),
        base64.urlsafe_b64encode(json.dumps(["2026-11-25T12:00:00", "id),or(true"]).encode()).decode(),
    ]
    for cursor in forged:
        assert code_of(decode_cursor, cursor) == "invalid_cursor"


def test_qr_is_shown_only_while_valid() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    row = {
        "status": "qr_ready",
        "qr_code": base64.b64encode(png).decode(),
        "qr_expires_at": (NOW + timedelta(seconds=30)).isoformat(),
        "runner_id": "r1",
        "epoch": 3,
    }
    assert public_session(row, NOW)["qr_code"] == row["qr_code"]
    assert "runner_id" not in public_session(row, NOW) and "epoch" not in public_session(row, NOW)
    assert qr_png(row, NOW) == png
    assert qr_png({**row, "qr_code": "data:image/png;base64," + row["qr_code"]}, NOW) == png
    later = NOW + timedelta(seconds=31)
    assert public_session(row, later)["qr_code"] is None
    with pytest.raises(Gone):
        qr_png(row, later)
    with pytest.raises(Gone):
        qr_png({**row, "status": "qr_expired", "qr_code": None}, NOW)
    with pytest.raises(NotFound):
        qr_png({**row, "qr_code": None}, NOW)


@pytest.mark.parametrize(
    ("digits", "country"),
    [
        ("4917123456789", "DE"),  # a German mobile number
        ("5511987654321", "BR"),
        ("918123456789", "IN"),
        ("447911123456", "GG"),  # +44 7911 is Guernsey's, not the UK's: the plan knows
        ("15551234567", "US"),  # not a valid number (555): the calling code's main country
        ("80012345678", None),  # +800, international freephone: no country
        (None, None),  # a LID customer who hides their number
        ("0123", None),
    ],
)
def test_the_customers_country_comes_from_their_number(digits: str | None, country: str | None) -> None:
    assert country_of(digits) == country
