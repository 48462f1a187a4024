"""Local secrets and Supabase-shaped tokens.

The JWT secret and database passwords are generated on first start and kept in the state
directory (mode 0600), so tokens minted yesterday still work today. Nothing here is used in AWS.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import jwt

from wagate.signing import new_signing_secret

TEN_YEARS_S = 10 * 365 * 24 * 3600


@dataclass(frozen=True)
class LocalSecrets:
    jwt_secret: str
    postgres_password: str
    authenticator_password: str
    checkpoint_key: str = ""  # AES-256 key (base64) sealing the runners' auth checkpoints
    avatar_chat_secret: str = ""  # signs the runners' calls to the local avatar-chat (whsec_...)

    @classmethod
    def load_or_create(cls, path: Path) -> LocalSecrets:
        if path.exists():
            loaded = cls(**json.loads(path.read_text()))
            if loaded.checkpoint_key and loaded.avatar_chat_secret:
                return loaded
            created = cls(  # state from before these keys existed
                **{
                    **asdict(loaded),
                    "checkpoint_key": loaded.checkpoint_key or _new_aes_key(),
                    "avatar_chat_secret": loaded.avatar_chat_secret or new_signing_secret(),
                }
            )
        else:
            created = cls(
                jwt_secret=secrets.token_urlsafe(48),
                postgres_password=secrets.token_urlsafe(24),
                authenticator_password=secrets.token_urlsafe(24),
                checkpoint_key=_new_aes_key(),
                avatar_chat_secret=new_signing_secret(),
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(created), handle)
        return created


def _new_aes_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def api_key(role: str, secret: str, *, issuer: str = "supabase-demo") -> str:
    """An anon or service_role key, as Supabase's local setup makes them (long-lived JWTs)."""
    now = int(time.time())
    claims = {"iss": issuer, "role": role, "iat": now, "exp": now + TEN_YEARS_S}
    return jwt.encode(claims, secret, algorithm="HS256")


def user_token(
    supabase_url: str,
    secret: str,
    user_id: str | None = None,
    *,
    email: str | None = None,
    ttl_s: int = 3600,
    **overrides: object,
) -> str:
    """An access token shaped exactly like Supabase Auth's for `user_id`."""
    now = int(time.time())
    sub = user_id or str(uuid.uuid4())
    claims: dict[str, object] = {
        "iss": f"{supabase_url.rstrip('/')}/auth/v1",
        "aud": "authenticated",
        "role": "authenticated",
        "sub": sub,
        "email": email or f"{sub[:8]}@wagate.local",
        "iat": now,
        "exp": now + ttl_s,
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
    }
    claims.update(overrides)
    return jwt.encode(claims, secret, algorithm="HS256")
