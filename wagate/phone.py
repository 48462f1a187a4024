"""Phone numbers as WhatsApp uses them: E.164 digits without the `+` (7 to 15 digits, no leading 0)."""

from __future__ import annotations

import re

E164_DIGITS_PATTERN = r"^[1-9][0-9]{6,14}$"
_E164_DIGITS = re.compile(E164_DIGITS_PATTERN)


def is_e164_digits(value: object) -> bool:
    """True for a string of 7-15 digits not starting with 0 (E.164 without the `+`)."""
    return isinstance(value, str) and _E164_DIGITS.fullmatch(value) is not None


def to_chat_id(digits: str) -> str:
    """The WhatsApp Web chat id of a user's number (`15551234567@c.us`)."""
    if not is_e164_digits(digits):
        raise ValueError(f"not an E.164 number without '+': {digits!r}")
    return f"{digits}@c.us"


def from_chat_id(chat_id: str) -> str:
    """The digits of a user chat id (`15551234567@c.us` -> `15551234567`)."""
    return chat_id.split("@", 1)[0].split(":", 1)[0]


def country_of(digits: str | None) -> str | None:
    """The ISO 3166 country a number belongs to (`4917...` -> `DE`), from Google's numbering plans
    (the `phonenumbers` library): the number's own region when it is a valid number, else the main
    country of its calling code (`1...` -> `US`); None for no number, or a code shared by no single
    country (`+800`, `+882`). Imported on first use: only the runners need it."""
    if not is_e164_digits(digits):
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse("+" + str(digits))
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number) if phonenumbers.is_valid_number(number) else None
    region = region or phonenumbers.region_code_for_country_code(number.country_code)
    return None if region in (None, "ZZ", "001") else region
