"""Request signing as Standard Webhooks specifies (https://www.standardwebhooks.com/), the scheme
Supabase Auth hooks use too: every call wagate makes to a chatbot (and to a webhook) carries

    webhook-id:        the message's id, the same on every retry of it
    webhook-timestamp: seconds since the epoch, when this attempt was signed
    webhook-signature: "v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>", one per valid secret,
                       space-separated (two while a rotation's overlap lasts)

with a secret `whsec_<base64 of 32 random bytes>` that wagate makes for each chatbot and shows its
owner once. No key wagate holds is ever sent. The receiver verifies with the `standardwebhooks`
package (any language), or the few lines in the README.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def is_signing_secret(value: str) -> bool:
    if not value.startswith(SECRET_PREFIX):
        return False
    try:
        return len(base64.b64decode(value[len(SECRET_PREFIX) :], validate=True)) >= 24
    except ValueError:
        return False


def signature_headers(
    secrets_: Sequence[str], *, message_id: str, body: bytes, now: datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, signed with every secret in `secrets_`."""
    if not secrets_:
        raise ValueError("at least one signing secret is needed")
    timestamp = now or datetime.now(UTC)
    signatures = " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }
