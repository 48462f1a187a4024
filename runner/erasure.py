"""Erasures: a deleted session's WhatsApp device logged out and its checkpoints erased.

Deleting a session (through the API, or by deleting its user in Supabase Auth, whose sessions go
by cascade) writes a `wagate_erasures` row in the same statement; the runners carry them out. The
runner that held the session claims it first (until that lease would have run out), then any
runner. A session open here is logged out through its own page; otherwise its newest checkpoint
is opened in a context of its own just long enough to log the device out. Then every version of
its checkpoints is erased. An erasure that keeps failing (WhatsApp Web not loading, the checkpoint
unreadable) still erases the checkpoints after MAX_ATTEMPTS: the device then stays listed on the
phone until the phone removes it, which its owner can do under "Linked devices".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError

from wagate.backoff import compute_backoff
from wagate.media_store import MediaStore, user_prefixes

if TYPE_CHECKING:
    from runner.checkpoint import Checkpoints
    from runner.repository import RunnerRepository
    from runner.session import WhatsAppSession
    from runner.settings import RunnerSettings

log = logging.getLogger("runner.erasure")

BATCH = 4
CLAIM_S = 180  # an erasure claimed and not finished in this long is taken by another runner
MAX_ATTEMPTS = 5
LOGOUT_WAIT_S = 10.0


class Erasures:
    def __init__(
        self,
        settings: RunnerSettings,
        repo: RunnerRepository,
        checkpoints: Checkpoints,
        sessions: dict[str, WhatsAppSession],
        media: MediaStore | None = None,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.checkpoints = checkpoints
        self.sessions = sessions
        self.media = media

    async def run_once(self) -> int:
        """Claim and carry out what is due; how many were finished."""
        rows = await self.repo.rpc(
            "claim_erasures", p_runner_id=self.settings.runner_id, p_limit=BATCH, p_claim_s=CLAIM_S
        )
        results = await asyncio.gather(*(self._erase(row) for row in rows or []), return_exceptions=True)
        return sum(1 for result in results if result is True)

    async def _erase(self, row: dict) -> bool:
        session_id = str(row["session_id"])
        extra = {"session_id": session_id, "runner_id": self.settings.runner_id, "reason": row.get("reason")}
        try:
            session = self.sessions.get(session_id)
            if session is not None and not session.closed:
                await session.end(None)  # logs the device out through its page, closes, erases
            else:
                await self._logout_from_checkpoint(session_id)
            await self.checkpoints.erase(session_id)
        except Exception as exc:
            attempts = int(row.get("attempts") or 1)
            if attempts < MAX_ATTEMPTS:
                log.warning("erasure failed; retrying", extra={**extra, "error": str(exc)[:300]})
                await self.repo.rpc(
                    "retry_erasure",
                    p_id=row["id"],
                    p_runner_id=self.settings.runner_id,
                    p_error=type(exc).__name__,
                    p_retry_s=int(compute_backoff(attempts, base_s=10.0, max_s=600.0)),
                )
                return False
            log.error(
                "device not logged out; erasing its checkpoints anyway", extra={**extra, "error": str(exc)}
            )
            await self.checkpoints.erase(session_id)
        await self._erase_media(row)
        await self.repo.rpc("finish_erasure", p_id=row["id"], p_runner_id=self.settings.runner_id)
        log.info("session erased", extra=extra)
        return True

    async def _erase_media(self, row: dict) -> None:
        """A deleted user's files go with them (every version, uploads too). A session deleted
        alone keeps its messages' files with its messages, unless the API deleted both."""
        if self.media is None or row.get("reason") != "user_deleted" or not row.get("user_id"):
            return
        for prefix in user_prefixes(str(row["user_id"])):
            await asyncio.to_thread(self.media.delete_prefix, prefix)

    async def _logout_from_checkpoint(self, session_id: str) -> None:
        """Open the saved login in a context of its own and log the device out (nothing to do when
        there is no saved login: the device was never linked, or was unlinked and erased)."""
        restored = await self.checkpoints.load(session_id)
        if restored.state is None:
            if restored.problem:
                log.warning("checkpoint unusable; device not logged out", extra={"session_id": session_id})
            return
        strategy = self.checkpoints.strategy
        context = await strategy.open(session_id, restored.state)
        events: asyncio.Queue[dict] = asyncio.Queue()
        try:
            await context.expose_binding("__wagateEmit", lambda _source, payload: events.put_nowait(payload))
            await context.add_init_script(self.settings.bridge_js)
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto(self.settings.wa_web_url, wait_until="commit")
            async with asyncio.timeout(self.settings.load_timeout_s):
                while True:
                    event = await events.get()
                    if event.get("type") == "ready":
                        break
                    if event.get("type") in ("qr", "logout"):
                        return  # the login is gone already: nothing linked to log out
                    if event.get("type") == "error":
                        raise RuntimeError(f"WhatsApp Web: {event.get('code')}")
            with contextlib.suppress(PlaywrightError):  # the page navigates away as it logs out
                await page.evaluate("() => window.__wagate.logout()")
            with contextlib.suppress(PlaywrightError):  # logged out: WhatsApp Web navigates to its login
                await page.wait_for_url(lambda url: "post_logout=1" in url, timeout=LOGOUT_WAIT_S * 1000)
        finally:
            with contextlib.suppress(Exception):
                await context.close()
            with contextlib.suppress(Exception):
                await strategy.discard(session_id)
