"""Webhooks: what an endpoint can subscribe to, the retry schedule, and the dispatcher.

Events are written by Postgres itself, by triggers of the statements that change what they
describe (supabase/migrations/20261207000000_webhooks.sql), one delivery per subscribed endpoint.
A dispatcher claims due deliveries (`claim_webhook_deliveries`: FOR UPDATE SKIP LOCKED, each claim
a lease), posts each event through the endpoint guard (`wagate.endpoints`: the tenant's URL, one
connection pool per tenant, one deadline per call), signed as Standard Webhooks specifies
(`wagate.signing`), and records the attempt (`finish_webhook_delivery`). Any number of
dispatchers run side by side; one killed in the middle of a delivery leaves it due again when its
lease ends, so every event is delivered at least once, each time with the same `webhook-id`.

Where it runs: in AWS, the Chalice app's scheduled function (`api_lambda/app.py`), started every
minute and dispatching for `WEBHOOK_RUN_S` of it; locally, `python -m wagate.webhooks`, a process
of the stack that the supervisor restarts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wagate import logs
from wagate.config import Settings, _float, _int
from wagate.endpoints import EndpointFailure, GuardedClients
from wagate.errors import ConfigError, WagateError
from wagate.signing import signature_headers
from wagate.store import AsyncStore

log = logging.getLogger("wagate.webhooks")

EVENT_TYPES = (
    "session.status",
    "session.qr",
    "message.received",
    "message.replied",
    "message.sent",
    "message.ack",
    "message.failed",
)
PING = "ping"  # POST /api/webhooks/{id}/test: to that endpoint only, whatever it subscribes to
# After each failed attempt, the wait before the next (seconds): 8 attempts over about 27.6 hours
# (Standard Webhooks' recommended schedule); then the delivery is `failed`.
RETRY_SCHEDULE_S = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
JITTER = 0.2  # each wait is drawn from ±20 % of the schedule's value
DISABLE_AFTER_S = 5 * 24 * 3600  # an endpoint with no success for this long is disabled
USER_AGENT = "wagate-webhooks"
PROMOTE_EVERY_S = 15.0
METRICS_NAMESPACE = "Wagate"  # the runners' too (runner/platform.py)
PURGE_EVERY_S = 600.0
UNSENT_UPLOAD_S = 24 * 3600  # a media upload (POST /api/media) not sent within a day is dropped


def parse_schedule(raw: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(
            f"WEBHOOK_RETRY_SCHEDULE_S must be seconds separated by commas, got {raw!r}"
        ) from exc
    if any(v < 0 for v in values):
        raise ConfigError("WEBHOOK_RETRY_SCHEDULE_S must not have negative waits")
    return values


@dataclass(frozen=True)
class DispatchConfig:
    schedule_s: tuple[float, ...] = RETRY_SCHEDULE_S
    jitter: float = JITTER
    timeout_s: float = 10.0  # one call, connect to last byte
    concurrency: int = 64  # calls in flight per dispatcher
    per_tenant: int = 8  # connections per tenant: one tenant's slow endpoint cannot take them all
    max_answer_bytes: int = 64 * 1024
    # how often to look for due deliveries when there were none: `poll_s` while events came in the
    # last `busy_s`, `idle_poll_s` after (an idle stack asks the database twice a second)
    poll_s: float = 0.05
    idle_poll_s: float = 0.5
    busy_s: float = 10.0
    disable_after_s: int = DISABLE_AFTER_S
    retention_s: int = 30 * 24 * 3600  # events whose deliveries are done are kept this long
    run_s: float = 50.0  # one scheduled Lambda invocation (started every minute)

    @property
    def lease_s(self) -> int:
        """A claim lasts past the call's deadline: a dispatcher that died leaves it due after this."""
        return int(self.timeout_s) + 20

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DispatchConfig:
        raw = env.get("WEBHOOK_RETRY_SCHEDULE_S", "").strip()
        return cls(
            schedule_s=parse_schedule(raw) if raw else RETRY_SCHEDULE_S,
            timeout_s=_float(env, "WEBHOOK_TIMEOUT_S", 10.0),
            concurrency=max(1, _int(env, "WEBHOOK_CONCURRENCY", 64)),
            per_tenant=max(1, _int(env, "WEBHOOK_CONNECTIONS_PER_TENANT", 8)),
            poll_s=_float(env, "WEBHOOK_POLL_S", 0.05),
            idle_poll_s=_float(env, "WEBHOOK_IDLE_POLL_S", 0.5),
            disable_after_s=_int(env, "WEBHOOK_DISABLE_AFTER_S", DISABLE_AFTER_S),
            retention_s=_int(env, "WEBHOOK_RETENTION_S", 30 * 24 * 3600),
            run_s=_float(env, "WEBHOOK_RUN_S", 50.0),
        )

    def retry_in(self, attempt: int, rng: Callable[[], float] = random.random) -> float | None:
        """The wait after failed attempt number `attempt` (1-based); None: no attempt is left."""
        if attempt > len(self.schedule_s):
            return None
        base = self.schedule_s[attempt - 1]
        return max(0.0, base * (1 + self.jitter * (2 * rng() - 1)))


def envelope_body(event: Mapping[str, object]) -> bytes:
    """The request body: the envelope `{id, type, created_at, user_id, session_id, chatbot_id, data}`."""
    keys = ("id", "type", "created_at", "user_id", "session_id", "chatbot_id", "data")
    return json.dumps({k: event.get(k) for k in keys}, separators=(",", ":"), ensure_ascii=False).encode()


class Dispatcher:
    """Claims due deliveries and makes their calls, `config.concurrency` at once."""

    def __init__(
        self,
        store: AsyncStore,
        config: DispatchConfig,
        *,
        allow_private: bool,
        worker_id: str | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.config = config
        self.worker_id = worker_id or f"{socket.gethostname()[:30]}-{uuid.uuid4().hex[:8]}"
        self.clients = GuardedClients(
            allow_private=allow_private, per_tenant=config.per_tenant, user_agent=USER_AGENT
        )
        self.rng = rng
        self.delivered = 0
        self.failed_attempts = 0
        self._inflight: set[asyncio.Task] = set()
        self._per_user: dict[str, int] = {}  # calls in flight per tenant
        self._last_purge = self._last_promote = self._last_work = 0.0

    async def aclose(self) -> None:
        await self.clients.aclose()

    async def run(self, stop: asyncio.Event, *, seconds: float | None = None) -> None:
        """Dispatch until `stop` is set (or `seconds` passed), then finish the calls in flight."""
        until = None if seconds is None else time.monotonic() + seconds
        while not stop.is_set() and (until is None or time.monotonic() < until):
            room = self.config.concurrency - len(self._inflight)
            if room <= 0:
                await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
                continue
            busy = [user for user, calls in self._per_user.items() if calls >= self.config.per_tenant]
            try:
                rows = await self.store.rpc(
                    "claim_webhook_deliveries",
                    {
                        "p_worker": self.worker_id,
                        "p_limit": room,
                        "p_lease_s": self.config.lease_s,
                        "p_per_user": self.config.per_tenant,
                        "p_busy_users": busy,
                    },
                )
            except WagateError as exc:
                log.warning("claiming deliveries failed", extra={"error": str(exc)[:200]})
                await _sleep_or_stop(stop, 1.0)
                continue
            for row in rows or []:
                user = str(row["user_id"])
                self._per_user[user] = self._per_user.get(user, 0) + 1
                task = asyncio.create_task(self._deliver(row))
                self._inflight.add(task)
                task.add_done_callback(lambda t, user=user: self._done(t, user))
            if not rows:
                await self._housekeeping()
                if self._inflight:  # a call finishing frees its tenant and may make its session's next due
                    await asyncio.wait(
                        self._inflight, timeout=self.config.poll_s, return_when=asyncio.FIRST_COMPLETED
                    )
                else:
                    recent = time.monotonic() - self._last_work < self.config.busy_s
                    await _sleep_or_stop(stop, self.config.poll_s if recent else self.config.idle_poll_s)
            else:
                self._last_work = time.monotonic()
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self.config.timeout_s + 5)

    def _done(self, task: asyncio.Task, user: str) -> None:
        self._inflight.discard(task)
        left = self._per_user.get(user, 1) - 1
        if left > 0:
            self._per_user[user] = left
        else:
            self._per_user.pop(user, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("a delivery crashed", exc_info=task.exception())

    async def _deliver(self, row: Mapping[str, object]) -> None:
        event = row["event"]
        assert isinstance(event, Mapping)
        body = envelope_body(event)
        secrets: Sequence[str] = row["secrets"]  # type: ignore[assignment]
        headers = {
            **signature_headers(secrets, message_id=str(event["id"]), body=body),
            "Content-Type": "application/json",
        }
        started = time.monotonic()
        status_code: int | None = None
        try:
            answer = await self.clients.post(
                str(row["user_id"]),
                str(row["url"]),
                content=body,
                headers=headers,
                deadline_s=self.config.timeout_s,
                max_bytes=self.config.max_answer_bytes,
            )
            status_code = answer.status
            ok = 200 <= answer.status < 300
            error = None if ok else f"the endpoint answered HTTP {answer.status}"
        except EndpointFailure as exc:
            ok, error = False, exc.message
        latency_ms = int((time.monotonic() - started) * 1000)
        attempt = int(row["attempt"])  # type: ignore[call-overload]
        retry_in = None if ok else self.config.retry_in(attempt, self.rng)
        if ok:
            self.delivered += 1
        else:
            self.failed_attempts += 1
        try:
            await self.store.rpc(
                "finish_webhook_delivery",
                {
                    "p_delivery_id": row["delivery_id"],
                    "p_worker": self.worker_id,
                    "p_attempt": attempt,
                    "p_ok": ok,
                    "p_status_code": status_code,
                    "p_latency_ms": latency_ms,
                    "p_error": error,
                    "p_retry_in_s": retry_in,
                    "p_disable_after_s": self.config.disable_after_s,
                },
            )
        except WagateError as exc:  # the lease ends and the delivery is made again: at least once
            log.warning(
                "recording a delivery failed",
                extra={"delivery_id": row["delivery_id"], "error": str(exc)[:200]},
            )

    async def _housekeeping(self) -> None:
        """Now and then, when idle: waiting deliveries that may go (a delivery written behind an
        earlier one while that one was finishing), events past the retention, and the rows of media
        uploads never sent (their objects expire by the bucket's lifecycle after the same day)."""
        now = time.monotonic()
        try:
            if now - self._last_promote >= PROMOTE_EVERY_S:
                self._last_promote = now
                await self.store.rpc("wagate_promote_deliveries", {"p_webhook_id": None, "p_order_key": None})
            if now - self._last_purge >= PURGE_EVERY_S:
                self._last_purge = now
                await self.store.rpc(
                    "purge_webhook_events", {"p_older_than_s": self.config.retention_s, "p_limit": 1000}
                )
                await self.store.rpc("purge_media_uploads", {"p_older_than_s": UNSENT_UPLOAD_S})
        except WagateError as exc:
            log.warning("webhook housekeeping failed", extra={"error": str(exc)[:200]})


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


def new_dispatcher(settings: Settings) -> Dispatcher:
    store = AsyncStore(
        settings.rest_url,
        settings.service_role_key,
        timeout_s=settings.http_timeout_s,
        outage_s=30.0,  # Postgres or PostgREST restarting: wait for them rather than fail
        attempts=3,
    )
    return Dispatcher(
        store, DispatchConfig.from_env(settings.extra), allow_private=settings.allow_private_endpoints
    )


def backlog_metrics(due: int, oldest_due_s: float, *, stage: str, now_ms: int) -> dict:
    """The backlog as CloudWatch's embedded metric format: a log line that CloudWatch Logs turns into
    `WebhookBacklogAgeSeconds` and `WebhookDueDeliveries` (namespace `Wagate`, dimension `Stage`,
    as the runners' `ActiveSessions`); the alarm on the age is in infra/components/api.py."""
    return {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": METRICS_NAMESPACE,
                    "Dimensions": [["Stage"]],
                    "Metrics": [
                        {"Name": "WebhookBacklogAgeSeconds", "Unit": "Seconds"},
                        {"Name": "WebhookDueDeliveries", "Unit": "Count"},
                    ],
                }
            ],
        },
        "Stage": stage,
        "WebhookBacklogAgeSeconds": round(oldest_due_s, 1),
        "WebhookDueDeliveries": due,
    }


async def report_backlog(store: AsyncStore, stage: str) -> dict | None:
    """Print the backlog's metrics line (stdout: the Lambda's log); None when it cannot be read."""
    try:
        rows = await store.rpc("webhook_backlog")
    except WagateError as exc:
        log.warning("reading the webhook backlog failed", extra={"error": str(exc)[:200]})
        return None
    row = rows[0] if rows else {"due": 0, "oldest_due_s": 0.0}
    line = backlog_metrics(row["due"], row["oldest_due_s"], stage=stage, now_ms=int(time.time() * 1000))
    print(json.dumps(line), flush=True)
    return line


async def dispatch_for(settings: Settings, seconds: float | None = None) -> Dispatcher:
    """One scheduled run (the Lambda): dispatch for `seconds` (default `WEBHOOK_RUN_S`), then
    report the backlog left (the operator's alarm: events not going out)."""
    dispatcher = new_dispatcher(settings)
    try:
        await dispatcher.run(asyncio.Event(), seconds=dispatcher.config.run_s if seconds is None else seconds)
        await report_backlog(dispatcher.store, settings.extra.get("WAGATE_STAGE") or "local")
    finally:
        await dispatcher.aclose()
        await dispatcher.store.aclose()
    return dispatcher


async def _serve() -> None:
    settings = Settings.from_env()
    dispatcher = new_dispatcher(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("webhook dispatcher started", extra={"worker": dispatcher.worker_id})
    try:
        await dispatcher.run(stop)
    finally:
        await dispatcher.aclose()
        await dispatcher.store.aclose()
    log.info("webhook dispatcher stopped", extra={"delivered": dispatcher.delivered})


def main() -> None:
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"))
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
