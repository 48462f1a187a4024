"""The runner's view of the database: wagate's PostgREST adapter with the service role, riding out
outages, and every session write fenced by (runner_id, epoch) so a runner that lost a session can
no longer change it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from runner.metrics import RunnerMetrics
from wagate import failures
from wagate.errors import StoreUnavailable
from wagate.failures import Failure
from wagate.status import Direction, MessageStatus
from wagate.store import MESSAGES, RUNNERS, SESSIONS, AsyncStore, eq, in_, lt, not_null

__all__ = ["LeaseLost", "RunnerRepository", "StoreUnavailable"]


class LeaseLost(Exception):
    """This runner no longer holds the session (another runner claimed it: its epoch is newer)."""


class RunnerRepository:
    def __init__(
        self,
        rest_url: str,
        service_key: str,
        *,
        timeout_s: float = 10.0,
        outage_s: float = 45.0,
        metrics: RunnerMetrics | None = None,
    ) -> None:
        # PostgREST or Postgres restarting: retried for `outage_s` instead of failing the work at hand.
        self.store = AsyncStore(rest_url, service_key, timeout_s=timeout_s, outage_s=outage_s, attempts=3)
        self.metrics = metrics or RunnerMetrics()

    @property
    def outage_s(self) -> float:
        return self.store.outage_s

    async def aclose(self) -> None:
        await self.store.aclose()

    async def rpc(self, name: str, **params: Any) -> Any:
        return await self.store.rpc(name, params)

    # ------------------------------------------------------------------ runners
    async def register_runner(self, runner_id: str, queue_url: str, capacity: int) -> None:
        await self.rpc("register_runner", p_runner_id=runner_id, p_queue_url=queue_url, p_capacity=capacity)

    async def heartbeat(self, runner_id: str, active_sessions: int, browser_restarts: int) -> None:
        await self.rpc(
            "heartbeat_runner",
            p_runner_id=runner_id,
            p_active_sessions=active_sessions,
            p_browser_restarts=browser_restarts,
        )

    async def delete_runner(self, runner_id: str) -> None:
        await self.store.delete(RUNNERS, where={"runner_id": eq(runner_id)})

    async def stale_runners(self, older_than_s: int) -> list[dict]:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        return await self.store.select(RUNNERS, where={"heartbeat_at": lt(cutoff.isoformat())})

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

    async def renew_leases(self, runner_id: str, held: dict[str, int], ttl_s: int) -> set[str]:
        """Renew all of `held` (session id -> epoch) at once; the ids still held."""
        if not held:
            return set()
        rows = await self.rpc(
            "renew_leases",
            p_runner_id=runner_id,
            p_session_ids=list(held),
            p_epochs=list(held.values()),
            p_ttl_seconds=ttl_s,
        )
        return {str(row) for row in rows or []}  # PostgREST answers a `setof uuid` as a list of strings

    async def release_session(self, session_id: str, runner_id: str, epoch: int) -> bool:
        return bool(
            await self.rpc("release_session", p_session_id=session_id, p_runner_id=runner_id, p_epoch=epoch)
        )

    # ------------------------------------------------------------------ sessions
    async def get_session(self, session_id: str) -> dict | None:
        return await self.store.select_one(SESSIONS, where={"id": eq(session_id)})

    async def update_session(self, session_id: str, runner_id: str, epoch: int, **fields: Any) -> dict:
        """Fenced write: raises LeaseLost when this runner's epoch is no longer the session's."""
        rows = await self.store.update(
            SESSIONS, fields, where={"id": eq(session_id), "runner_id": eq(runner_id), "epoch": eq(epoch)}
        )
        if not rows:
            raise LeaseLost(session_id)
        return rows[0]

    async def fail_session(self, session_id: str, failure: Failure) -> None:
        """Unfenced: for a session this runner does not hold (a command for it kept failing)."""
        await self.store.update(
            SESSIONS, {"status": "failed", **failure.session_fields()}, where={"id": eq(session_id)}
        )

    # ------------------------------------------------------------------ messages
    async def insert_inbound(self, row: dict) -> dict | None:
        """Store a received message once: None when (session_id, message_id) is already stored."""
        rows = await self.store.insert(
            MESSAGES, row, on_conflict="session_id,message_id", ignore_duplicates=True
        )
        return rows[0] if rows else None

    async def revive_undecrypted(self, session_id: str, whatsapp_id: str, content: str) -> dict | None:
        """A message stored as undecryptable that decrypted after all: its text, and `replying`
        (None when it is not one of those)."""
        rows = await self.store.update(
            MESSAGES,
            {"content": content, "status": str(MessageStatus.REPLYING), "error": None, "error_code": None},
            where={
                "session_id": eq(session_id),
                "message_id": eq(whatsapp_id),
                "error_code": eq(failures.UNDECRYPTABLE),
            },
        )
        return rows[0] if rows else None

    async def record_edit(self, session_id: str, whatsapp_id: str, content: str) -> None:
        """The customer edited a message: its new text, and when."""
        await self.store.update(
            MESSAGES,
            {"content": content, "edited_at": datetime.now(UTC).isoformat()},
            where={
                "session_id": eq(session_id),
                "message_id": eq(whatsapp_id),
                "direction": eq(Direction.INBOUND),
            },
        )

    async def record_revoke(self, session_id: str, whatsapp_id: str) -> None:
        """The customer deleted a message for everyone: when (its text stays, as the chatbot saw it)."""
        await self.store.update(
            MESSAGES,
            {"revoked_at": datetime.now(UTC).isoformat()},
            where={
                "session_id": eq(session_id),
                "message_id": eq(whatsapp_id),
                "direction": eq(Direction.INBOUND),
            },
        )

    async def phone_of_lid(self, session_id: str, lid: str) -> str | None:
        """The phone number this session saw earlier for a LID customer (None when never)."""
        row = await self.store.select_one(
            MESSAGES,
            where={"session_id": eq(session_id), "customer_lid": eq(lid), "customer_phone": not_null()},
            columns="customer_phone",
        )
        return row["customer_phone"] if row else None

    async def insert_outbound(self, rows: list[dict]) -> list[dict]:
        return await self.store.insert(MESSAGES, rows)

    async def get_message(self, message_row_id: str) -> dict | None:
        return await self.store.select_one(MESSAGES, where={"id": eq(message_row_id)})

    async def unfinished_messages(self, session_id: str) -> list[dict]:
        """What a new owner must finish: inbound not yet answered, outbound not yet sent (oldest first)."""
        unfinished = [MessageStatus.RECEIVED, MessageStatus.REPLYING, MessageStatus.QUEUED]
        return await self.store.select(
            MESSAGES,
            where={"session_id": eq(session_id), "status": in_(str(s) for s in unfinished)},
            order="created_at.asc",
        )

    async def replies_to(self, message_row_id: str) -> list[dict]:
        return await self.store.select(
            MESSAGES,
            where={"reply_to": eq(message_row_id), "direction": eq(Direction.OUTBOUND)},
            order="created_at.asc",
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
        error_code: str | None = None,
        ack: int | None = None,
        expected_status: MessageStatus | None = None,
    ) -> bool:
        """Fenced by the session's lease; False when the runner lost it or the status moved on."""
        changed = bool(
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
                p_error_code=error_code,
            )
        )
        if changed and status == MessageStatus.SENT:
            self.metrics.message_sent()
        elif changed and status == MessageStatus.FAILED:
            self.metrics.message_failed(error_code)
        return changed

    async def store_acks(self, acks: dict[tuple[str, str], int]) -> int:
        """Acks of many messages ((session id, WhatsApp id) -> ack) in one call; they only rise
        (delivered after read is ignored). The number of rows changed."""
        keys = list(acks)
        changed = await self.rpc(
            "store_acks",
            p_session_ids=[session_id for session_id, _ in keys],
            p_message_ids=[whatsapp_id for _, whatsapp_id in keys],
            p_acks=[acks[key] for key in keys],
        )
        return int(changed or 0)

    async def record_media(self, message_row_id: str, fields: dict) -> dict | None:
        """What became of a message's file: where it is kept (key, mime, size, sha256) or why not."""
        rows = await self.store.update(MESSAGES, fields, where={"id": eq(message_row_id)})
        return rows[0] if rows else None
