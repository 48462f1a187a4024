"""Delivery and read acks of the messages a runner sent, written in batches.

A reply gets two or three acks from the customer's phone (delivered, read). Writing each as it
comes was the runner's largest cost per message (a request each, bench/README.md); they are not
on any path a customer waits for, so a runner collects them, keeps the highest per message, and
writes them all about once a second in one `store_acks` call. Acks only rise in the database, so
a batch that arrives late or twice changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from wagate.errors import StoreError

if TYPE_CHECKING:
    from runner.repository import RunnerRepository

log = logging.getLogger("runner.acks")

ACK_FLUSH_S = 1.0
MAX_PENDING = 50_000  # kept through a database outage; past this, new acks are dropped (logged)


class AckBook:
    """The highest ack seen per (session, WhatsApp message id) since the last take. Pure."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], int] = {}
        self.dropped = 0

    def record(self, session_id: str, whatsapp_id: str, ack: int) -> None:
        """Acks up to 1 (sent) are not kept: marking the message `sent` stores that already."""
        if ack <= 1 or not whatsapp_id:
            return
        key = (session_id, whatsapp_id)
        if key not in self._pending and len(self._pending) >= MAX_PENDING:
            self.dropped += 1
            return
        if ack > self._pending.get(key, 0):
            self._pending[key] = ack

    def take(self) -> dict[tuple[str, str], int]:
        pending, self._pending = self._pending, {}
        return pending

    def __len__(self) -> int:
        return len(self._pending)


class AckWriter:
    """Flushes an AckBook every `interval_s`; what could not be written is kept for the next try."""

    def __init__(self, repo: RunnerRepository, interval_s: float = ACK_FLUSH_S) -> None:
        self.repo = repo
        self.book = AckBook()
        self.interval_s = interval_s

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self.flush()

    async def flush(self) -> int:
        batch = self.book.take()
        if not batch:
            return 0
        try:
            return await self.repo.store_acks(batch)
        except StoreError as exc:
            for (session_id, whatsapp_id), ack in batch.items():
                self.book.record(session_id, whatsapp_id, ack)
            log.warning("acks not stored yet", extra={"count": len(batch), "error": str(exc)[:200]})
            return 0

    async def close(self, timeout_s: float = 5.0) -> None:
        """The last write (shutdown): shielded, bounded."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.flush()), timeout_s)
