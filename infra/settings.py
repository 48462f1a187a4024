"""Per-stage settings of the CDK app, read once from CDK context.

`cdk.json` holds one block per stage under `wagate:stages`; `-c stage=prod` picks one and any
`-c KEY=VALUE` whose KEY is a field below overrides that stage's value (`-c supabase_url=https://…`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from constructs import Node

DEFAULT_STAGE = "dev"
STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,11}$")
# What `make synth` uses when no Supabase project is configured; `make deploy` refuses it.
PLACEHOLDER_SUPABASE_URL = "https://your-project-ref.supabase.co"


class SettingsError(ValueError):
    """A stage setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class StageSettings:
    stage: str
    supabase_url: str = PLACEHOLDER_SUPABASE_URL
    # An existing Secrets Manager secret to use (by name) instead of the one the stack creates.
    secret_name: str = ""
    # The dashboards' origins allowed to call the API from a browser, comma-separated; none by default.
    cors_allow_origins: str = ""
    jwt_issuer: str = ""
    jwt_audience: str = ""
    wa_web_url: str = "https://web.whatsapp.com/"
    # Network: one NAT gateway is the cheap default; 2 gives one per AZ (survives an AZ outage).
    nat_gateways: int = 1
    # Runners: one Chromium each, RUNNER_CAPACITY sessions (browser contexts) each.
    runner_cpu: int = 1024
    runner_memory_mib: int = 4096
    runner_capacity: int = 10
    min_runners: int = 1
    max_runners: int = 4
    # Scale out when runners hold more than this share of their capacity on average.
    target_utilization_percent: int = 70
    # A crashed runner's sessions are claimed by others after this (a stopped one releases them).
    lease_ttl_seconds: int = 30
    container_insights: bool = False
    # API Gateway stage throttling (requests per second, burst).
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    log_retention_days: int = 30
    # Keep log groups and the stack-created secret when the stack is destroyed.
    # (The checkpoint bucket and its KMS key are always kept: they hold users' WhatsApp logins.)
    retain_data: bool = False
    # Days a deleted or overwritten checkpoint stays recoverable before S3 expires it.
    checkpoint_noncurrent_days: int = 7
    # Days a message's media bytes are kept (`media/…` in the checkpoint bucket) before S3 expires them.
    media_retention_days: int = 90
    # Origins whose pages may use the presigned media URLs from a browser, comma-separated. Any by
    # default: a presigned URL is itself the authorization, CORS only lets a browser read the answer.
    media_cors_origins: str = "*"

    def __post_init__(self) -> None:
        if not STAGE_PATTERN.match(self.stage):
            raise SettingsError(
                f"stage {self.stage!r} must be lower-case letters and digits, at most 12 characters"
            )
        if not self.supabase_url.startswith("https://"):
            raise SettingsError(f"supabase_url must be an https URL, got {self.supabase_url!r}")
        if not 1 <= self.min_runners <= self.max_runners:
            raise SettingsError("min_runners must be at least 1 and at most max_runners")
        if self.nat_gateways not in (1, 2):
            raise SettingsError("nat_gateways must be 1 (the cheap default) or 2 (one per AZ)")
        if not 1 <= self.target_utilization_percent <= 100:
            raise SettingsError("target_utilization_percent must be between 1 and 100")
        if self.media_retention_days < 1:
            raise SettingsError("media_retention_days must be at least 1")
        if not self.media_cors_origin_list or not all(
            origin == "*" or origin.startswith(("https://", "http://"))
            for origin in self.media_cors_origin_list
        ):
            raise SettingsError(
                "media_cors_origins must be `*` or comma-separated http(s) origins, "
                f"got {self.media_cors_origins!r}"
            )

    @property
    def stack_name(self) -> str:
        """Also the Chalice stage: the `chalice.cdk` construct names its stage after the stack."""
        return f"wagate-{self.stage}"

    @property
    def resource_prefix(self) -> str:
        return f"wagate-{self.stage}"

    @property
    def start_queue_name(self) -> str:
        return f"{self.resource_prefix}-start"

    @property
    def runner_queue_prefix(self) -> str:
        """Runners create their queues (and each one's `…-dlq`) under this prefix; IAM is scoped to it."""
        return f"{self.resource_prefix}-runner-"

    @property
    def media_cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.media_cors_origins.split(",") if origin.strip()]

    @property
    def target_sessions_per_runner(self) -> float:
        return max(1.0, self.runner_capacity * self.target_utilization_percent / 100)

    @property
    def uses_placeholder_supabase_url(self) -> bool:
        return self.supabase_url == PLACEHOLDER_SUPABASE_URL


def _coerce(name: str, kind: Any, value: Any) -> Any:
    """Context values given with `-c` arrive as strings; cdk.json gives JSON types."""
    if kind in (bool, "bool"):
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes"):
            return True
        if str(value).lower() in ("false", "0", "no", ""):
            return False
        raise SettingsError(f"setting {name} must be true or false, got {value!r}")
    if kind in (int, "int"):
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"setting {name} must be an integer, got {value!r}") from exc
    return str(value)


def settings_from_context(
    stage: str, stages: Mapping[str, Mapping[str, Any]], overrides: Mapping[str, Any]
) -> StageSettings:
    """The settings of `stage`: its block in `stages`, then `overrides` (only known keys)."""
    if stage not in stages:
        raise SettingsError(f"unknown stage {stage!r}: cdk.json defines {', '.join(sorted(stages))}")
    fields = {f.name: f for f in dataclasses.fields(StageSettings) if f.name != "stage"}
    values: dict[str, Any] = {}
    for source in (stages[stage], overrides):
        for key, value in source.items():
            if key in fields and value is not None:
                values[key] = _coerce(key, fields[key].type, value)
    unknown = set(stages[stage]) - set(fields)
    if unknown:
        raise SettingsError(f"unknown setting(s) for stage {stage}: {', '.join(sorted(unknown))}")
    return StageSettings(stage=stage, **values)


def settings_from_node(node: Node) -> StageSettings:
    """The stage settings from an app's context (`-c stage=…`, cdk.json's `wagate:stages`)."""
    stage = node.try_get_context("stage") or DEFAULT_STAGE
    stages = node.try_get_context("wagate:stages") or {DEFAULT_STAGE: {}}
    names = [f.name for f in dataclasses.fields(StageSettings) if f.name != "stage"]
    overrides = {name: node.try_get_context(name) for name in names}
    return settings_from_context(str(stage), stages, overrides)
