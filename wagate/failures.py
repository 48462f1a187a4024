"""What a tenant reads about a failure: a stable code and plain words, never internal detail
(bucket names, addresses, ports, exception text, ARNs). The detail goes to the logs, with the
session id, where the operator looks.

Sessions carry them in `last_error_code` / `last_error`, messages in `error_code` / `error`.
The codes are part of the API (README "Failures"); add to them, never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Failure:
    code: str
    message: str

    def session_fields(self) -> dict[str, Any]:
        return {"last_error_code": self.code, "last_error": self.message}


CLEARED: dict[str, Any] = {"last_error_code": None, "last_error": None}

# ---------------------------------------------------------------- sessions
CHECKPOINT_UNREADABLE = Failure(
    "checkpoint_unreadable", "the saved login could not be restored; scan a new QR code"
)
CHECKPOINT_MISSING = Failure(
    "checkpoint_missing", "no saved login was found for this session; scan a new QR code"
)
CHECKPOINT_UNAVAILABLE = Failure(
    "checkpoint_unavailable", "the saved login could not be read just now; restart the session to try again"
)
LOGIN_REVOKED = Failure(
    "login_revoked",
    "the saved login is no longer valid (the phone may have unlinked this device); scan a new QR code",
)
QR_NOT_SCANNED = Failure("qr_not_scanned", "nobody scanned the QR code in time; restart for a new one")
OPENED_ELSEWHERE = Failure("opened_elsewhere", "WhatsApp Web was opened elsewhere; taking it back")
CONNECTION_LOST = Failure("connection_lost", "connection to WhatsApp lost; reconnecting")
UNLINKED_BY_PHONE = Failure(
    "unlinked_by_phone", "the phone unlinked this device; connect again with a new QR code"
)
WHATSAPP_WEB_DID_NOT_OPEN = Failure(
    "whatsapp_web_did_not_open", "WhatsApp Web could not be opened; restart the session to try again"
)
WHATSAPP_WEB_ERROR = Failure("whatsapp_web_error", "WhatsApp Web reported an error; restart the session")
LINK_INTERRUPTED = Failure(
    "link_interrupted",
    "linking was interrupted before the login could be saved; scan the new QR code",
)
PASSKEY_REQUIRED = Failure(
    "passkey_required",
    "WhatsApp asks to confirm this device with your passkey: follow the steps on your phone",
)
PASSKEY_NOT_CONFIRMED = Failure(
    "passkey_not_confirmed", "the device was not confirmed with a passkey in time; connect again"
)


def whatsapp_web_did_not_load(timeout_s: float) -> Failure:
    return Failure(
        "whatsapp_web_did_not_load",
        f"WhatsApp Web showed neither a QR code nor a login within {timeout_s:.0f} s",
    )


def whatsapp_web_changed(module: str) -> Failure:
    # The module is WhatsApp Web's own name (public), what an operator needs to act on.
    return Failure(
        "whatsapp_web_changed",
        f"WhatsApp Web changed: module {module[:80]} is missing (wagate's bridge cannot drive this version)",
    )


def whatsapp_web_unstable(what: str, times: int, minutes: float) -> Failure:
    return Failure(
        "whatsapp_web_unstable", f"{what}, {times} times in {minutes:.0f} minutes; restart the session"
    )


def command_failed(command: str, times: int) -> Failure:
    return Failure(
        "command_failed", f"the {command} command failed {times} time(s); restart the session to try again"
    )


# ---------------------------------------------------------------- messages
UNSUPPORTED_MESSAGE = "unsupported_message_type"
UNDECRYPTABLE = "message_undecryptable"
SEND_REFUSED = "send_refused"
NOT_ON_WHATSAPP = "number_not_on_whatsapp"
SEND_FAILED = "send_failed"
CHATBOT_NOT_FOUND = "chatbot_not_found"
CHATBOT_SECRET_MISSING = "chatbot_secret_missing"
CHATBOT_TIMEOUT = "chatbot_timeout"
CHATBOT_UNREACHABLE = "chatbot_unreachable"
CHATBOT_HTTP_ERROR = "chatbot_http_error"
CHATBOT_BAD_ANSWER = "chatbot_bad_answer"
CHATBOT_ANSWER_TOO_LARGE = "chatbot_answer_too_large"
CHATBOT_REDIRECT = "chatbot_redirect"
ENDPOINT_NOT_ALLOWED = "endpoint_not_allowed"
# a file that cannot be sent (a chatbot's reply, an API send): the same codes as the API's 4xx
MEDIA_TOO_LARGE = "media_too_large"
MEDIA_NOT_SUPPORTED = "media_type_not_supported"
MEDIA_UNREACHABLE = "media_unreachable"
MEDIA_NOT_FOUND = "media_not_found"

UNKNOWN = "unknown"  # recorded before error codes existed (the migration replaced its words)

SESSION_CODES = (
    UNKNOWN,
    CHECKPOINT_UNREADABLE.code,
    CHECKPOINT_MISSING.code,
    CHECKPOINT_UNAVAILABLE.code,
    LOGIN_REVOKED.code,
    QR_NOT_SCANNED.code,
    OPENED_ELSEWHERE.code,
    CONNECTION_LOST.code,
    UNLINKED_BY_PHONE.code,
    WHATSAPP_WEB_DID_NOT_OPEN.code,
    WHATSAPP_WEB_ERROR.code,
    "whatsapp_web_did_not_load",
    "whatsapp_web_changed",
    "whatsapp_web_unstable",
    "command_failed",
    LINK_INTERRUPTED.code,
    PASSKEY_REQUIRED.code,
    PASSKEY_NOT_CONFIRMED.code,
)
MESSAGE_CODES = (
    UNKNOWN,
    UNDECRYPTABLE,
    SEND_REFUSED,
    UNSUPPORTED_MESSAGE,
    NOT_ON_WHATSAPP,
    SEND_FAILED,
    CHATBOT_NOT_FOUND,
    CHATBOT_SECRET_MISSING,
    CHATBOT_TIMEOUT,
    CHATBOT_UNREACHABLE,
    CHATBOT_HTTP_ERROR,
    CHATBOT_BAD_ANSWER,
    CHATBOT_ANSWER_TOO_LARGE,
    CHATBOT_REDIRECT,
    ENDPOINT_NOT_ALLOWED,
    MEDIA_TOO_LARGE,
    MEDIA_NOT_SUPPORTED,
    MEDIA_UNREACHABLE,
    MEDIA_NOT_FOUND,
)
