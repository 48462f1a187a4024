"""One WhatsApp session held by this runner: a browser context with WhatsApp Web and the bridge,
and the status machine that mirrors it into the session row (every write fenced by the epoch)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError

from runner.checkpoint import CheckpointStorageError
from runner.pipeline import ConversationPipeline
from runner.qr import render_qr_png
from runner.ratelimit import TokenBucket
from runner.repository import LeaseLost
from wagate import failures
from wagate.backoff import compute_backoff
from wagate.failures import Failure
from wagate.status import QR_TTL_SECONDS, SessionStatus

if TYPE_CHECKING:
    from runner.acks import AckBook
    from runner.botclient import BotClient
    from runner.browser import BrowserOwner
    from runner.chatbots import ChatbotProfiles
    from runner.checkpoint import Checkpoints
    from runner.media import RunnerMedia
    from runner.repository import RunnerRepository
    from runner.settings import RunnerSettings
    from runner.warm import WarmPages

log = logging.getLogger("runner.session")


class OpenFailed(Exception):
    """The session could not be opened; `failure` is what its owner reads."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass
class SessionDeps:
    settings: RunnerSettings
    repo: RunnerRepository
    bot: BotClient
    browser: BrowserOwner
    checkpoints: Checkpoints
    acks: AckBook
    chatbots: ChatbotProfiles
    media: RunnerMedia
    warm: WarmPages | None = None


class WhatsAppSession:
    def __init__(self, row: dict, deps: SessionDeps, *, on_closed=None, on_lost=None) -> None:
        self.row = row
        self.id: str = row["id"]
        self.epoch: int = int(row["epoch"])
        self.deps = deps
        self._claimed_status = SessionStatus(row.get("status") or SessionStatus.PENDING)
        self.status = SessionStatus.PENDING  # here: nothing opened yet (the row keeps its status)
        self.phone: str | None = row.get("phone_number")
        self.pipeline = ConversationPipeline(self)
        self.limiter = TokenBucket(deps.settings.send_rate_per_s, deps.settings.send_burst)
        self.context: BrowserContext | None = None
        self.page: Page | None = None
        self.events: asyncio.Queue[dict] = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []
        self._ready = asyncio.Event()
        self._pairing_requested = False
        self._closed = False
        self._ending = False
        self._on_closed = on_closed
        self._on_lost = on_lost  # the page or browser went away under us: the runner reopens
        self.lease_lost = False
        self.restored_epoch: int | None = None  # the checkpoint this session was restored from
        self.logged_in = False  # the page holds a login (WhatsApp's socket connected with it)
        self._login_saved = False  # a sealed checkpoint of the page's login exists in S3
        self._push_name: str | None = None
        self._saving_login: asyncio.Task | None = None
        self._checkpoint_lock = asyncio.Lock()
        self._opened_at = 0.0
        self._reported: Counter[str] = Counter()  # message events received, per page document
        self._report_arrived = asyncio.Event()
        self.delivery_stopped = False  # the page no longer talks to WhatsApp (closing)
        self.restoring = False  # opened from a checkpoint (a saved login), not for a QR code
        self.settled = asyncio.Event()  # opening is over: a QR, a login, an end, or closed
        self._video: bool | None = None  # whether the browser can prepare a video (can_send_video)

    @property
    def log_extra(self) -> dict:
        return {"session_id": self.id, "runner_id": self.deps.settings.runner_id, "epoch": self.epoch}

    # ------------------------------------------------------------------ status
    async def set_status(self, status: SessionStatus | None = None, **fields: Any) -> None:
        if status is not None:
            fields["status"] = str(status)
        row = await self.deps.repo.update_session(self.id, self.deps.settings.runner_id, self.epoch, **fields)
        self.row.update(row)
        if status is not None and status != self.status:
            self.status = status
            log.info("session.status", extra={**self.log_extra, "status": str(status)})
        if status is not None and status not in (SessionStatus.STARTING, SessionStatus.PENDING):
            self.settled.set()

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Open WhatsApp Web for this session, logged in from its newest checkpoint if it has one."""
        clock = asyncio.get_running_loop().time
        self._opened_at = started = clock()
        steps: dict[str, float] = {}

        def step(name: str) -> None:
            nonlocal started
            steps[name] = round((clock() - started) * 1000, 1)
            started = clock()

        await self.set_status(SessionStatus.STARTING, qr_code=None, qr_expires_at=None)
        step("status_ms")
        try:
            restored = await self.deps.checkpoints.load(self.id)
        except CheckpointStorageError as exc:
            log.warning("checkpoint unreadable", extra={**self.log_extra, "error": str(exc)[:300]})
            raise OpenFailed(failures.CHECKPOINT_UNAVAILABLE) from exc
        step("checkpoint_ms")
        self.restored_epoch = restored.epoch
        restore_problem: Failure | None = None
        if restored.problem:
            restore_problem = failures.CHECKPOINT_UNREADABLE
            log.warning("checkpoint unusable", extra={**self.log_extra, "reason": restored.problem})
        elif restored.state is not None:
            self.restoring = self._login_saved = True
            log.info("checkpoint.restoring", extra={**self.log_extra, "from_epoch": restored.epoch})
        elif self._claimed_status == SessionStatus.CONNECTED:
            restore_problem = failures.CHECKPOINT_MISSING
            log.warning("checkpoint missing", extra=self.log_extra)
        elif self._claimed_status == SessionStatus.AUTHENTICATING:
            # the runner was lost between the scan and the first sealed checkpoint of the login
            restore_problem = failures.LINK_INTERRUPTED
            log.warning("linking interrupted before the login was saved", extra=self.log_extra)
        if restore_problem:
            await self.set_status(**restore_problem.session_fields())
        self._consumer = asyncio.create_task(self._consume_events(), name=f"events-{self.id}")
        self._tasks.append(self._consumer)
        self._tasks.append(asyncio.create_task(self._load_watchdog(), name=f"watchdog-{self.id}"))
        if restored.state is None and await self._take_warm_page():
            step("warm_page_ms")
            log.info("session.opened", extra={**self.log_extra, **steps, "warm_page": True})
            return
        self.context = await self.deps.checkpoints.strategy.open(self.id, restored.state)
        step("context_ms")
        await self.context.expose_binding("__wagateEmit", self._on_emit)
        await self.context.add_init_script(self.deps.settings.bridge_js)
        self.page = self.context.pages[0] if self.context.pages else await self.context.new_page()
        self._watch_page()
        step("page_ms")
        await self.page.goto(
            self.deps.settings.wa_web_url,
            wait_until="commit",
            timeout=self.deps.settings.load_timeout_s * 1000,
        )
        step("goto_ms")
        log.info("session.opened", extra={**self.log_extra, **steps})

    async def _take_warm_page(self) -> bool:
        """A first login takes the WhatsApp Web page the runner keeps loaded, if there is one."""
        warm = await self.deps.warm.take() if self.deps.warm is not None else None
        if warm is None or warm.page is None:
            return False
        self.context, self.page = warm.context, warm.page
        self._watch_page()
        if await warm.adopt(self._on_emit):
            return True
        self.context = self.page = None  # gone bad while waiting: open one as usual
        await warm.close()
        return False

    def _watch_page(self) -> None:
        """The page crashing or closing under the session (only while it is the session's page)."""
        page = self.page
        assert page is not None

        def lost(kind: str) -> None:
            if page is self.page:
                self.events.put_nowait({"type": kind})

        page.on("crash", lambda _p: lost("page_crashed"))
        page.on("close", lambda _p: lost("page_closed"))
        page.on("framenavigated", self._on_navigated)

    def _on_emit(self, _source: dict, payload: dict) -> None:
        if payload.get("type") == "message" and payload.get("doc"):
            self._reported[str(payload["doc"])] += 1
            self._report_arrived.set()
        self.events.put_nowait(payload)

    def _on_navigated(self, frame) -> None:
        if self.page is not None and frame == self.page.main_frame and "post_logout=1" in frame.url:
            self.events.put_nowait({"type": "logout"})

    async def _load_watchdog(self) -> None:
        await asyncio.sleep(self.deps.settings.load_timeout_s)
        if self.status in (SessionStatus.STARTING, SessionStatus.PENDING):
            self.events.put_nowait({"type": "error", "code": "load_timeout"})

    def _drop_lost_lease(self) -> None:
        log.warning("lease lost; dropping the session", extra=self.log_extra)
        self.lease_lost = True
        self._tasks.append(asyncio.create_task(self.close(release=False)))

    async def _consume_events(self) -> None:
        while True:  # until close() cancels it, after the page has stopped delivering
            event = await self.events.get()
            try:
                await self._handle(event)
            except LeaseLost:
                self._drop_lost_lease()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event handling failed", extra={**self.log_extra, "event": event.get("type")})

    async def _handle(self, event: dict) -> None:
        kind = event.get("type")
        if self.delivery_stopped and kind not in ("message", "acks"):
            return  # the page is closing: its connection going down is ours, not WhatsApp's
        if kind == "loaded":
            log.info("whatsapp web loaded", extra={**self.log_extra, "wa_version": event.get("version")})
        elif kind == "qr":
            await self._on_qr(event["qr"])
        elif kind == "qr_exhausted":
            if self.status in (SessionStatus.QR_READY, SessionStatus.STARTING):
                await self.set_status(
                    SessionStatus.QR_EXPIRED,
                    qr_code=None,
                    qr_expires_at=None,
                    pairing_code=None,
                    **failures.QR_NOT_SCANNED.session_fields(),
                )
                await self.close()
        elif kind == "state":
            await self._on_state(event.get("state"))
        elif kind == "ready":
            await self._on_ready(event)
        elif kind == "message":
            await self.pipeline.on_inbound(event["message"])
        elif kind == "message_decrypted":
            await self.pipeline.on_decrypted_late(event["message"])
        elif kind == "message_edit":
            await self.pipeline.on_edit(str(event.get("key")), str(event.get("body") or ""))
        elif kind == "message_revoke":
            await self.pipeline.on_revoke(str(event.get("key")))
        elif kind == "passkey_required":
            await self._on_passkey_required()
        elif kind == "acks":  # delivery and read acks, reported together, written in batches
            for ack in event.get("acks") or []:
                if ack.get("key") and isinstance(ack.get("ack"), int):
                    self.deps.acks.record(self.id, str(ack["key"]), ack["ack"])
        elif kind == "logout":
            await self._on_logout()
        elif kind == "error" and event.get("code") == "load_timeout" and self.restoring and self._on_lost:
            # A saved login that did not load in time (a busy machine, WhatsApp slow): opened
            # again, within the runner's reopen budget, rather than failed with customers waiting.
            await self._on_lost(self, "WhatsApp Web did not load in time")
        elif kind == "error":
            await self.fail(self._failure_of(event))
        elif kind in ("page_crashed", "page_closed") and not self._closed and not self._ending:
            reason = f"the WhatsApp Web page {'crashed' if kind == 'page_crashed' else 'was closed'}"
            if self._on_lost is not None:
                await self._on_lost(self, reason)
            else:
                await self.fail(failures.whatsapp_web_unstable(reason, 1, 5))

    async def _on_qr(self, qr: str) -> None:
        self.logged_in = self._login_saved = False  # whatever was restored is gone: a new login comes
        if self.row.get("pairing_phone"):
            await self._request_pairing_code()
            return
        png = await asyncio.to_thread(render_qr_png, qr)
        expires = datetime.now(UTC) + timedelta(seconds=QR_TTL_SECONDS)
        fields: dict[str, Any] = {}
        if self.restored_epoch is not None and self.status != SessionStatus.QR_READY:
            fields = failures.LOGIN_REVOKED.session_fields()
        await self.set_status(
            SessionStatus.QR_READY, qr_code=png, qr_expires_at=expires.isoformat(), **fields
        )

    async def _request_pairing_code(self) -> None:
        if self._pairing_requested or self.page is None:
            return
        self._pairing_requested = True
        try:
            code = await self.page.evaluate(
                "p => window.__wagate.requestPairingCode(p)", self.row["pairing_phone"]
            )
        except PlaywrightError as exc:  # the page was not ready for it: the next QR or state retries
            self._pairing_requested = False
            log.warning("pairing code request failed", extra={**self.log_extra, "error": str(exc)[:200]})
            return
        expires = datetime.now(UTC) + timedelta(seconds=QR_TTL_SECONDS * 3)
        await self.set_status(
            SessionStatus.QR_READY, pairing_code=str(code), qr_code=None, qr_expires_at=expires.isoformat()
        )

    async def _on_state(self, state: str | None) -> None:
        if state == "PAIRING" and self.status not in (SessionStatus.CONNECTED,):
            await self.set_status(SessionStatus.AUTHENTICATING, qr_code=None, qr_expires_at=None)
        elif state == "CONNECTED" and not self.logged_in:
            self.logged_in = True  # WhatsApp accepted the page's login: it is in the page's storage
            if not self._login_saved:
                self._start_saving_login()
        elif state == "CONFLICT":
            # Only a copy of this login can be open elsewhere (a runner that lost the lease). The
            # write is fenced: the holder takes the session back, anyone else gets LeaseLost.
            await self.set_status(SessionStatus.DISCONNECTED, **failures.OPENED_ELSEWHERE.session_fields())
            if self.page is not None:
                with contextlib.suppress(PlaywrightError):
                    await self.page.evaluate("() => window.require('WAWebSocketModel').Socket.takeover()")
        elif state == "TIMEOUT" and self.status == SessionStatus.CONNECTED:
            await self.set_status(SessionStatus.DISCONNECTED, **failures.CONNECTION_LOST.session_fields())
        elif state == "CONNECTED" and self.status == SessionStatus.DISCONNECTED and self._ready.is_set():
            await self.set_status(SessionStatus.CONNECTED, **failures.CLEARED)
            await self.pipeline.resume_unfinished()  # what waited for the connection (sends)
        elif state in ("UNPAIRED", "OPENING") and self.row.get("pairing_phone"):
            with contextlib.suppress(PlaywrightError):
                await self._request_pairing_code()

    async def _on_passkey_required(self) -> None:
        """The phone asks its owner to confirm this device with a passkey: the session says so and
        waits (at most PASSKEY_WAIT_S), instead of sitting in `authenticating` with no word."""
        if self.status == SessionStatus.CONNECTED:
            return
        await self.set_status(
            SessionStatus.AUTHENTICATING,
            qr_code=None,
            qr_expires_at=None,
            **failures.PASSKEY_REQUIRED.session_fields(),
        )

        async def expire() -> None:
            await asyncio.sleep(self.deps.settings.passkey_wait_s)
            if self.status == SessionStatus.AUTHENTICATING and not self._closed:
                await self.fail(failures.PASSKEY_NOT_CONFIRMED)

        self._tasks.append(asyncio.create_task(expire(), name=f"passkey-{self.id}"))

    async def _on_ready(self, event: dict) -> None:
        self.phone = event.get("phone") or self.phone
        self._push_name = event.get("pushName")
        self.logged_in = True
        self._ready.set()
        log.info("whatsapp web ready", extra=self.log_extra)
        if self.restored_epoch is not None and self._login_saved:
            log.info(
                "checkpoint.restored",
                extra={
                    **self.log_extra,
                    "from_epoch": self.restored_epoch,
                    "open_to_ready_ms": round((asyncio.get_running_loop().time() - self._opened_at) * 1000),
                },
            )
        self._tasks.append(asyncio.create_task(self._sweep_loop(), name=f"sweep-{self.id}"))
        if self._login_saved:
            await self._report_connected()
        else:  # a new login: `connected` once it is sealed in S3 (customers are answered meanwhile)
            self._start_saving_login()
        resumed = await self.pipeline.resume_unfinished()
        if resumed:
            log.info("resumed unfinished messages", extra={**self.log_extra, "count": resumed})

    async def _report_connected(self) -> None:
        await self.set_status(
            SessionStatus.CONNECTED,
            phone_number=self.phone,
            push_name=self._push_name,
            connected_at=datetime.now(UTC).isoformat(),
            qr_code=None,
            qr_expires_at=None,
            pairing_code=None,
            **failures.CLEARED,
        )
        self._tasks.append(asyncio.create_task(self._checkpoint_loop(), name=f"checkpoint-{self.id}"))

    def _start_saving_login(self) -> None:
        if self._saving_login is None:
            self._saving_login = asyncio.create_task(self._save_new_login(), name=f"save-login-{self.id}")
            self._tasks.append(self._saving_login)

    async def _save_new_login(self) -> None:
        """`connected` means durable: a new login stays `authenticating` until a sealed checkpoint of
        it is in S3, so a runner lost from then on hands the session over without a new QR. Written
        as soon as WhatsApp accepted the login (the page has stored it), retried until it is written
        or the session ends."""
        await asyncio.sleep(self.deps.checkpoints.strategy.first_capture_s)
        for attempt in itertools.count(1):
            if await self.checkpoint():
                break
            if self._closed or self.lease_lost:
                return
            await asyncio.sleep(compute_backoff(attempt, base_s=0.5, max_s=10.0))
        self._login_saved = True
        try:
            if self.status in (SessionStatus.PENDING, SessionStatus.STARTING, SessionStatus.QR_READY):
                await self.set_status(
                    SessionStatus.AUTHENTICATING, qr_code=None, qr_expires_at=None, pairing_code=None
                )
            await self._ready.wait()
            if self.status == SessionStatus.AUTHENTICATING:
                await self._report_connected()
                await self.pipeline.resume_unfinished()  # API sends that waited for `connected`
        except LeaseLost:
            self._drop_lost_lease()

    async def _on_logout(self) -> None:
        if self._closed or self._ending:
            return
        await self.set_status(
            SessionStatus.LOGGED_OUT,
            qr_code=None,
            qr_expires_at=None,
            **failures.UNLINKED_BY_PHONE.session_fields(),
        )
        await self.close()
        await self.erase_checkpoints()

    async def fail(self, failure: Failure) -> None:
        log.warning(
            "session failed", extra={**self.log_extra, "code": failure.code, "reason": failure.message}
        )
        self.deps.repo.metrics.session_failed(failure.code)
        with contextlib.suppress(LeaseLost):
            await self.set_status(
                SessionStatus.FAILED, qr_code=None, qr_expires_at=None, **failure.session_fields()
            )
        await self.close()

    def _failure_of(self, event: dict) -> Failure:
        """What the owner reads about a bridge error (its own text goes to the log)."""
        if event.get("code") == "module_missing":
            return failures.whatsapp_web_changed(str(event.get("module")))
        if event.get("code") == "load_timeout":
            return failures.whatsapp_web_did_not_load(self.deps.settings.load_timeout_s)
        log.warning(
            "bridge error",
            extra={**self.log_extra, "code": event.get("code"), "error": str(event.get("message"))[:300]},
        )
        return failures.WHATSAPP_WEB_ERROR

    async def _stop_delivery(self, wait_s: float = 5.0) -> None:
        """Close the page's connection to WhatsApp for good, wait until every message the page
        reported before that has reached this process, then close the page."""
        self.delivery_stopped = True
        page = self.page
        if page is None or page.is_closed():
            return
        quiesced: dict | None = None
        with contextlib.suppress(Exception):
            quiesced = await asyncio.wait_for(
                page.evaluate("() => window.__wagateQuiesce ? window.__wagateQuiesce() : null"), wait_s
            )
        if quiesced and quiesced.get("sockets"):
            doc, reported = str(quiesced.get("doc")), int(quiesced.get("messages") or 0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    while self._reported[doc] < reported:
                        self._report_arrived.clear()
                        await self._report_arrived.wait()
            if self._reported[doc] < reported:
                log.warning(
                    "messages the page reported did not arrive",
                    extra={**self.log_extra, "missing": reported - self._reported[doc]},
                )
        with contextlib.suppress(Exception):
            await asyncio.wait_for(page.close(), wait_s)
        if not (quiesced and quiesced.get("sockets")):
            # No socket of WhatsApp Web's seen by the bridge: events the page emitted just before
            # closing reach the queue within this
            await asyncio.sleep(0.2)

    async def _store_delivered(self, timeout_s: float) -> None:
        consumer = getattr(self, "_consumer", None)
        if consumer is not None and consumer is not asyncio.current_task():
            consumer.cancel()
        while not self.events.empty():
            event = self.events.get_nowait()
            if event.get("type") == "message":
                with contextlib.suppress(Exception):
                    await self.pipeline.on_inbound(event["message"])
        with contextlib.suppress(Exception):
            await self.pipeline.intake.drain(timeout_s)

    # ------------------------------------------------------------------ checkpoints
    async def _sweep_loop(self) -> None:
        """Every SWEEP_INTERVAL_S: finish what no job of this runner is working on (an inbound
        message stored by a runner that lost the session meanwhile, a send whose command was lost)."""
        while not self._closed:
            await asyncio.sleep(self.deps.settings.sweep_interval_s)
            try:
                await self.pipeline.resume_unfinished()
            except LeaseLost:
                raise
            except Exception as exc:
                log.warning("sweep failed", extra={**self.log_extra, "error": str(exc)[:200]})

    async def _checkpoint_loop(self) -> None:
        """Right after login (once the page has stored it), then every CHECKPOINT_INTERVAL_S."""
        await asyncio.sleep(self.deps.checkpoints.strategy.settle_s)
        while not self._closed:
            await self.checkpoint()
            await asyncio.sleep(self.deps.settings.checkpoint_interval_s)

    async def checkpoint(self, *, closed: bool = False) -> bool:
        """Seal the login and write it to S3 under this session's epoch; False when not possible.
        `closed`: the context has just been closed (strategies that read the profile from disk)."""
        if not self.logged_in or self.lease_lost or (self.context is None and not closed):
            return False
        async with self._checkpoint_lock:
            try:
                # Only while this runner still holds the session (the epoch-keyed object is the
                # second fence: a late write could never replace a newer owner's checkpoint).
                settings = self.deps.settings
                if not await self.deps.repo.renew_lease(
                    self.id, settings.runner_id, self.epoch, settings.lease_ttl_s
                ):
                    log.warning("lease lost; checkpoint skipped", extra=self.log_extra)
                    return False
                log.info("checkpoint.capturing", extra=self.log_extra)
                size = await self.deps.checkpoints.save(self.id, self.epoch, self.context)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("checkpoint failed", extra={**self.log_extra, "error": str(exc)[:300]})
                return False
        log.info("checkpoint.saved", extra={**self.log_extra, "bytes": size})
        return True

    async def erase_checkpoints(self) -> None:
        try:
            await self.deps.checkpoints.erase(self.id)
        except Exception as exc:
            log.warning("checkpoint erase failed", extra={**self.log_extra, "error": str(exc)[:300]})

    # ------------------------------------------------------------------ page operations
    async def wait_ready(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout_s)
            return True
        except TimeoutError:
            return False

    async def number_exists(self, number: str) -> bool:
        assert self.page is not None
        return bool(await self.page.evaluate("n => window.__wagate.exists(n)", number))

    async def send_text(self, *, chat: str | None, to: str, text: str, whatsapp_id: str) -> dict:
        """Send `text` into `chat` (as WhatsApp names it: `<lid>@lid` or `<phone>@c.us`), or to the
        phone number `to` when the customer's chat is not known yet."""
        if self.page is None:
            raise RuntimeError("session has no page")
        target = {"chat": chat, "to": to}
        typing_ms = self.deps.settings.typing_ms
        if typing_ms:
            with contextlib.suppress(PlaywrightError):
                await self.page.evaluate("t => window.__wagate.seenAndTyping(t)", target)
            await asyncio.sleep(typing_ms / 1000)
        settings = self.deps.settings
        signals = {  # seenAndTyping above has shown both already when TYPING_MS > 0
            "seen": settings.send_seen and not typing_ms,
            "typing": settings.send_typing and not typing_ms,
        }
        return await self.page.evaluate(
            "a => window.__wagate.sendText(a)", {**target, "text": text, "id": whatsapp_id, **signals}
        )

    async def send_media(
        self,
        *,
        chat: str | None,
        to: str,
        whatsapp_id: str,
        data: bytes,
        mime: str,
        filename: str | None,
        caption: str,
        kind: str,
    ) -> dict:
        """Send a file through WhatsApp Web's own media pipeline (prepared, encrypted and uploaded
        by the page), into `chat` or to the phone number `to`."""
        if self.page is None:
            raise RuntimeError("session has no page")
        settings = self.deps.settings
        return await self.page.evaluate(
            "a => window.__wagate.sendMedia(a)",
            {
                "chat": chat,
                "to": to,
                "id": whatsapp_id,
                "data": base64.b64encode(data).decode(),
                "mimetype": mime.split(";")[0].strip() if kind != "ptt" else mime,
                "filename": filename,
                "caption": caption,
                "type": kind,
                "seen": settings.send_seen,
                "typing": settings.send_typing,
            },
        )

    async def download_media(self, *, chat: str | None, key: str, max_bytes: int) -> dict:
        """A received file's bytes (base64 in `data`) as WhatsApp Web downloads and decrypts them,
        or `{"error", "reason"}`."""
        if self.page is None:
            raise RuntimeError("session has no page")
        serialized = f"false_{chat}_{key}" if chat else None
        return await self.page.evaluate(
            "a => window.__wagate.downloadMedia(a)", {"id": serialized, "key": key, "maxBytes": max_bytes}
        )

    async def can_send_video(self) -> bool:
        """Whether this browser can prepare a video (H.264); asked once per page."""
        if self._video is None:
            if self.page is None:
                return False
            self._video = bool(await self.page.evaluate("() => window.__wagate.canSendVideo()"))
        return self._video

    async def end(self, status: SessionStatus | None) -> None:
        """The user ended the session (API disconnect or delete): record it, log the device out on
        WhatsApp, close. The logout the page then reports is ours, not the phone's."""
        self._ending = True
        if status is not None:
            await self.set_status(
                status, qr_code=None, qr_expires_at=None, pairing_code=None, **failures.CLEARED
            )
        if self.page is not None and not self.page.is_closed():
            with contextlib.suppress(PlaywrightError):
                await self.page.evaluate("() => window.__wagate && window.__wagate.logout()")
        await self.close()
        await self.erase_checkpoints()

    async def close(self, *, release: bool = True, drain_s: float = 0.0, checkpoint: bool = False) -> None:
        """Close the page and context. `drain_s`: let in-flight replies finish first; `checkpoint`:
        save the login before closing (shutdown, restart, a page lost under a live context)."""
        if self._closed:
            return
        self._closed = True
        self.settled.set()
        if drain_s:
            await self.pipeline.drain(drain_s)
        # Stop WhatsApp delivering to this page, then store what it delivered already: the page has
        # confirmed those messages, so WhatsApp will not send them again (the next owner answers).
        await self._stop_delivery()
        await self._store_delivered(timeout_s=max(10.0, drain_s))
        strategy = self.deps.checkpoints.strategy
        if checkpoint and not strategy.capture_after_close:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.checkpoint(), timeout=max(5.0, drain_s))
        self.pipeline.cancel()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        if self.context is not None:
            with contextlib.suppress(Exception):
                await self.context.close()
        self.context = self.page = None
        if checkpoint and strategy.capture_after_close:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.checkpoint(closed=True), timeout=max(5.0, drain_s))
        with contextlib.suppress(Exception):
            await strategy.discard(self.id)
        if release and not self.lease_lost:
            with contextlib.suppress(Exception):
                await self.deps.repo.release_session(self.id, self.deps.settings.runner_id, self.epoch)
        if self._on_closed:
            self._on_closed(self)
