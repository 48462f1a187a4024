"""Messages of one session: inbound -> stored once -> chatbot -> replies stored `queued` -> sent.
One chat is handled in order; chats run concurrently (one worker per busy chat)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.botclient import BotError, BotRequest
from runner.media import MediaFailure, MediaReply, contact_of, location_of
from runner.repository import StoreUnavailable
from wagate import failures
from wagate.backoff import compute_backoff
from wagate.media import MEDIA_TYPES, MESSAGE_TYPES
from wagate.phone import country_of
from wagate.status import Direction, MessageStatus

if TYPE_CHECKING:
    from runner.session import WhatsAppSession

log = logging.getLogger("runner.pipeline")

Job = Callable[[], Awaitable[None]]


def new_whatsapp_id() -> str:
    """A message key id in WhatsApp Web's own shape, chosen before sending so a resend after a
    crash reuses it (the server keeps one message per id)."""
    return "3EB0" + secrets.token_hex(9).upper()


def number_of(wid: str | None) -> str:
    return (wid or "").split("@", 1)[0]


# What WhatsApp Web adds to a chat that no customer wrote: a changed security code, a template
# notice (a changed number), a call, a protocol message, group events, a deleted message.
SYSTEM_TYPES = frozenset(
    {"e2e_notification", "notification_template", "notification", "call_log", "protocol", "gp2",
     "group_notification", "broadcast_notification", "revoked", "debug", "oversized", "reaction"}
)  # fmt: skip


@dataclass(frozen=True)
class Customer:
    """Who wrote, as WhatsApp names them: the chat (`<lid>@lid` or `<phone>@c.us`), their LID when
    there is one, their phone number when WhatsApp Web knows it (a LID customer may hide it)."""

    chat_id: str
    lid: str | None
    phone: str | None

    @property
    def label(self) -> str:
        """`from_number`: the phone number, else the LID chat (`<lid>@lid`)."""
        return self.phone or self.chat_id


def customer_of(message: dict) -> Customer:
    """The customer of an inbound event (pure)."""
    chat_id = str(message.get("remote") or message.get("from") or "")
    digits = number_of(chat_id)
    lid = digits if chat_id.endswith("@lid") else message.get("lid")
    phone = digits if chat_id.endswith("@c.us") else message.get("phone")
    return Customer(chat_id, str(lid) if lid else None, str(phone) if phone else None)


def skip_reason(message: dict, *, reply_to_groups: bool, reply_to_own: bool) -> str | None:
    """Why an inbound event is not a customer message for the bot (None: it is one). Pure."""
    remote = message.get("remote") or message.get("from") or ""
    if message.get("fromMe") and not reply_to_own:
        return "own message"
    if message.get("type") in SYSTEM_TYPES:
        return f"system message ({message.get('type')})"
    if remote == "status@broadcast" or remote.endswith("@broadcast"):
        return "status broadcast"
    if remote.endswith("@g.us") and not reply_to_groups:
        return "group message"
    if remote.endswith("@newsletter"):
        return "channel message"
    return None


class ChatSequencer:
    """Runs jobs of one chat one after another, different chats in parallel."""

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[Job]] = {}
        self._workers: dict[str, asyncio.Task] = {}

    def submit(self, chat: str, job: Job) -> None:
        queue = self._queues.setdefault(chat, asyncio.Queue())
        queue.put_nowait(job)
        if chat not in self._workers or self._workers[chat].done():
            self._workers[chat] = asyncio.get_running_loop().create_task(self._drain(chat, queue))

    async def _drain(self, chat: str, queue: asyncio.Queue[Job]) -> None:
        while not queue.empty():
            job = queue.get_nowait()
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("chat job failed", extra={"chat": chat[:4] + "…"})
        self._queues.pop(chat, None)
        self._workers.pop(chat, None)

    def busy(self) -> bool:
        return any(not task.done() for task in self._workers.values())

    async def drain(self, timeout_s: float) -> bool:
        """Wait for in-flight jobs (graceful shutdown); True when all finished in time."""
        tasks = [t for t in self._workers.values() if not t.done()]
        if not tasks:
            return True
        _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
        return not pending

    def cancel(self) -> None:
        for task in self._workers.values():
            task.cancel()


class ConversationPipeline:
    def __init__(self, session: WhatsAppSession) -> None:
        self.session = session
        self.sequencer = ChatSequencer()  # answering and sending, in order per chat
        self.intake = ChatSequencer()  # storing inbound messages, in order per chat, chats in parallel
        self._pending: set[str] = set()  # rows with a job queued or running: never submitted twice
        self._phone_by_lid: dict[str, str | None] = {}  # what this session knows of LID customers
        # A session's chats wait their turn for the chatbot beyond this many calls in flight.
        self._bot_calls = asyncio.Semaphore(session.deps.settings.bot_calls_per_session)

    def _submit(self, chat: str, row_id: str, job: Job) -> None:
        if row_id in self._pending:
            return

        async def tracked() -> None:
            try:
                await job()
            finally:
                self._pending.discard(row_id)

        self._pending.add(row_id)
        self.sequencer.submit(chat, tracked)

    # ------------------------------------------------------------------ inbound
    async def on_inbound(self, message: dict) -> None:
        session, settings = self.session, self.session.deps.settings
        reason = skip_reason(
            message, reply_to_groups=settings.reply_to_groups, reply_to_own=settings.reply_to_own
        )
        if reason:
            log.debug("inbound skipped", extra={"session_id": session.id, "reason": reason})
            return
        customer = customer_of(message)
        row = {
            "session_id": session.id,
            "chatbot_id": session.row["chatbot_id"],
            "message_id": message.get("key") or message["id"],
            "from_number": customer.label,
            "to_number": session.phone or number_of(message.get("to")),
            "direction": str(Direction.INBOUND),
            "content": message.get("body") or "",
            "timestamp": _iso(message.get("t")),
            "status": str(MessageStatus.RECEIVED),
            "chat_id": customer.chat_id,
            "customer_lid": customer.lid,
            "customer_phone": customer.phone,
        }
        kind = message.get("type", "chat")
        kind = "vcard" if kind == "multi_vcard" else kind
        row.update(_content_of(kind, message))
        if message.get("undecryptable"):
            row["status"], row["error"], row["error_code"] = (
                str(MessageStatus.FAILED),
                "WhatsApp Web could not decrypt this message",
                failures.UNDECRYPTABLE,
            )
        elif kind not in MESSAGE_TYPES:
            row["status"], row["error"], row["error_code"] = (
                str(MessageStatus.FAILED),
                f"unsupported message type: {kind}",
                failures.UNSUPPORTED_MESSAGE,
            )
            row["content"] = row["content"] or f"[{kind}]"  # a media message's caption, else its type
        notify_name = message.get("notifyName")
        self.intake.submit(customer.chat_id, lambda: self._take_in(customer.chat_id, row, notify_name))

    async def on_decrypted_late(self, message: dict) -> None:
        """A message stored as undecryptable decrypted after all: answered now."""
        row = await self.session.deps.repo.revive_undecrypted(
            self.session.id, str(message.get("key")), message.get("body") or ""
        )
        if row is not None and message.get("type", "chat") == "chat":
            self._submit(row["chat_id"] or row["from_number"], row["id"], lambda: self.answer(row))

    async def on_edit(self, key: str, body: str) -> None:
        await self.session.deps.repo.record_edit(self.session.id, key, body)

    async def on_revoke(self, key: str) -> None:
        await self.session.deps.repo.record_revoke(self.session.id, key)

    async def _take_in(self, customer: str, row: dict, notify_name: str | None) -> None:
        session = self.session
        # Answered at once: stored as `replying` (one write less per message). A page that is
        # closing cannot send: stored `received`, the next owner answers it.
        answer_now = row["status"] == MessageStatus.RECEIVED and not session.delivery_stopped
        if answer_now:
            row = {**row, "status": str(MessageStatus.REPLYING)}
        if row["customer_lid"] and row["customer_phone"]:
            self._phone_by_lid[row["customer_lid"]] = row["customer_phone"]
        elif row["customer_lid"]:
            row = await self._with_known_phone(row)
        stored = await self._store_inbound(row)
        if stored is None:
            log.info("inbound duplicate ignored", extra={"session_id": session.id})
            return
        log.info("message.received", extra={"session_id": session.id, "message_row": stored["id"]})
        if answer_now:
            stored["_notify_name"] = notify_name
            self._submit(customer, stored["id"], lambda: self.answer(stored))

    async def drain(self, timeout_s: float) -> None:
        """Store what has arrived, then finish the replies in flight (graceful shutdown)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        await self.intake.drain(timeout_s)
        await self.sequencer.drain(max(0.1, deadline - asyncio.get_running_loop().time()))

    def cancel(self) -> None:
        self.intake.cancel()
        self.sequencer.cancel()

    async def _with_known_phone(self, row: dict) -> dict:
        """A LID customer hiding their number who showed it to this session before keeps it (and
        their conversation_id). Looked up once per LID while this runner holds the session; best
        effort: without the database now, the row goes as it is."""
        lid = row["customer_lid"]
        if lid not in self._phone_by_lid:
            try:
                self._phone_by_lid[lid] = await self.session.deps.repo.phone_of_lid(self.session.id, lid)
            except StoreUnavailable:
                return row
        phone = self._phone_by_lid[lid]
        return {**row, "customer_phone": phone, "from_number": phone} if phone else row

    async def _store_inbound(self, row: dict) -> dict | None:
        """Insert once; while the database is down, keep trying: WhatsApp will not deliver this
        message again, so giving up would lose it (later events wait, which keeps their order).
        A closing session keeps trying too, until its close deadline cancels the job."""
        repo = self.session.deps.repo
        for attempt in itertools.count(1):
            try:
                return await repo.insert_inbound(row)
            except StoreUnavailable:
                log.warning("inbound not stored yet; retrying", extra={"session_id": self.session.id})
                await asyncio.sleep(compute_backoff(attempt, base_s=1.0, max_s=10.0))
        raise AssertionError("unreachable")

    async def answer(self, inbound: dict) -> None:
        session, deps = self.session, self.session.deps
        if inbound["status"] != MessageStatus.REPLYING:
            await deps.repo.mark_message(
                inbound["id"], deps.settings.runner_id, session.epoch, MessageStatus.REPLYING
            )
        if (
            inbound.get("type") in MEDIA_TYPES
            and not inbound.get("media_key")
            and not inbound.get("media_error")
        ):
            kept = await deps.media.keep_inbound(session, inbound)
            inbound = {**inbound, **kept}
            await deps.repo.record_media(inbound["id"], kept)
        try:
            replies = await self._replies_for(inbound)
        except BotError as exc:
            log.warning(
                "chatbot failed", extra={"session_id": session.id, "code": exc.code, "reason": exc.reason}
            )
            deps.repo.metrics.chatbot_failed(exc.code)
            await deps.repo.mark_message(
                inbound["id"],
                deps.settings.runner_id,
                session.epoch,
                MessageStatus.FAILED,
                error=exc.reason,
                error_code=exc.code,
            )
            return
        stored_replies = await deps.repo.rpc(
            "store_replies",
            p_inbound_id=inbound["id"],
            p_runner_id=deps.settings.runner_id,
            p_epoch=session.epoch,
            p_replies=[{"message_id": new_whatsapp_id(), **reply} for reply in replies],
        )
        deps.repo.metrics.message_answered()
        if not stored_replies and replies:
            # Stored already (a retried call whose first answer was lost): send what still waits.
            stored = await deps.repo.replies_to(inbound["id"])
            stored_replies = [r for r in stored if r["status"] == MessageStatus.QUEUED]
        for reply in stored_replies or []:
            await self.send(reply, check_number=False)

    async def _replies_for(self, inbound: dict) -> list[dict]:
        """The chatbot's replies as rows to store: texts, and files fetched and kept in S3 (a file
        that cannot be sent fails the customer's message with the reason)."""
        session = self.session
        replies = []
        for answer in await self._ask_chatbot(inbound):
            if isinstance(answer, str):
                replies.append({"text": answer, "type": "chat"})
                continue
            try:
                replies.append(
                    await session.deps.media.keep_reply(
                        answer, user_id=session.row["user_id"], session_id=session.id
                    )
                )
            except MediaFailure as exc:
                raise BotError(exc.reason, exc.code) from exc
        return replies

    async def _ask_chatbot(self, inbound: dict) -> list[str | MediaReply]:
        """The chatbot's replies: the session's own endpoint (its owner's chatbot, through the
        endpoint guard, signed with the chatbot's secret) or the project's avatar-chat."""
        session, deps = self.session, self.session.deps
        row = session.row
        profile = await deps.chatbots.get(row["chatbot_id"], row["user_id"])
        if not profile.owned:
            raise BotError("this chatbot belongs to another user", failures.CHATBOT_NOT_FOUND)
        endpoint = row.get("bot_endpoint")
        request = BotRequest(
            url=endpoint or deps.settings.common.avatar_chat_url,
            payload={
                "chatbot_id": row["chatbot_id"],
                "session_id": session.id,
                "conversation_id": f"{session.id}:{_customer_key(inbound)}",
                "channel": "whatsapp_web",
                "message": {
                    "id": inbound["message_id"],
                    "text": inbound["content"],
                    "timestamp": inbound["timestamp"],
                    "type": inbound.get("type") or "chat",
                    "media": deps.media.presented(inbound),
                    "media_error": inbound.get("media_error"),
                    "location": inbound.get("location"),
                    "contact": inbound.get("contact"),
                },
                "customer": {
                    "phone": inbound.get("customer_phone"),
                    "lid": inbound.get("customer_lid"),
                    "name": inbound.get("_notify_name"),
                    "country": country_of(inbound.get("customer_phone")),
                },
            },
            idempotency_key=inbound["id"],
            tenant=row["user_id"] if endpoint else None,
            secrets=profile.secrets if endpoint else deps.settings.avatar_chat_secrets,
        )
        async with self._bot_calls:
            try:
                return await deps.bot.ask(request)
            except BotError:
                raise
            except Exception as exc:  # whatever else: recorded on the message, never left `replying`
                log.exception("chatbot call failed unexpectedly", extra={"session_id": session.id})
                raise BotError("the chatbot's answer could not be used", failures.CHATBOT_BAD_ANSWER) from exc

    # ------------------------------------------------------------------ outbound
    def submit_outbound(self, row: dict) -> None:
        self._submit(row.get("chat_id") or row["to_number"], row["id"], lambda: self.send_by_id(row["id"]))

    async def send_by_id(self, message_row_id: str) -> None:
        row = await self.session.deps.repo.get_message(message_row_id)
        if row is None or row["status"] != MessageStatus.QUEUED or row["session_id"] != self.session.id:
            return  # sent already, or deleted
        await self.send(row, check_number=row.get("reply_to") is None)

    async def send(self, row: dict, *, check_number: bool) -> None:
        session, deps = self.session, self.session.deps
        runner_id = deps.settings.runner_id
        if check_number and not await session.number_exists(row["to_number"]):
            await deps.repo.mark_message(
                row["id"],
                runner_id,
                session.epoch,
                MessageStatus.FAILED,
                error=f"{row['to_number']} is not on WhatsApp",
                error_code=failures.NOT_ON_WHATSAPP,
                expected_status=MessageStatus.QUEUED,
            )
            return
        await session.limiter.take()
        if session.delivery_stopped:
            return  # the page is closing: the row stays queued for the next owner
        try:
            if row.get("type", "chat") == "chat":
                result = await session.send_text(
                    chat=row.get("chat_id"),
                    to=row["to_number"],
                    text=row["content"],
                    whatsapp_id=row["message_id"],
                )
            else:
                result = await self._send_file(row)
        except MediaFailure as exc:
            await deps.repo.mark_message(
                row["id"],
                runner_id,
                session.epoch,
                MessageStatus.FAILED,
                error=exc.reason,
                error_code=exc.code,
                expected_status=MessageStatus.QUEUED,
            )
            return
        except Exception as exc:  # the page failed the send: recorded, not retried blindly
            if session.delivery_stopped:
                raise  # closed under the send: it stays queued, the next owner sends it (same id)
            log.warning("send failed", extra={"session_id": session.id, "error": str(exc)[:300]})
            await deps.repo.mark_message(
                row["id"],
                runner_id,
                session.epoch,
                MessageStatus.FAILED,
                error="WhatsApp Web did not send the message",
                error_code=failures.SEND_FAILED,
                expected_status=MessageStatus.QUEUED,
            )
            raise
        await deps.repo.mark_message(
            row["id"],
            runner_id,
            session.epoch,
            MessageStatus.SENT,
            whatsapp_id=result.get("key") or row["message_id"],
            ack=1,
            expected_status=MessageStatus.QUEUED,
        )
        log.info("message.sent", extra={"session_id": session.id, "message_row": row["id"]})

    async def _send_file(self, row: dict) -> dict:
        """Send an outbound file: its bytes from S3 (a voice note converted first), as a document
        when it is a video this browser cannot prepare (no H.264 in Debian's Chromium)."""
        session, deps = self.session, self.session.deps
        if not row.get("media_key"):
            raise MediaFailure("the message's file is missing", failures.MEDIA_NOT_FOUND)
        data, changed = await deps.media.file_to_send(row)
        kind = sent_as(row["type"], can_send_video=row["type"] != "video" or await session.can_send_video())
        if kind != row["type"]:
            changed["type"] = kind
        if changed:
            await deps.repo.record_media(row["id"], changed)
            row = {**row, **changed}
        return await session.send_media(
            chat=row.get("chat_id"),
            to=row["to_number"],
            whatsapp_id=row["message_id"],
            data=data,
            mime=row["media_mime"],
            filename=row.get("media_filename"),
            caption=row.get("content") or "",
            kind=kind,
        )

    # ------------------------------------------------------------------ recovery
    async def resume_unfinished(self) -> int:
        """After (re)connecting: answer what was received but not answered, send what is queued
        (rows already waiting in this pipeline are not submitted again)."""
        rows = await self.session.deps.repo.unfinished_messages(self.session.id)
        rows = [row for row in rows if row["id"] not in self._pending]
        for row in rows:
            if row["direction"] == Direction.INBOUND:
                self._submit(
                    row.get("chat_id") or row["from_number"], row["id"], lambda r=row: self.answer(r)
                )
            else:
                self._submit(
                    row.get("chat_id") or row["to_number"], row["id"], lambda r=row: self.send_by_id(r["id"])
                )
        return len(rows)


def sent_as(kind: str, *, can_send_video: bool) -> str:
    """How a file goes: as its kind, but a video as a document (the same bytes) from a browser that
    cannot prepare video (no H.264), rather than not at all."""
    return "document" if kind == "video" and not can_send_video else kind


def _content_of(kind: str, message: dict) -> dict:
    """What a message of this kind keeps beyond its text: its type, what WhatsApp said of its file
    (the file itself is downloaded before the chatbot is asked), a location, a contact card."""
    if kind not in MESSAGE_TYPES or kind == "chat":
        return {}
    fields: dict = {"type": kind}
    if kind in MEDIA_TYPES:
        media = message.get("media") or {}
        fields["media_mime"] = media.get("mimetype")
        fields["media_filename"] = media.get("filename")
        size = media.get("size")
        fields["media_size"] = int(size) if isinstance(size, int | float) and size >= 0 else None
    elif kind == "location":
        fields["location"] = location_of(message.get("location"))
    elif kind == "vcard":
        cards = message.get("vcards") or []
        fields["contact"] = contact_of(cards[0] if cards else None)
    return fields


def _customer_key(row: dict) -> str:
    """The conversation's customer: the phone number when known, else the LID (one customer keeps
    one conversation whether WhatsApp names them by phone number or by LID)."""
    return str(row.get("customer_phone") or row.get("customer_lid") or number_of(row.get("from_number")))


def _iso(epoch_s: object) -> str:
    from datetime import UTC, datetime

    try:
        return datetime.fromtimestamp(float(epoch_s), UTC).isoformat()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return datetime.now(UTC).isoformat()
