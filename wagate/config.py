"""Typed settings, read once from the environment; a missing key fails fast and is named.

The same names are used by the API lambda, the runners, the local stack (`.local/stack.env`)
and the CDK app, so a value is spelled one way everywhere.

In AWS, secrets are not put in the environment: `WAGATE_SECRET_ARN` names a Secrets Manager secret
(JSON object) whose keys (`SECRET_KEYS`) fill the settings that the environment leaves empty.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from wagate.errors import ConfigError

SECRET_KEYS = (
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_JWT_SECRET",
    "CHECKPOINT_KEY",
    # what the runners send to the project's own avatar-chat: the anon key (Supabase's gateway wants
    # a JWT; the service key never leaves wagate) and the secret that signs the calls
    "SUPABASE_ANON_KEY",
    "AVATAR_CHAT_SIGNING_SECRET",
)


def _load_secret(arn: str) -> dict[str, str]:
    import boto3

    client = boto3.client("secretsmanager")
    payload = client.get_secret_value(SecretId=arn)["SecretString"]
    values = json.loads(payload)
    if not isinstance(values, dict):
        raise ConfigError(f"secret {arn} is not a JSON object")
    return {k: str(v) for k, v in values.items()}


def resolve_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment, with secrets from `WAGATE_SECRET_ARN` filled in where unset."""
    env = dict(os.environ if environ is None else environ)
    arn = env.get("WAGATE_SECRET_ARN")
    if arn:
        for key, value in _load_secret(arn).items():
            if key in SECRET_KEYS and not env.get(key):
                env[key] = value
    return env


def _require(env: Mapping[str, str], key: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        raise ConfigError(f"missing setting {key}: set it in the environment (locally .local/stack.env)")
    return value


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"setting {key} must be an integer, got {raw!r}") from exc


def _flag(env: Mapping[str, str], key: str, default: bool = False) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"setting {key} must be 1 or 0 (true or false), got {raw!r}")


def cors_origins(env: Mapping[str, str]) -> tuple[str, ...]:
    """The browser origins allowed to call the API (`CORS_ALLOW_ORIGINS`, comma-separated; the
    older single `CORS_ALLOW_ORIGIN` still counts). None by default."""
    raw = env.get("CORS_ALLOW_ORIGINS") or env.get("CORS_ALLOW_ORIGIN") or ""
    return tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"setting {key} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class AuthSettings:
    """How user access tokens are verified (Supabase Auth)."""

    issuer: str
    audience: str
    jwt_secret: str | None
    jwks_url: str | None
    allow_anonymous: bool = False  # Supabase's anonymous sign-ins (`is_anonymous`) as full users

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuthSettings:
        supabase_url = _require(env, "SUPABASE_URL").rstrip("/")
        jwks = env.get("SUPABASE_JWKS_URL", f"{supabase_url}/auth/v1/.well-known/jwks.json")
        return cls(
            issuer=env.get("JWT_ISSUER") or f"{supabase_url}/auth/v1",
            audience=env.get("JWT_AUDIENCE") or "authenticated",
            jwt_secret=env.get("SUPABASE_JWT_SECRET") or None,
            jwks_url=jwks or None,
            allow_anonymous=_flag(env, "WAGATE_ALLOW_ANONYMOUS_USERS"),
        )


@dataclass(frozen=True)
class Settings:
    """What both the API and the runners need."""

    supabase_url: str
    service_role_key: str
    start_queue_url: str
    runner_queue_prefix: str
    checkpoint_bucket: str
    auth: AuthSettings
    aws_endpoint_url: str | None = None
    cors_allow_origins: tuple[str, ...] = ()
    # Tenants' endpoints on private and loopback addresses, and http (a trusted network; the
    # local stack): see wagate/endpoints.py. Link-local and metadata addresses stay refused.
    allow_private_endpoints: bool = False
    # How long a chatbot's previous signing secret stays valid after a rotation.
    secret_rotation_overlap_s: int = 24 * 3600
    max_sessions_per_user: int = 20
    max_webhooks_per_user: int = 10
    # Fixed one-minute windows counted in Postgres (the API is stateless); 0 turns a limit off.
    api_calls_per_minute: int = 600  # per user, every authenticated API call
    sends_per_minute: int = 60  # per session, POST /api/messages/send
    http_timeout_s: float = 10.0
    # Media (wagate/media_store.py): the bucket (the checkpoint bucket unless set) and how long a
    # presigned URL lives.
    media_bucket: str = ""
    media_url_ttl_s: int = 900
    # The operator's view (wagate/admin_api.py): a runner whose heartbeat is older is gone; a
    # session opening or waiting to be claimed for longer is stuck.
    heartbeat_window_s: float = 20.0
    stuck_after_s: int = 300
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = resolve_environment(environ)
        return cls(
            supabase_url=_require(env, "SUPABASE_URL").rstrip("/"),
            service_role_key=_require(env, "SUPABASE_SERVICE_ROLE_KEY"),
            start_queue_url=_require(env, "WAGATE_START_QUEUE_URL"),
            runner_queue_prefix=env.get("WAGATE_RUNNER_QUEUE_PREFIX") or "wagate-runner-",
            checkpoint_bucket=_require(env, "WAGATE_CHECKPOINT_BUCKET"),
            auth=AuthSettings.from_env(env),
            aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            cors_allow_origins=cors_origins(env),
            allow_private_endpoints=_flag(env, "WAGATE_ALLOW_PRIVATE_ENDPOINTS"),
            secret_rotation_overlap_s=_int(env, "WAGATE_SECRET_ROTATION_OVERLAP_S", 24 * 3600),
            max_sessions_per_user=_int(env, "WAGATE_MAX_SESSIONS_PER_USER", 20),
            max_webhooks_per_user=_int(env, "WAGATE_MAX_WEBHOOKS_PER_USER", 10),
            api_calls_per_minute=_int(env, "WAGATE_API_CALLS_PER_MINUTE", 600),
            sends_per_minute=_int(env, "WAGATE_SENDS_PER_MINUTE", 60),
            http_timeout_s=_float(env, "WAGATE_HTTP_TIMEOUT_S", 10.0),
            media_bucket=env.get("WAGATE_MEDIA_BUCKET") or env["WAGATE_CHECKPOINT_BUCKET"],
            media_url_ttl_s=_int(env, "WAGATE_MEDIA_URL_TTL_S", 900),
            heartbeat_window_s=_float(env, "WAGATE_HEARTBEAT_WINDOW_S", 20.0),
            stuck_after_s=_int(env, "WAGATE_STUCK_AFTER_S", 300),
            extra=env,
        )

    @property
    def rest_url(self) -> str:
        return f"{self.supabase_url}/rest/v1"

    @property
    def avatar_chat_url(self) -> str:
        return self.extra.get("AVATAR_CHAT_URL") or f"{self.supabase_url}/functions/v1/avatar-chat"
