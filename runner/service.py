"""The runner service: registers, heartbeats, takes start commands while it has room, takes its
own commands always, renews its leases, adopts orphaned sessions, and shuts down in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from runner.acks import AckWriter
from runner.botclient import BotClient
from runner.browser import BrowserOwner
from runner.chatbots import ChatbotProfiles
from runner.checkpoint import CheckpointBucket, Checkpoints, ContextStrategy, ProfileStrategy, Sealer
from runner.erasure import Erasures
from runner.media import RunnerMedia
from runner.metrics import RunnerMetrics
from runner.platform import PlatformReporter
from runner.queues import ReceivedCommand, RunnerQueues
from runner.repository import LeaseLost, RunnerRepository
from runner.session import OpenFailed, SessionDeps, WhatsAppSession
from runner.settings import RunnerSettings
from runner.warm import WarmPages
from wagate import failures
from wagate.commands import Command, CommandType
from wagate.errors import InvalidInput, WagateError
from wagate.status import SessionStatus

log = logging.getLogger("runner")
SEEN_COMMANDS = 10_000
NEVER_DROP_BY_EPOCH = {CommandType.SEND, CommandType.START}
# A session released by a runner that stopped, which another runner may take at once.
RELEASED_LIVE = {
    SessionStatus.STARTING,
    SessionStatus.QR_READY,
    SessionStatus.AUTHENTICATING,
    SessionStatus.CONNECTED,
}
REOPEN_WINDOW_S = 300.0
ORPHAN_SCAN_S = 1.0  # how often expired leases are looked for (one indexed UPDATE)
ERASURE_SCAN_S = 2.0  # how often deleted sessions' logouts and erasures are looked for
REOPEN_LIMIT = 3


async def poll(delay_s: float) -> AsyncIterator[None]:
    while True:
        yield
        await asyncio.sleep(delay_s)


class Runner:
    def __init__(self, settings: RunnerSettings) -> None:
        self.settings = settings
        self.sessions: dict[str, WhatsAppSession] = {}
        self.queue_url: str | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._inflight: set[asyncio.Task] = set()
        self._background: set[asyncio.Task] = set()
        self.metrics = RunnerMetrics(runner_id=settings.runner_id, capacity=settings.capacity)
        self.metrics.watch_sessions(lambda: [s.status for s in list(self.sessions.values())])
        self.repo = RunnerRepository(
            settings.common.rest_url, settings.common.service_role_key, metrics=self.metrics
        )
        self.queues = RunnerQueues(max_receives=settings.max_receives)
        self.queues.on_recreated = self._resume_all
        self.bot = BotClient.from_settings(settings)
        self.media = RunnerMedia.from_settings(settings)
        self.browser = BrowserOwner(
            on_browser_lost=self._browser_lost, dies_with_runner=settings.browser_dies_with_runner
        )
        self.warm = (
            WarmPages(
                self.browser,
                settings.wa_web_url,
                load_timeout_s=settings.load_timeout_s,
                max_age_s=settings.warm_page_max_age_s,
                bridge_js=settings.bridge_js,
            )
            if settings.warm_page and settings.checkpoint_strategy == "context"
            else None
        )
        self.checkpoints = build_checkpoints(settings, self.browser)
        self.acks = AckWriter(self.repo)
        self.deps = SessionDeps(
            settings=settings,
            repo=self.repo,
            bot=self.bot,
            browser=self.browser,
            checkpoints=self.checkpoints,
            acks=self.acks.book,
            chatbots=ChatbotProfiles(self.repo, ttl_s=settings.bot_profile_ttl_s),
            media=self.media,
            warm=self.warm,
        )
        self.erasures = Erasures(settings, self.repo, self.checkpoints, self.sessions, self.media.store)
        self.platform = PlatformReporter(settings.common.extra, endpoint_url=settings.common.aws_endpoint_url)
        self._reopening: set[str] = set()
        self._reopens: dict[str, list[float]] = {}
        # Opening a session costs seconds of CPU (a browser context, the page, a restored login):
        # a few at a time, each until it settles, so a runner taking over many sessions at once
        # (a SIGTERM'd or dead runner's) opens them one batch after another instead of all of them
        # slowly, past WA_LOAD_TIMEOUT_S.
        self._open_slots = asyncio.Semaphore(settings.open_concurrency)
        self._opening = 0  # sessions waiting for a slot or opening

    @property
    def log_extra(self) -> dict:
        return {"runner_id": self.settings.runner_id}

    @property
    def free_slots(self) -> int:
        return max(0, self.settings.capacity - len(self.sessions))

    # ------------------------------------------------------------------ main
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        await self.browser.start()
        if self.warm is not None:
            self.warm.prepare()
        self.queue_url = await self.queues.ensure_runner_queue(self.settings.runner_queue_name)
        await self.repo.register_runner(self.settings.runner_id, self.queue_url, self.settings.capacity)
        self._write_pid_file()
        self._touch_heartbeat()
        if self.settings.metrics_port is not None:
            self.metrics.serve(self.settings.metrics_port, self.settings.metrics_host)
        log.info("runner started", extra={**self.log_extra, "capacity": self.settings.capacity})
        self._tasks = [
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._heartbeat_file_loop(), name="heartbeat-file"),
            asyncio.create_task(self._lease_loop(), name="leases"),
            asyncio.create_task(self._own_queue_loop(), name="own-queue"),
            asyncio.create_task(self._start_queue_loop(), name="start-queue"),
            asyncio.create_task(self._orphan_loop(), name="orphans"),
            asyncio.create_task(self._erasure_loop(), name="erasures"),
            asyncio.create_task(self.acks.run(), name="acks"),
        ]
        stopper = asyncio.create_task(self._stop.wait())
        done, _ = await asyncio.wait([stopper, *self._tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and task.exception():
                log.error(
                    "runner loop died",
                    extra={**self.log_extra, "loop": task.get_name()},
                    exc_info=task.exception(),
                )
        await self.shutdown()
        return 0

    async def shutdown(self) -> None:
        """Stop taking work, finish in-flight replies, checkpoint and release every session (and
        tell the fleet through the start queue, so another runner takes each one at once),
        deregister — within SHUTDOWN_DEADLINE_S (ECS kills the task at its stopTimeout)."""
        deadline = time.monotonic() + self.settings.shutdown_deadline_s
        for task in self._tasks:
            if task.get_name() in ("start-queue", "own-queue", "orphans", "erasures"):
                task.cancel()
        sessions = list(self.sessions.values())
        log.info("runner stopping", extra={**self.log_extra, "sessions": len(sessions)})
        per_session = max(1.0, (deadline - time.monotonic()) / 2)
        await asyncio.gather(
            *(s.close(release=True, drain_s=per_session, checkpoint=True) for s in sessions),
            return_exceptions=True,
        )
        for session in sessions:
            if not session.lease_lost:
                with contextlib.suppress(Exception):
                    await self.queues.send(
                        self.settings.common.start_queue_url,
                        Command(
                            CommandType.START, session.id, payload={"released_by": self.settings.runner_id}
                        ).to_json(),
                    )
        for task in [*self._tasks, *self._inflight]:
            task.cancel()
        await self.acks.close()
        with contextlib.suppress(Exception):
            await self.repo.delete_runner(self.settings.runner_id)
        if self.queue_url:
            with contextlib.suppress(Exception):
                await self.queues.delete_queue(self.queue_url)
        if self.warm is not None:
            await self.warm.close()
        await self.browser.close()
        await self.platform.report(0, self.metrics, force=True)  # nothing held: scale-in may take this task
        await self.platform.aclose()
        self.metrics.close()
        await self.bot.aclose()
        await self.media.aclose()
        await self.repo.aclose()
        self._remove_pid_file()
        log.info("runner stopped", extra=self.log_extra)

    # ------------------------------------------------------------------ loops
    async def _heartbeat_file_loop(self) -> None:
        """The file says this process is alive and its loop turning (the container health check):
        touched on its own schedule, also while the database is away (the runner rides that out)."""
        async for _ in poll(self.settings.heartbeat_interval_s):
            self._touch_heartbeat()

    async def _heartbeat_loop(self) -> None:
        async for _ in poll(self.settings.heartbeat_interval_s):
            try:
                await self.repo.heartbeat(
                    self.settings.runner_id, len(self.sessions), self.metrics.totals["browser_restarts"]
                )
                self.metrics.heartbeat()
            except WagateError as exc:
                log.warning("heartbeat failed", extra={**self.log_extra, "error": str(exc)})
            await self.platform.report(len(self.sessions), self.metrics)

    async def _lease_loop(self) -> None:
        """All leases in one call per period; a session no longer held is let go in the background
        (closing stores what its page delivered, which must not hold up the other renewals)."""
        async for _ in poll(max(1.0, self.settings.lease_ttl_s / 3)):
            sessions = {s.id: s for s in self.sessions.values() if not s.lease_lost}
            try:
                held = await self.repo.renew_leases(
                    self.settings.runner_id,
                    {sid: s.epoch for sid, s in sessions.items()},
                    self.settings.lease_ttl_s,
                )
            except WagateError as exc:
                log.warning("lease renewal failed", extra={**self.log_extra, "error": str(exc)})
                continue
            for session_id, session in sessions.items():
                if session_id not in held and self.sessions.get(session_id) is session:
                    log.warning("lease lost", extra=session.log_extra)
                    session.lease_lost = True
                    task = asyncio.create_task(session.close(release=False))
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)

    async def _start_queue_loop(self) -> None:
        async for _ in poll(0):
            # Take only what can be opened now: the rest stays on the queue for other runners.
            room = min(self.free_slots - len(self._inflight), self.settings.open_concurrency - self._opening)
            if room <= 0:
                await asyncio.sleep(0.5)
                continue
            await self._receive_and_handle(self.settings.common.start_queue_url, room)

    async def _own_queue_loop(self) -> None:
        assert self.queue_url is not None
        async for _ in poll(0):
            await self._receive_and_handle(self.queue_url, 10)

    async def _receive_and_handle(self, queue_url: str, max_messages: int) -> None:
        try:
            received = await self.queues.receive(
                queue_url, max_messages=max_messages, wait_s=self.settings.poll_wait_s
            )
        except WagateError as exc:
            log.warning("queue receive failed", extra={**self.log_extra, "error": str(exc)})
            await asyncio.sleep(1)
            return
        for item in received:  # each on its own: one slow command must not hold up the others
            task = asyncio.create_task(self._handle_command(item))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _orphan_loop(self) -> None:
        """Adopt sessions whose runner died (lease expired), and clean up after dead runners."""
        scans = 0
        async for _ in poll(ORPHAN_SCAN_S):
            scans += 1
            try:
                await self._adopt_orphans()
                if scans % 10 == 1:
                    await self._reap_dead_runners()
            except WagateError as exc:
                log.warning("orphan scan failed", extra={**self.log_extra, "error": str(exc)})

    async def _erasure_loop(self) -> None:
        """Deleted sessions (and deleted users' sessions): log their devices out, erase their checkpoints."""
        async for _ in poll(ERASURE_SCAN_S):
            try:
                await self.erasures.run_once()
            except WagateError as exc:
                log.warning("erasure scan failed", extra={**self.log_extra, "error": str(exc)})

    async def _adopt_orphans(self) -> None:
        """OPEN_CONCURRENCY workers, each claiming one orphaned session and opening it, until none
        is left or this runner is full: a session is claimed only when it is about to be opened
        (its new lease does not run down while it waits), and the other survivors take their share."""
        claiming = 0

        async def worker() -> None:
            nonlocal claiming
            while self.free_slots - claiming > 0:
                claiming += 1
                try:
                    rows = await self.repo.claim_orphaned(
                        self.settings.runner_id, 1, self.settings.lease_ttl_s
                    )
                finally:
                    claiming -= 1
                if not rows:
                    return
                row = rows[0]
                log.info("adopting orphaned session", extra={**self.log_extra, "session_id": row["id"]})
                try:
                    await self._open_session(row)
                except Exception as exc:
                    log.warning(
                        "adopting failed",
                        extra={**self.log_extra, "session_id": row["id"], "error": str(exc)[:200]},
                    )

        await asyncio.gather(*(worker() for _ in range(self.settings.open_concurrency)))

    async def _reap_dead_runners(self) -> None:
        for dead in await self.repo.stale_runners(older_than_s=max(30, self.settings.lease_ttl_s * 4)):
            if dead["runner_id"] == self.settings.runner_id:
                continue
            log.info(
                "removing a dead runner's queue", extra={**self.log_extra, "dead_runner": dead["runner_id"]}
            )
            await self.queues.delete_queue(dead["queue_url"])
            await self.repo.delete_runner(dead["runner_id"])

    # ------------------------------------------------------------------ commands
    async def _handle_command(self, received: ReceivedCommand) -> None:
        try:
            command = Command.from_json(received.body)
        except InvalidInput:
            log.error("malformed command dropped", extra=self.log_extra)
            await self.queues.delete(received)
            return
        if command.id in self._seen:
            await self.queues.delete(received)
            return
        keeper = asyncio.create_task(self._keep_invisible(received))
        try:
            await self._dispatch(command)
        except Exception as exc:
            await self._command_failed(received, command, exc)
            return
        finally:
            keeper.cancel()
        self._remember(command.id)
        await self.queues.delete(received)

    async def _keep_invisible(self, received: ReceivedCommand) -> None:
        """Extend the SQS visibility while a command is being worked on."""
        async for _ in poll(20):
            with contextlib.suppress(WagateError):
                await self.queues.extend_visibility(received, 60)

    async def _command_failed(self, received: ReceivedCommand, command: Command, exc: Exception) -> None:
        log.warning(
            "command failed",
            extra={
                **self.log_extra,
                "session_id": command.session_id,
                "command": str(command.type),
                "error": str(exc)[:300],
            },
        )
        if received.receive_count >= self.settings.max_receives:
            # The next receive moves it to the dead-letter queue; the session says why.
            failure = failures.command_failed(str(command.type), received.receive_count)
            session = self.sessions.get(command.session_id)
            if session is not None:
                await session.fail(failure)
            else:
                with contextlib.suppress(WagateError):
                    await self.repo.fail_session(command.session_id, failure)
            with contextlib.suppress(WagateError):
                await self.queues.extend_visibility(received, 1)
            return
        with contextlib.suppress(WagateError):
            await self.queues.extend_visibility(received, min(30, 2**received.receive_count))

    def _remember(self, command_id: str) -> None:
        self._seen[command_id] = None
        while len(self._seen) > SEEN_COMMANDS:
            self._seen.popitem(last=False)

    async def _dispatch(self, command: Command) -> None:
        session = self.sessions.get(command.session_id)
        if (
            session is not None
            and command.type not in NEVER_DROP_BY_EPOCH
            and 0 < command.epoch < session.epoch
        ):
            log.info("stale command dropped", extra={**session.log_extra, "command": str(command.type)})
            return
        if command.type == CommandType.START:
            # Only a session waiting to start, or one a stopping runner released: a stale START
            # must not revive one that has ended.
            current = await self.repo.get_session(command.session_id) if session is None else None
            if current is not None and (
                current["status"] == SessionStatus.PENDING
                or (current.get("runner_id") is None and current["status"] in RELEASED_LIVE)
            ):
                await self._claim_and_open(command.session_id)
        elif command.type == CommandType.SEND:
            if session is not None and session.status == SessionStatus.CONNECTED:
                row = await self.repo.get_message(str(command.payload.get("message_id")))
                if row is not None:
                    session.pipeline.submit_outbound(row)
            # otherwise: the row stays queued and the owner sends it once connected
        elif command.type == CommandType.DISCONNECT:
            if session is not None:
                await session.end(SessionStatus.DISCONNECTED)
        elif command.type == CommandType.RESTART:
            if session is not None:
                await session.close(release=False, drain_s=5, checkpoint=True)
            await self._claim_and_open(command.session_id)
        elif command.type == CommandType.DELETE:
            if session is not None:
                await session.end(None)

    async def _claim_and_open(self, session_id: str) -> None:
        row = await self.repo.claim_session(session_id, self.settings.runner_id, self.settings.lease_ttl_s)
        if row is None:
            log.info(
                "session held by another runner; start dropped",
                extra={**self.log_extra, "session_id": session_id},
            )
            return
        await self._open_session(row)

    async def _open_session(self, row: dict) -> None:
        """Open a claimed session once a slot is free, and hold the slot until it settles (a QR
        code, a login, an end) or WA_LOAD_TIMEOUT_S passes. The session is this runner's while it
        waits (its lease is renewed with the others)."""
        session = WhatsAppSession(row, self.deps, on_closed=self._forget, on_lost=self._reopen)
        self.sessions[session.id] = session
        retry: str | None = None
        self._opening += 1
        try:
            async with self._open_slots:
                if session.closed:  # ended (or the runner stopped) while it waited
                    return
                try:
                    await session.start()
                except LeaseLost:  # another runner took it meanwhile: it is theirs, not failed
                    log.info("session taken over while opening", extra=session.log_extra)
                    session.lease_lost = True
                    await session.close(release=False)
                    return
                except WagateError:
                    raise
                except Exception as exc:
                    log.warning(
                        "could not open WhatsApp Web", extra={**session.log_extra, "error": str(exc)[:300]}
                    )
                    if not session.restoring:
                        await session.fail(
                            exc.failure if isinstance(exc, OpenFailed) else failures.WHATSAPP_WEB_DID_NOT_OPEN
                        )
                        return
                    retry = "WhatsApp Web could not be opened"  # a saved login: opened again (below)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(session.settled.wait(), self.settings.load_timeout_s)
        finally:
            self._opening -= 1
        if retry is not None:
            await self._reopen(session, retry)

    def _forget(self, session: WhatsAppSession) -> None:
        if self.sessions.get(session.id) is session:
            del self.sessions[session.id]

    async def _resume_all(self, _queue_url: str) -> None:
        """Commands on a lost queue are gone: each connected session sends what is still queued."""
        for session in list(self.sessions.values()):
            if session.status == SessionStatus.CONNECTED:
                with contextlib.suppress(WagateError):
                    await session.pipeline.resume_unfinished()

    async def _browser_lost(self) -> None:
        """The shared browser died: its sessions are restored in a new one."""
        self.metrics.browser_restarted()
        await asyncio.gather(
            *(self._reopen(s, "the browser died") for s in list(self.sessions.values())),
            return_exceptions=True,
        )

    async def _reopen(self, session: WhatsAppSession, reason: str) -> None:
        """The page, context or browser went away under a session: restore it from its checkpoint
        on this runner (a new epoch), unless it keeps happening."""
        if self.sessions.get(session.id) is not session or session.id in self._reopening:
            return
        self._reopening.add(session.id)
        try:
            now = time.monotonic()
            recent = [t for t in self._reopens.get(session.id, []) if now - t < REOPEN_WINDOW_S]
            if len(recent) >= REOPEN_LIMIT:
                await session.fail(
                    failures.whatsapp_web_unstable(reason, len(recent) + 1, REOPEN_WINDOW_S / 60)
                )
                return
            self._reopens[session.id] = [*recent, now]
            log.warning("reopening session", extra={**session.log_extra, "reason": reason})
            await session.close(release=False, checkpoint=True)
            claimed = await self.repo.claim_session(
                session.id, self.settings.runner_id, self.settings.lease_ttl_s
            )
            if claimed:
                await self._open_session(claimed)
        finally:
            self._reopening.discard(session.id)

    # ------------------------------------------------------------------ files
    def _touch_heartbeat(self) -> None:
        path = self.settings.heartbeat_file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{time.time():.0f} {len(self.sessions)}\n")

    def _write_pid_file(self) -> None:
        if self.settings.pid_dir:
            self.settings.pid_dir.mkdir(parents=True, exist_ok=True)
            (self.settings.pid_dir / f"runner-{self.settings.runner_id}.pid").write_text(f"{os.getpid()}\n")

    def _remove_pid_file(self) -> None:
        if self.settings.pid_dir:
            with contextlib.suppress(FileNotFoundError):
                (self.settings.pid_dir / f"runner-{self.settings.runner_id}.pid").unlink()


def build_checkpoints(settings: RunnerSettings, browser: BrowserOwner) -> Checkpoints:
    """The configured strategy, sealer (static key or KMS) and bucket."""
    common = settings.common
    sealer = Sealer.from_env(common.extra, endpoint_url=common.aws_endpoint_url)
    bucket = CheckpointBucket(common.checkpoint_bucket, endpoint_url=common.aws_endpoint_url)
    if settings.checkpoint_strategy == "profile":
        strategy = ProfileStrategy(browser, settings.profile_root)
    else:
        strategy = ContextStrategy(browser)
    return Checkpoints(strategy, sealer, bucket)
