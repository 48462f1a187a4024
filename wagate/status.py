"""Session and message states (lower case, as in the original architecture)."""

from __future__ import annotations

from enum import StrEnum


class SessionStatus(StrEnum):
    PENDING = "pending"
    STARTING = "starting"
    QR_READY = "qr_ready"
    AUTHENTICATING = "authenticating"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # lost, being recovered
    LOGGED_OUT = "logged_out"  # the phone unlinked the device: a new QR is needed
    QR_EXPIRED = "qr_expired"  # nobody scanned in time
    FAILED = "failed"  # see last_error


# States in which a runner should be holding the session.
LIVE_STATUSES = frozenset(
    {
        SessionStatus.PENDING,
        SessionStatus.STARTING,
        SessionStatus.QR_READY,
        SessionStatus.AUTHENTICATING,
        SessionStatus.CONNECTED,
        SessionStatus.DISCONNECTED,
    }
)
# States a session rests in until someone restarts it.
TERMINAL_STATUSES = frozenset({SessionStatus.LOGGED_OUT, SessionStatus.QR_EXPIRED, SessionStatus.FAILED})


class MessageStatus(StrEnum):
    RECEIVED = "received"
    REPLYING = "replying"
    QUEUED = "queued"
    REPLIED = "replied"  # inbound: the replies are stored (queued or sent)
    SENT = "sent"
    FAILED = "failed"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


QR_TTL_SECONDS = 60
MAX_TEXT_LENGTH = 65_536  # WhatsApp's limit for one text message
