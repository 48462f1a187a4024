"""Identifiers as WhatsApp makes them: login refs, pairing codes, message ids, phone numbers."""

from __future__ import annotations

import base64
import re
import secrets

# WhatsApp's pairing codes use this 32-letter alphabet (no 0, I, O, U) and are shown as XXXX-XXXX.
PAIRING_CODE_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
PAIRING_CODE_LENGTH = 8

_PHONE = re.compile(r"^[1-9][0-9]{6,14}$")


def new_login_ref() -> str:
    """A login ref like the real ones: `2@` and random base64."""
    return "2@" + base64.b64encode(secrets.token_bytes(48)).decode()


def new_pairing_code() -> str:
    return "".join(secrets.choice(PAIRING_CODE_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))


def normalize_pairing_code(code: str) -> str:
    """What a person types (`abcd-efgh`) as the page shows it (`ABCDEFGH`)."""
    return re.sub(r"[\s-]", "", code).upper()


def new_phone_message_id() -> str:
    """A message id as a customer's phone (iOS style) makes it: `3A` and 18 upper hex digits."""
    return "3A" + secrets.token_hex(9).upper()


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def new_lid() -> str:
    """A linked-identity number (the `@lid` user) for an account."""
    return str(10**14 + secrets.randbelow(9 * 10**14))


def is_phone_number(value: object) -> bool:
    """International number, digits only, 7 to 15 of them, no leading zero (E.164 without `+`)."""
    return isinstance(value, str) and bool(_PHONE.match(value))


def normalize_phone(value: object) -> str | None:
    """Digits of a phone number given as `+1 555-0100`, `15550100` or `15550100@c.us`; None if unusable."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text.endswith("@c.us"):
        text = text[: -len("@c.us")]
    digits = re.sub(r"[\s()+.-]", "", text)
    return digits if is_phone_number(digits) else None
