"""The runner's view of the database: PostgREST calls with the service role, every session write
fenced by (runner_id, epoch) so a runner that lost a session can no longer change it."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any

import httpx

from runner.backoff import compute_backoff
from wagate.errors import StoreError
from wagate.status import Direction, MessageStatus

SESSIONS = "whatsapp_web_sessions"
MESSAGES = "whatsapp_web_messages"
log = logging.getLogger("runner.repository")


# PostgREST or Postgres restarting, or the gateway not reaching PostgREST: the request was not
# applied, so it is retried for a while (`outage_s`) instead of failing the work at hand.
UNAVAILABLE = {502, 503, 504}


class LeaseLost(Exception):
    """This runner no longer holds the session (another runner claimed it: its epoch is newer)."""


class StoreUnavailable(StoreError):
    """The database did not answer within the outage window (it is down, not refusing)."""


class RunnerRepository:
    def __init__(
        self, rest_url: str, service_key: str, *, timeout_s: float = 10.0, outage_s: float = 45.0
    ) -> None:
        self.outage_s = outage_s
        self._client = httpx.AsyncClient(
            base_url=rest_url.rstrip("/"),
            headers={"apikey": service_key, "Authorization": f"Bearer {service_key}"},
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, *, attempts: int = 3, **kwargs: Any) -> Any:
        """One PostgREST request. While the database is unreachable (transport errors, 502-504) it
        is retried with backoff for up to `outage_s`; other 5xx `attempts` times; then StoreError."""
        deadline = time.monotonic() + self.outage_s
        last: Exception | None = None
        for attempt in itertools.count(1):
            unavailable = False
            try:
                response = await self._client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                last, unavailable = exc, True
            else:
                if response.status_code < 400:
                    return response.json() if response.content else None
                if response.status_code < 500:
                    raise StoreError(f"{method} {path} -> {response.status_code}: {response.text[:300]}")
                last = StoreError(f"{method} {path} -> {response.status_code}")
                unavailable = response.status_code in UNAVAILABLE
            delay = compute_backoff(attempt, base_s=0.2, max_s=2.0)
            if unavailable and time.monotonic() + delay < deadline:
                if attempt == 1:
                    log.warning("database unavailable; retrying", extra={"error": str(last)[:200]})
            elif attempt >= attempts:
                break
            await asyncio.sleep(delay)
        if unavailable:
            raise StoreUnavailable(f"database unreachable for {self.outage_s:.0f} s: {last}") from last
        raise StoreError(f"database error: {last}") from last

    async def rpc(self, name: str, **params: Any) -> Any:
        return await self._call("POST", f"/rpc/{name}", json=params)

    # ------------------------------------------------------------------ runners
    async def register_runner(self, runner_id: str, queue_url: str, capacity: int) -> None:
        await self.rpc("register_runner", p_runner_id=runner_id, p_queue_url=queue_url, p_capacity=capacity)

    async def heartbeat(self, runner_id: str, active_sessions: int) -> None:
        await self.rpc("heartbeat_runner", p_runner_id=runner_id, p_active_sessions=active_sessions)

    async def delete_runner(self, runner_id: str) -> None:
        await self._call("DELETE", f"/whatsapp_web_runners?runner_id=eq.{runner_id}")

    async def stale_runners(self, older_than_s: int) -> list[dict]:
        from datetime import UTC, datetime, timedelta

        cutoff = (datetime.now(UTC) - timedelta(seconds=older_than_s)).isoformat()
        return await self._call(
            "GET", "/whatsapp_web_runners", params={"heartbeat_at": f"lt.{cutoff}", "select": "*"}
        )

    # ------------------------------------------------------------------ leases
    async def claim_session(self, session_id: str, runner_id: str, ttl_s: int) -> dict | None:
        rows = await self.rpc(
            "claim_session", p_session_id=session_id, p_runner_id=runner_id, p_ttl_seconds=ttl_s
        )
        return rows[0] if rows else None

    async def claim_orphaned(self, runner_id: str, limit: int, ttl_s: int) -> list[dict]:
        return await self.rpc(
            "claim_orphaned_sessions", p_runner_id=runner_id, p_limit=limit, p_ttl_seconds=ttl_s
        )

    async def renew_lease(self, session_id: str, runner_id: str, epoch: int, ttl_s: int) -> bool:
        return bool(
            await self.rpc(
                "renew_lease",
                p_session_id=session_id,
                p_runner_id=runner_id,
                p_epoch=epoch,
                p_ttl_seconds=ttl_s,
            )
        )

    async def release_session(self, session_id: str, runner_id: str, epoch: int) -> bool:
        return bool(
            await self.rpc("release_session", p_session_id=session_id, p_runner_id=runner_id, p_epoch=epoch)
        )

    # ------------------------------------------------------------------ sessions
    async def get_session(self, session_id: str) -> dict | None:
        rows = await self._call("GET", f"/{SESSIONS}", params={"id": f"eq.{session_id}", "select": "*"})
        return rows[0] if rows else None

    async def update_session(self, session_id: str, runner_id: str, epoch: int, **fields: Any) -> dict:
        """Fenced write: raises LeaseLost when this runner's epoch is no longer the session's."""
        rows = await self._call(
            "PATCH",
            f"/{SESSIONS}",
            params={"id": f"eq.{session_id}", "runner_id": f"eq.{runner_id}", "epoch": f"eq.{epoch}"},
            json=fields,
            headers={"Prefer": "return=representation"},
        )
        if not rows:
            raise LeaseLost(session_id)
        return rows[0]

    async def fail_session(self, session_id: str, reason: str) -> None:
        """Unfenced: for a session this runner does not hold (a command for it kept failing)."""
        await self._call(
            "PATCH",
            f"/{SESSIONS}",
            params={"id": f"eq.{session_id}"},
            json={"status": "failed", "last_error": reason},
        )

    # ------------------------------------------------------------------ messages
    async def insert_inbound(self, row: dict) -> dict | None:
        """Store a received message once: None when (session_id, message_id) is already stored."""
        rows = await self._call(
            "POST",
            f"/{MESSAGES}",
            params={"on_conflict": "session_id,message_id"},
            json=row,
            headers={"Prefer": "resolution=ignore-duplicates,return=representation"},
        )
        return rows[0] if rows else None

    async def insert_outbound(self, rows: list[dict]) -> list[dict]:
        return await self._call(
            "POST", f"/{MESSAGES}", json=rows, headers={"Prefer": "return=representation"}
        )

    async def get_message(self, message_row_id: str) -> dict | None:
        rows = await self._call("GET", f"/{MESSAGES}", params={"id": f"eq.{message_row_id}", "select": "*"})
        return rows[0] if rows else None

    async def unfinished_messages(self, session_id: str) -> list[dict]:
        """What a new owner must finish: inbound not yet answered, outbound not yet sent (oldest first)."""
        return await self._call(
            "GET",
            f"/{MESSAGES}",
            params={
                "session_id": f"eq.{session_id}",
                "status": f"in.({MessageStatus.RECEIVED},{MessageStatus.REPLYING},{MessageStatus.QUEUED})",
                "order": "created_at.asc",
                "select": "*",
            },
        )

    async def replies_to(self, message_row_id: str) -> list[dict]:
        return await self._call(
            "GET",
            f"/{MESSAGES}",
            params={
                "reply_to": f"eq.{message_row_id}",
                "direction": f"eq.{Direction.OUTBOUND}",
                "select": "*",
                "order": "created_at.asc",
            },
        )

    async def mark_message(
        self,
        message_row_id: str,
        runner_id: str,
        epoch: int,
        status: MessageStatus,
        *,
        whatsapp_id: str | None = None,
        error: str | None = None,
        ack: int | None = None,
        expected_status: MessageStatus | None = None,
    ) -> bool:
        """Fenced by the session's lease; False when the runner lost it or the status moved on."""
        return bool(
            await self.rpc(
                "runner_update_message",
                p_message_id=message_row_id,
                p_runner_id=runner_id,
                p_epoch=epoch,
                p_status=str(status),
                p_whatsapp_id=whatsapp_id,
                p_error=error,
                p_ack=ack,
                p_expected_status=str(expected_status) if expected_status else None,
            )
        )

    async def update_ack(self, session_id: str, whatsapp_id: str, ack: int) -> None:
        await self._call(
            "PATCH",
            f"/{MESSAGES}",
            params={"session_id": f"eq.{session_id}", "message_id": f"eq.{whatsapp_id}", "ack": f"lt.{ack}"},
            json={"ack": ack},
        )
