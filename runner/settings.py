"""The runner's settings, read once from the environment (names shared with infra/ and devstack/)."""

from __future__ import annotations

import functools
import re
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runner.bridge import bridge_script
from wagate.config import Settings, _float, _int, _require, resolve_environment
from wagate.errors import ConfigError
from wagate.signing import is_signing_secret

DEFAULT_WA_WEB_URL = "https://web.whatsapp.com/"


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


def _strategy(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("context", "profile"):
        raise ConfigError(f"CHECKPOINT_STRATEGY must be context or profile, not {raw!r}")
    return value


def _signing_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """AVATAR_CHAT_SIGNING_SECRET, and while a rotation's overlap lasts ..._PREVIOUS too."""
    current = _require(env, "AVATAR_CHAT_SIGNING_SECRET")
    previous = env.get("AVATAR_CHAT_SIGNING_SECRET_PREVIOUS", "").strip()
    for key, value in (
        ("AVATAR_CHAT_SIGNING_SECRET", current),
        ("AVATAR_CHAT_SIGNING_SECRET_PREVIOUS", previous),
    ):
        if value and not is_signing_secret(value):
            raise ConfigError(
                f"{key} must be a Standard Webhooks secret: whsec_ and base64 of 24+ random bytes"
            )
    return (current, previous) if previous else (current,)


def _metrics_port(env: Mapping[str, str]) -> int | None:
    """RUNNER_METRICS_PORT: unset or empty, no Prometheus endpoint; 0, any free port."""
    if not env.get("RUNNER_METRICS_PORT", "").strip():
        return None
    port = _int(env, "RUNNER_METRICS_PORT", 0)
    if not 0 <= port <= 65535:
        raise ConfigError(f"RUNNER_METRICS_PORT must be a TCP port (0-65535), not {port}")
    return port


@dataclass(frozen=True)
class RunnerSettings:
    common: Settings
    runner_id: str
    capacity: int
    wa_web_url: str
    lease_ttl_s: int
    heartbeat_file: Path
    heartbeat_interval_s: float
    pid_dir: Path | None
    poll_wait_s: int
    load_timeout_s: float  # WhatsApp Web must show a QR or log in within this
    modules_wait_s: float  # how long WhatsApp Web's chat and message modules may take to register
    ciphertext_wait_s: float  # how long an undecrypted message may wait to decrypt before it is failed
    passkey_wait_s: float  # how long linking may wait for the phone's passkey confirmation
    open_concurrency: int  # sessions opened (a page loaded, a login restored) at once
    bot_timeout_s: float  # one attempt of a chatbot call, from connect to the answer's last byte
    bot_attempts: int
    bot_calls_per_session: int  # chatbot calls in flight per session (its chats wait their turn)
    bot_connections_per_tenant: int  # connections to one tenant's own endpoints, per runner
    bot_max_answer_bytes: int
    bot_profile_ttl_s: float  # how long a chatbot's owner and secrets are cached (a rotation shows within)
    supabase_anon_key: str  # what the project's avatar-chat gets as its gateway JWT (never the service key)
    avatar_chat_secrets: tuple[str, ...]  # sign the calls to the project's avatar-chat (current, previous)
    send_rate_per_s: float
    send_burst: int
    typing_ms: int
    send_seen: bool  # mark the customer's messages read when replying
    send_typing: bool  # show "typing…" before each reply
    reply_to_groups: bool
    reply_to_own: bool
    log_message_text: bool
    max_receives: int
    shutdown_deadline_s: float
    checkpoint_strategy: str  # context | profile (see runner/checkpoint.py and the README)
    checkpoint_interval_s: float
    sweep_interval_s: float  # how often a session finishes work no job holds
    profile_root: Path
    warm_page: bool  # keep a WhatsApp Web page loaded for the next session that logs in
    warm_page_max_age_s: float  # ...and replace it when it has waited this long
    browser_dies_with_runner: bool  # the driver and Chromium get a parent-death signal (runner/lifeline.py)
    metrics_port: int | None  # Prometheus text at /metrics (runner/metrics.py); None: not served
    metrics_host: str  # loopback unless a scraper elsewhere must reach it

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RunnerSettings:
        env = resolve_environment(environ)
        runner_id = env.get("RUNNER_ID") or f"{socket.gethostname()[:20]}-{uuid.uuid4().hex[:8]}"
        runner_id = re.sub(r"[^A-Za-z0-9_-]", "-", runner_id)[:60]
        pid_dir = env.get("RUNNER_PID_DIR")
        return cls(
            common=Settings.from_env(env),
            runner_id=runner_id,
            capacity=_int(env, "RUNNER_CAPACITY", 50),
            wa_web_url=env.get("WA_WEB_URL") or DEFAULT_WA_WEB_URL,
            lease_ttl_s=_int(env, "LEASE_TTL_SECONDS", 15),
            heartbeat_file=Path(env.get("HEARTBEAT_FILE") or f"/tmp/wagate-heartbeat-{runner_id}"),
            heartbeat_interval_s=_float(env, "HEARTBEAT_INTERVAL_S", 5.0),
            pid_dir=Path(pid_dir) if pid_dir else None,
            poll_wait_s=_int(env, "RUNNER_POLL_WAIT_S", 2),
            load_timeout_s=_float(env, "WA_LOAD_TIMEOUT_S", 45.0),
            modules_wait_s=_float(env, "WA_MODULES_WAIT_S", 40.0),
            ciphertext_wait_s=_float(env, "CIPHERTEXT_WAIT_S", 60.0),
            passkey_wait_s=_float(env, "PASSKEY_WAIT_S", 300.0),
            open_concurrency=max(1, _int(env, "OPEN_CONCURRENCY", 8)),
            bot_timeout_s=_float(env, "BOT_TIMEOUT_S", 15.0),
            bot_attempts=_int(env, "BOT_ATTEMPTS", 3),
            bot_calls_per_session=max(1, _int(env, "BOT_CALLS_PER_SESSION", 4)),
            bot_connections_per_tenant=max(1, _int(env, "BOT_CONNECTIONS_PER_TENANT", 8)),
            bot_max_answer_bytes=_int(env, "BOT_MAX_ANSWER_BYTES", 8 * 1024 * 1024),
            bot_profile_ttl_s=_float(env, "BOT_PROFILE_TTL_S", 30.0),
            supabase_anon_key=_require(env, "SUPABASE_ANON_KEY"),
            avatar_chat_secrets=_signing_secrets(env),
            send_rate_per_s=_float(env, "SEND_RATE_PER_S", 1.0),
            send_burst=_int(env, "SEND_BURST", 10),
            typing_ms=_int(env, "TYPING_MS", 0),
            send_seen=_bool(env, "SEND_SEEN", True),
            send_typing=_bool(env, "SEND_TYPING", True),
            reply_to_groups=_bool(env, "REPLY_TO_GROUPS", False),
            reply_to_own=_bool(env, "REPLY_TO_OWN_MESSAGES", False),
            log_message_text=_bool(env, "LOG_MESSAGE_TEXT", False),
            max_receives=_int(env, "COMMAND_MAX_RECEIVES", 5),
            shutdown_deadline_s=_float(env, "SHUTDOWN_DEADLINE_S", 100.0),
            checkpoint_strategy=_strategy(env.get("CHECKPOINT_STRATEGY") or "context"),
            checkpoint_interval_s=_float(env, "CHECKPOINT_INTERVAL_S", 60.0),
            sweep_interval_s=_float(env, "SWEEP_INTERVAL_S", 30.0),
            profile_root=Path(env.get("RUNNER_PROFILE_DIR") or f"/tmp/wagate-profiles-{runner_id}"),
            warm_page=_bool(env, "WARM_PAGE", True),
            warm_page_max_age_s=_float(env, "WARM_PAGE_MAX_AGE_S", 600.0),
            browser_dies_with_runner=_bool(env, "BROWSER_DIES_WITH_RUNNER", True),
            metrics_port=_metrics_port(env),
            metrics_host=env.get("RUNNER_METRICS_HOST") or "127.0.0.1",
        )

    @functools.cached_property
    def bridge_js(self) -> str:
        """The bridge, with these settings in it."""
        return bridge_script(
            modules_wait_ms=int(self.modules_wait_s * 1000),
            ciphertext_wait_ms=int(self.ciphertext_wait_s * 1000),
        )

    @property
    def runner_queue_name(self) -> str:
        return f"{self.common.runner_queue_prefix}{self.runner_id}"[:80]
