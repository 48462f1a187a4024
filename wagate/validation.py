"""Validation of what callers send: JSON bodies, their fields, query parameters.

Every failure is an `InvalidInput` with a stable `code`, so bad input is a 4xx with a reason and
never reaches the database: strings that Postgres cannot store (NUL, lone surrogates) are refused
here too.

Codes: invalid_json, invalid_body, missing_field, unknown_field, invalid_field, text_too_long,
invalid_phone, invalid_parameter, payload_too_large (and the endpoint guard's endpoint_not_allowed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from wagate.errors import InvalidInput, PayloadTooLarge
from wagate.phone import E164_DIGITS_PATTERN, is_e164_digits
from wagate.status import MAX_TEXT_LENGTH

# Big enough for the longest valid message even when every character is JSON-escaped as a surrogate
# pair (12 bytes), far below API Gateway's 10 MB.
MAX_BODY_BYTES = 1024 * 1024
MAX_URL_LENGTH = 2048
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_UUID = re.compile(UUID_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Parser = Callable[[str, Any], Any]


def parse_json_object(raw: bytes | str | None, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object, or `InvalidInput` saying what is wrong with it."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else (raw or b"")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
    if not data.strip():
        raise InvalidInput("a JSON object body is required", code="invalid_body")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput("the body is not valid UTF-8 JSON", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", code="invalid_body")
    return body


@dataclass(frozen=True)
class Field:
    name: str
    parse: Parser
    required: bool = True


@dataclass(frozen=True)
class BodySchema:
    """The fields a body may have; anything else is refused."""

    fields: tuple[Field, ...]

    def validate(self, body: Mapping[str, Any]) -> dict[str, Any]:
        known = {field.name for field in self.fields}
        unknown = sorted(set(body) - known)
        if unknown:
            raise InvalidInput(f"unknown field {unknown[0]!r}", code="unknown_field")
        values: dict[str, Any] = {}
        for field in self.fields:
            if field.name not in body:
                if field.required:
                    raise InvalidInput(f"missing field {field.name!r}", code="missing_field")
                continue
            values[field.name] = field.parse(field.name, body[field.name])
        return values


def _storable_string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name!r} must be a string", code="invalid_field")
    if "\x00" in value:
        raise InvalidInput(f"{name!r} must not contain NUL characters", code="invalid_field")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{name!r} is not valid Unicode", code="invalid_field") from exc
    return value


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def uuid_field(name: str, value: Any) -> str:
    if not is_uuid(value):
        raise InvalidInput(f"{name!r} must be a UUID", code="invalid_field")
    return str(value).lower()


def phone_field(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name!r} must be a string", code="invalid_field")
    if not is_e164_digits(value):
        raise InvalidInput(
            f"{name!r} must be an E.164 number without '+': 7 to 15 digits, no leading 0",
            code="invalid_phone",
        )
    return value


def text_field(max_length: int = MAX_TEXT_LENGTH) -> Parser:
    def parse(name: str, value: Any) -> str:
        text = _storable_string(name, value)
        if len(text) > max_length:
            raise InvalidInput(f"{name!r} is longer than {max_length} characters", code="text_too_long")
        if not text.strip():
            raise InvalidInput(f"{name!r} must not be empty", code="invalid_field")
        return text

    return parse


def endpoint_url_field(name: str, value: Any) -> str:
    """A URL wagate may be asked to call: well-formed http(s), no credentials, no control
    characters. Whether wagate will call it (https only, no private address, ...) is the endpoint
    guard's to say (`wagate.endpoints.check_endpoint`), after this."""
    url = _storable_string(name, value)
    invalid = InvalidInput(f"{name!r} must be an https:// URL without credentials", code="invalid_field")
    if len(url) > MAX_URL_LENGTH or _CONTROL.search(url) or " " in url:
        raise invalid
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:
        raise invalid from exc
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or not port_ok
    ):
        raise invalid
    return url


def limit_parameter(raw: str | None, *, default: int, maximum: int, name: str = "limit") -> int:
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidInput(f"{name!r} must be an integer from 1 to {maximum}", code="invalid_parameter")
    return int(raw)


def bool_parameter(raw: str | None, *, name: str, default: bool = False) -> bool:
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise InvalidInput(f"{name!r} must be true or false", code="invalid_parameter")


__all__ = [
    "E164_DIGITS_PATTERN",
    "MAX_BODY_BYTES",
    "UUID_PATTERN",
    "BodySchema",
    "Field",
    "bool_parameter",
    "endpoint_url_field",
    "is_uuid",
    "limit_parameter",
    "parse_json_object",
    "phone_field",
    "text_field",
    "uuid_field",
]
