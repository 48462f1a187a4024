"""What the runner tells the platform it runs on, so the fleet scales on sessions and a scale-in
never stops a runner that holds them:

- `ActiveSessions` (namespace `Wagate`, dimension `Stage` = WAGATE_STAGE) to CloudWatch every
  METRICS_INTERVAL_S; the autoscaling policy tracks its Average (sessions per runner). With it, what
  the operator alarms on (runner/metrics.py): the interval's sums of `MessagesAnswered`,
  `MessagesSent`, `MessagesFailed`, `ChatbotFailures`, `SessionFailures`, `BrowserRestarts`, and
  `RunnerHeartbeats` (1 per runner: its absence means no runner reports).
- ECS task scale-in protection through the agent (`$ECS_AGENT_URI/task-protection/v1/state`):
  on while the runner holds a session, renewed before it expires, off when it holds none.
  Outside ECS (no ECS_AGENT_URI) there is nothing to protect.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import boto3
import httpx
from botocore.exceptions import BotoCoreError, ClientError

from runner.metrics import CLOUDWATCH_COUNTERS, HEARTBEAT_METRIC, RunnerMetrics
from wagate.queues import BOTO_CONFIG

log = logging.getLogger("runner.platform")

METRICS_NAMESPACE = "Wagate"
SESSIONS_METRIC = "ActiveSessions"
PROTECTION_MINUTES = 60  # renewed at half-time while sessions are held


class PlatformReporter:
    def __init__(self, env: Mapping[str, str], *, endpoint_url: str | None = None) -> None:
        self.stage = env.get("WAGATE_STAGE") or "local"
        self.namespace = env.get("WAGATE_METRICS_NAMESPACE") or METRICS_NAMESPACE
        self.metrics_enabled = (env.get("WAGATE_METRICS") or "1").strip().lower() not in (
            "0",
            "false",
            "no",
            "off",
        )
        self.metrics_interval_s = float(env.get("METRICS_INTERVAL_S") or 60)
        self.agent_uri = (env.get("ECS_AGENT_URI") or "").rstrip("/") or None
        self._cloudwatch = (
            boto3.client("cloudwatch", endpoint_url=endpoint_url, config=BOTO_CONFIG)
            if self.metrics_enabled
            else None
        )
        self._http = httpx.AsyncClient(timeout=5)
        self._last_metric = 0.0
        self.protected: bool | None = None  # as last confirmed by the agent
        self._protected_until = 0.0

    async def report(
        self, sessions: int, metrics: RunnerMetrics | None = None, *, force: bool = False
    ) -> None:
        """Called on every heartbeat: publishes the metrics when they are due, and keeps the task's
        protection in step with whether the runner holds sessions. Failures are logged, never raised."""
        now = time.monotonic()
        if self._cloudwatch is not None and (force or now - self._last_metric >= self.metrics_interval_s):
            self._last_metric = now
            await self._publish(sessions, metrics.unpublished() if metrics is not None else {})
        if self.agent_uri:
            want = sessions > 0
            renew = want and now > self._protected_until - PROTECTION_MINUTES * 30
            if want != self.protected or renew:
                await self._protect(want)

    def metric_data(self, sessions: int, counters: Mapping[str, int]) -> list[dict]:
        """One datum per metric; the counters as what they added since the last publication."""
        values = {SESSIONS_METRIC: sessions, HEARTBEAT_METRIC: 1}
        values.update({CLOUDWATCH_COUNTERS[name]: added for name, added in counters.items()})
        return [
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Stage", "Value": self.stage}],
                "Value": float(value),
                "Unit": "Count",
            }
            for name, value in values.items()
        ]

    async def _publish(self, sessions: int, counters: Mapping[str, int]) -> None:
        try:
            await asyncio.to_thread(
                self._cloudwatch.put_metric_data,
                Namespace=self.namespace,
                MetricData=self.metric_data(sessions, counters),
            )
        except (BotoCoreError, ClientError) as exc:
            log.warning("metric not published", extra={"error": str(exc)[:200]})

    async def _protect(self, enabled: bool) -> None:
        body: dict = {"ProtectionEnabled": enabled}
        if enabled:
            body["ExpiresInMinutes"] = PROTECTION_MINUTES
        try:
            response = await self._http.put(f"{self.agent_uri}/task-protection/v1/state", json=body)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("task protection not changed", extra={"enabled": enabled, "error": str(exc)[:200]})
            return
        self.protected = enabled
        self._protected_until = time.monotonic() + PROTECTION_MINUTES * 60 if enabled else 0.0
        log.info("task protection", extra={"enabled": enabled})

    async def aclose(self) -> None:
        await self._http.aclose()
