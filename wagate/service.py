"""The API's use cases, as plain methods the Chalice handlers (and the tests) call.

Each method takes the verified caller and the decoded input, validates it, and talks to the
store, the queues and S3 through their adapters. Invariants kept here:
- a caller only ever reaches their own sessions; anything else is `session_not_found`;
- every call is admitted first, after its input is validated: the token's user must still exist,
  and the per-user call and per-session send rate limits (counted in Postgres) apply;
- the database is written before a command is sent, and the write is undone when the send fails,
  so a failed request leaves nothing half-written;
- commands go to the runner holding the session's live lease, else the session is changed here;
- a chatbot belongs to one user (the first who links it, or the app's own table through
  `wagate_chatbot_owner`): anyone else's create for it is `chatbot_not_found`;
- a chatbot endpoint is checked by the endpoint guard before it is stored, and wagate makes the
  secret that signs the calls to it, shown to the owner once (at create, or at each rotation).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from wagate.admin_api import DEFAULT_HEARTBEAT_WINDOW_S, DEFAULT_STUCK_AFTER_S, AdminApi
from wagate.analytics import AnalyticsApi
from wagate.auth import Principal
from wagate.commands import Command, CommandType
from wagate.endpoints import check_endpoint
from wagate.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    QueueError,
    RateLimited,
    StoreError,
    Unauthorized,
    WagateError,
)
from wagate.media import MediaLimits
from wagate.media_api import MediaApi, media_type_field
from wagate.media_store import MediaStore, session_prefix
from wagate.objects import ObjectStore
from wagate.presenters import (
    decode_cursor,
    encode_cursor,
    parse_timestamp,
    public_chatbot,
    public_message,
    public_session,
    qr_png,
)
from wagate.queues import CommandQueues
from wagate.signing import new_signing_secret
from wagate.status import TERMINAL_STATUSES, Direction, MessageStatus, SessionStatus
from wagate.store import (
    CHATBOT_SECRETS,
    CHATBOTS,
    MESSAGES,
    RUNNERS,
    SESSIONS,
    Row,
    Store,
    eq,
    in_,
    or_,
    quoted,
)
from wagate.validation import (
    BodySchema,
    Field,
    bool_parameter,
    endpoint_url_field,
    is_uuid,
    limit_parameter,
    phone_field,
    text_field,
    uuid_field,
)
from wagate.webhook_api import WebhookApi

log = logging.getLogger("wagate.service")

CREATE_SESSION_BODY = BodySchema(
    (
        Field("chatbot_id", uuid_field),
        Field("phone_number", phone_field, required=False),
        Field("bot_endpoint", endpoint_url_field, required=False),
    )
)
DISCONNECT_SESSION_BODY = BodySchema((Field("session_id", uuid_field),))
SEND_MESSAGE_BODY = BodySchema(
    (
        Field("session_id", uuid_field),
        Field("to", phone_field),
        Field("text", text_field(), required=False),
        # a file instead of a text: uploaded (POST /api/media) or at an https URL, with a caption
        Field("media_id", uuid_field, required=False),
        Field("media_url", endpoint_url_field, required=False),
        Field("caption", text_field(), required=False),
        Field("type", media_type_field, required=False),
    )
)

# create_session's SQLSTATE for a chatbot another user owns (answered as if it did not exist)
CHATBOT_NOT_YOURS = "WG404"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_LISTED_SESSIONS = 500
RATE_WINDOW_S = 60  # the rate limits are per minute
# Fields a session leaves behind when it stops running (QR, pairing code, lease).
_STOPPED = {
    "qr_code": None,
    "qr_expires_at": None,
    "pairing_code": None,
    "runner_id": None,
    "lease_expires_at": None,
}


def new_session_key() -> str:
    """The unique text `session_id` of a new session (names its browser context, logs, ...)."""
    return f"wa_{secrets.token_hex(12)}"


def provisional_message_id() -> str:
    """The `message_id` of an outbound row until the runner learns WhatsApp's own id."""
    return f"pending:{uuid.uuid4()}"


class GatewayService:
    def __init__(
        self,
        *,
        store: Store,
        queues: CommandQueues,
        objects: ObjectStore,
        media: MediaStore | None = None,
        media_limits: MediaLimits | None = None,
        max_sessions_per_user: int = 20,
        api_calls_per_minute: int = 600,
        sends_per_minute: int = 60,
        allow_private_endpoints: bool = False,
        secret_rotation_overlap_s: int = 24 * 3600,
        max_webhooks_per_user: int = 10,
        heartbeat_window_s: float = DEFAULT_HEARTBEAT_WINDOW_S,
        stuck_after_s: int = DEFAULT_STUCK_AFTER_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.queues = queues
        self.objects = objects
        self.max_sessions_per_user = max_sessions_per_user
        self.api_calls_per_minute = api_calls_per_minute
        self.sends_per_minute = sends_per_minute
        self.allow_private_endpoints = allow_private_endpoints
        self.secret_rotation_overlap_s = secret_rotation_overlap_s
        self.clock = clock
        self.media = media or MediaStore(objects.bucket, client=objects._client)
        self.media_api = MediaApi(
            store=store,
            media=self.media,
            limits=media_limits or MediaLimits(),
            admit=self._admit,
            allow_private_endpoints=allow_private_endpoints,
        )
        self.webhooks = WebhookApi(
            store=store,
            admit=self._admit,
            owned_session=self._owned_session,
            owns_chatbot=self._owns_chatbot,
            clock=lambda: self.clock(),
            allow_private_endpoints=allow_private_endpoints,
            max_per_user=max_webhooks_per_user,
            secret_rotation_overlap_s=secret_rotation_overlap_s,
        )
        self.admin = AdminApi(
            store=store,
            queues=queues,
            admit=self._admit,
            restart=self.restart,
            clock=lambda: self.clock(),
            heartbeat_window_s=heartbeat_window_s,
            stuck_after_s=stuck_after_s,
        )
        self.analytics = AnalyticsApi(
            store=store,
            admit=self._admit,
            owned_session=self._owned_session,
            owns_chatbot=self._owns_chatbot,
            clock=lambda: self.clock(),
        )

    # ------------------------------------------------------------------ sessions
    def create_session(self, user: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
        fields = CREATE_SESSION_BODY.validate(body)
        endpoint = fields.get("bot_endpoint")
        if endpoint is not None:
            check_endpoint(endpoint, allow_private=self.allow_private_endpoints)
        self._admit(user)
        secret = new_signing_secret() if endpoint is not None else None
        try:
            rows = self.store.rpc(
                "create_session",
                {
                    "p_user_id": user.user_id,
                    "p_chatbot_id": fields["chatbot_id"],
                    "p_session_id": new_session_key(),
                    "p_pairing_phone": fields.get("phone_number"),
                    "p_bot_endpoint": endpoint,
                    "p_max_sessions": self.max_sessions_per_user,
                    "p_signing_secret": secret,
                },
            )
        except StoreError as exc:
            if exc.pg_code == "23503":  # auth.users has no such user any more
                raise Unauthorized("the token's user does not exist") from exc
            if exc.pg_code == CHATBOT_NOT_YOURS:
                raise NotFound("no such chatbot", code="chatbot_not_found") from exc
            raise
        if not rows:
            raise Conflict(
                f"at most {self.max_sessions_per_user} sessions per user: delete one first",
                code="too_many_sessions",
            )
        row = rows[0]
        command = Command(CommandType.START, session_id=row["id"], epoch=row["epoch"])

        def undo() -> None:
            self.store.delete(SESSIONS, where={"id": eq(row["id"])})
            if secret is not None:  # made with this session and never shown: it goes too
                self.store.delete(
                    CHATBOT_SECRETS, where={"chatbot_id": eq(row["chatbot_id"]), "secret": eq(secret)}
                )

        self._send_or_undo(None, command, undo=undo)
        log.info("session created", extra={"session_id": row["id"], "command_id": command.id})
        created = public_session(row, self.clock())
        if secret is not None and self._stored_secret(row["chatbot_id"]) == secret:
            created["bot_signing_secret"] = secret  # made now: shown this once
        return created

    def list_sessions(self, user: Principal) -> list[dict[str, Any]]:
        self._admit(user)
        rows = self.store.select(
            SESSIONS, where={"user_id": eq(user.user_id)}, order="created_at.desc", limit=MAX_LISTED_SESSIONS
        )
        now = self.clock()
        return [public_session(row, now) for row in rows]

    def get_session(self, user: Principal, session_id: str) -> dict[str, Any]:
        return public_session(self._owned_session(user, session_id), self.clock())

    def session_qr_png(self, user: Principal, session_id: str) -> bytes:
        return qr_png(self._owned_session(user, session_id), self.clock())

    def disconnect_session(self, user: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
        fields = DISCONNECT_SESSION_BODY.validate(body)
        row = self._owned_session(user, fields["session_id"])
        for _ in range(3):
            queue_url = self._owner_queue_url(row)
            if queue_url:
                self.queues.send(queue_url, Command(CommandType.DISCONNECT, row["id"], epoch=row["epoch"]))
                return public_session(row, self.clock())
            if row["status"] in TERMINAL_STATUSES or (
                row["status"] == SessionStatus.DISCONNECTED and row.get("runner_id") is None
            ):
                return public_session(row, self.clock())
            changed = self._update_if_unclaimed(row, {"status": SessionStatus.DISCONNECTED.value, **_STOPPED})
            if changed is not None:
                return public_session(changed, self.clock())
            row = self._owned_session(user, row["id"], admit=False)  # claimed meanwhile: route to it
        raise Conflict("the session changed while disconnecting it: try again", code="session_busy")

    def restart_session(self, user: Principal, session_id: str) -> dict[str, Any]:
        row = self._owned_session(user, session_id)
        restarted = self.restart(row, reread=lambda: self._owned_session(user, row["id"], admit=False))
        return public_session(restarted, self.clock())

    def restart(self, row: Row, *, reread: Callable[[], Row]) -> Row:
        """Restart a session (its owner's restart, and an operator's): the runner holding its lease
        is told; an unowned one is reset to `pending` and sent to the start queue. The row as it
        was when the command went (the runner's) or as reset (unowned)."""
        for _ in range(3):
            queue_url = self._owner_queue_url(row)
            if queue_url:
                self.queues.send(queue_url, Command(CommandType.RESTART, row["id"], epoch=row["epoch"]))
                return row
            restarted = self._start_again(row)
            if restarted is not None:
                return restarted
            row = reread()  # claimed meanwhile: route to its runner
        raise Conflict("the session changed while restarting it: try again", code="session_busy")

    def delete_session(self, user: Principal, session_id: str, query: Mapping[str, str]) -> None:
        """The row goes now; the WhatsApp device is logged out and the checkpoints erased by the
        runners (the delete queues a `wagate_erasures` row in the same statement): the runner
        holding the session at once (told here too), any runner from the checkpoint otherwise."""
        delete_messages = bool_parameter(query.get("delete_messages"), name="delete_messages")
        row = self._owned_session(user, session_id)
        queue_url = self._owner_queue_url(row)
        if queue_url:  # the runner logs the device out and erases its checkpoints at once
            command = Command(
                CommandType.DELETE, row["id"], epoch=row["epoch"], payload={"erase_checkpoints": True}
            )
            self.queues.send(queue_url, command)
        if delete_messages:
            self.store.delete(MESSAGES, where={"session_id": eq(row["id"])})
            self.media.delete_prefix(session_prefix(user.user_id, row["id"]))
        self.store.delete(SESSIONS, where={"id": eq(row["id"]), "user_id": eq(user.user_id)})
        log.info("session deleted", extra={"session_id": row["id"], "runner_id": row.get("runner_id")})

    # ------------------------------------------------------------------ chatbots
    def list_chatbots(self, user: Principal) -> list[dict[str, Any]]:
        """The chatbots this user owns, with when their endpoint secret was made or rotated."""
        self._admit(user)
        owned = self.store.select(
            CHATBOTS, where={"user_id": eq(user.user_id)}, order="created_at.asc", limit=MAX_LISTED_SESSIONS
        )
        ids = [row["chatbot_id"] for row in owned]
        secrets = {
            row["chatbot_id"]: row
            for row in (
                self.store.select(
                    CHATBOT_SECRETS,
                    where={"chatbot_id": in_(ids)},
                    columns="chatbot_id,created_at,rotated_at,previous_valid_until",
                )
                if ids
                else []
            )
        }
        return [public_chatbot(row, secrets.get(row["chatbot_id"]), self.clock()) for row in owned]

    def rotate_chatbot_secret(self, user: Principal, chatbot_id: str) -> dict[str, Any]:
        """A new signing secret for the chatbot's endpoint, shown this once; the previous one
        stays valid for `secret_rotation_overlap_s` (calls carry both signatures meanwhile)."""
        if not is_uuid(chatbot_id):
            raise NotFound("no such chatbot", code="chatbot_not_found")
        self._admit(user)
        secret = new_signing_secret()
        rows = self.store.rpc(
            "rotate_chatbot_secret",
            {
                "p_user_id": user.user_id,
                "p_chatbot_id": chatbot_id.lower(),
                "p_secret": secret,
                "p_overlap_s": self.secret_rotation_overlap_s,
            },
        )
        if not rows:
            raise NotFound("no such chatbot", code="chatbot_not_found")
        row = rows[0]
        log.info("chatbot secret rotated", extra={"chatbot_id": row["chatbot_id"]})
        return {
            "chatbot_id": row["chatbot_id"],
            "signing_secret": secret,
            "rotated_at": row.get("rotated_at") or row.get("created_at"),
            "previous_valid_until": row.get("previous_valid_until"),
        }

    def _owns_chatbot(self, user: Principal, chatbot_id: str) -> bool:
        return self.store.rpc("wagate_chatbot_owner", {"p_chatbot_id": chatbot_id}) == user.user_id

    def _stored_secret(self, chatbot_id: str) -> str | None:
        row = self.store.select_one(CHATBOT_SECRETS, where={"chatbot_id": eq(chatbot_id)}, columns="secret")
        return row["secret"] if row else None

    # ------------------------------------------------------------------ messages
    def send_message(self, user: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
        fields = SEND_MESSAGE_BODY.validate(body)
        media = [name for name in ("media_id", "media_url") if name in fields]
        if len(media) > 1:
            raise InvalidInput("give either 'media_id' or 'media_url', not both", code="invalid_media")
        if not media and "text" not in fields:
            raise InvalidInput("missing field 'text' (or 'media_id' / 'media_url')", code="missing_field")
        if media and "text" in fields:
            raise InvalidInput("a file's text is its 'caption', not 'text'", code="invalid_media")
        if not media and ("caption" in fields or "type" in fields):
            raise InvalidInput("'caption' and 'type' go with 'media_id' or 'media_url'", code="invalid_media")
        session = self._owned_session(user, fields["session_id"])
        if not _can_send(session):
            raise Conflict(f"the session is {session['status']}, not connected", code="session_not_connected")
        self._limit(f"send:{session['id']}", self.sends_per_minute, "messages sent through this session")
        # The customer's existing chat, as WhatsApp names it (a LID chat, by now, for most): a reply
        # goes there; a number never seen is opened by the runner through WhatsApp's lookup.
        chats = self.store.select(
            MESSAGES,
            where={
                "session_id": eq(session["id"]),
                "customer_phone": eq(fields["to"]),
                "chat_id": "not.is.null",
            },
            columns="chat_id,customer_lid",
            order="timestamp.desc",
            limit=1,
        )
        known = chats[0] if chats else None
        row_id = str(uuid.uuid4())
        file: Row = {}
        if media:  # checked and stored under the message's own key before the row is written
            file = self.media_api.store_for_send(
                user,
                session,
                row_id,
                media_id=fields.get("media_id"),
                media_url=fields.get("media_url"),
                wanted=fields.get("type"),
            )
        try:
            (message,) = self.store.insert(
                MESSAGES,
                {
                    "id": row_id,
                    "session_id": session["id"],
                    "chatbot_id": session["chatbot_id"],
                    "message_id": provisional_message_id(),
                    "from_number": session.get("phone_number") or "",
                    "to_number": fields["to"],
                    "direction": Direction.OUTBOUND.value,
                    "content": fields.get("text", fields.get("caption", "")),
                    "status": MessageStatus.QUEUED.value,
                    "chat_id": known["chat_id"] if known else None,
                    "customer_lid": known["customer_lid"] if known else None,
                    "customer_phone": fields["to"],
                    **file,
                },
            )
        except StoreError:
            if file:
                self._forget_file(file["media_key"])
            raise

        def undo() -> None:
            self.store.delete(MESSAGES, where={"id": eq(message["id"])})
            if file:
                self._forget_file(file["media_key"])

        # Without a live owner the row waits: the session's next owner sends what is still queued.
        queue_url = self._owner_queue_url(session)
        if queue_url:
            command = Command(
                CommandType.SEND, session["id"], epoch=session["epoch"], payload={"message_id": message["id"]}
            )
            self._send_or_undo(queue_url, command, undo=undo)
        return public_message(message)

    def _forget_file(self, key: str) -> None:
        try:
            self.media.delete(key)
        except WagateError:
            log.exception("could not delete the file of a message not written", extra={"key": key})

    def create_media_upload(self, user: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.media_api.create_upload(user, body)

    def message_media(self, user: Principal, message_id: str) -> dict[str, Any]:
        return self.media_api.link(user, message_id)

    def list_messages(self, user: Principal, session_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        limit = limit_parameter(query.get("limit"), default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
        before = query.get("before")
        session = self._owned_session(user, session_id)
        where = {"session_id": eq(session["id"])}
        if before is not None:
            timestamp, row_id = decode_cursor(before)
            where["or"] = or_(
                f"timestamp.lt.{quoted(timestamp)}", f"and(timestamp.eq.{quoted(timestamp)},id.lt.{row_id})"
            )
        rows = self.store.select(MESSAGES, where=where, order="timestamp.desc,id.desc", limit=limit + 1)
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1]) if len(rows) > limit else None
        return {"messages": [public_message(row) for row in page], "next_cursor": next_cursor}

    # ------------------------------------------------------------------ health
    def health(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, str] = {}
        for name, ping in (("database", self.store.ping), ("queue", self.queues.ping)):
            try:
                ping()
                checks[name] = "ok"
            except WagateError as exc:
                log.warning("health check failed", extra={"check": name, "error": exc.message})
                checks[name] = "unavailable"
        healthy = all(value == "ok" for value in checks.values())
        return healthy, {"status": "ok" if healthy else "unavailable", "checks": checks}

    # ------------------------------------------------------------------ helpers
    def _admit(self, user: Principal) -> None:
        """Refuse the call of a user who no longer exists, or who is over the call rate limit."""
        rows = self.store.rpc(
            "admit_api_call",
            {
                "p_user_id": user.user_id,
                "p_max_calls": self.api_calls_per_minute,
                "p_window_s": RATE_WINDOW_S,
            },
        )
        verdict = rows[0] if isinstance(rows, list) and rows else {}
        if not verdict.get("user_exists"):
            raise Unauthorized("the token's user does not exist")
        if verdict.get("retry_after_s"):
            raise RateLimited(
                f"at most {self.api_calls_per_minute} API calls per minute: retry later",
                retry_after_s=int(verdict["retry_after_s"]),
            )

    def _limit(self, key: str, max_hits: int, what: str) -> None:
        """Count one hit of a rate-limited `key`; RateLimited when over `max_hits` a minute."""
        retry_after = self.store.rpc(
            "hit_rate_limit", {"p_key": key, "p_max_hits": max_hits, "p_window_s": RATE_WINDOW_S}
        )
        if retry_after:
            raise RateLimited(
                f"at most {max_hits} {what} per minute: retry later", retry_after_s=int(retry_after)
            )

    def _owned_session(self, user: Principal, session_id: str, *, admit: bool = True) -> Row:
        """The caller's session (the call admitted first); another user's and a missing one look the same."""
        row = None
        if is_uuid(session_id):
            if admit:
                self._admit(user)
            row = self.store.select_one(
                SESSIONS, where={"id": eq(session_id.lower()), "user_id": eq(user.user_id)}
            )
        if row is None:
            raise NotFound("no such session", code="session_not_found")
        return row

    def _owner_queue_url(self, session: Row) -> str | None:
        """The queue of the runner holding the session's live lease, if any."""
        runner_id = session.get("runner_id")
        lease = parse_timestamp(session.get("lease_expires_at"))
        if not runner_id or lease is None or lease <= self.clock():
            return None
        runner = self.store.select_one(RUNNERS, where={"runner_id": eq(runner_id)}, columns="queue_url")
        return runner["queue_url"] if runner else None

    def _start_again(self, row: Row) -> Row | None:
        """Reset an unowned session to `pending` and send it to the start queue (None: it was claimed)."""
        values = {
            "status": SessionStatus.PENDING.value,
            "last_error": None,
            "last_error_code": None,
            **_STOPPED,
        }
        changed = self._update_if_unclaimed(row, values)
        if changed is not None:
            previous = {key: row.get(key) for key in values}
            self._send_or_undo(
                None,
                Command(CommandType.START, changed["id"], epoch=changed["epoch"]),
                undo=lambda: self._update_if_unclaimed(changed, previous),
            )
        return changed

    def _update_if_unclaimed(self, row: Row, values: Row) -> Row | None:
        """Apply `values` unless a runner claimed the session since `row` was read (epoch fence)."""
        changed = self.store.update(SESSIONS, values, where={"id": eq(row["id"]), "epoch": eq(row["epoch"])})
        return changed[0] if changed else None

    def _send_or_undo(self, queue_url: str | None, command: Command, *, undo: Callable[[], Any]) -> None:
        """Send `command` (to the start queue when `queue_url` is None); on failure undo the write."""
        try:
            if queue_url is None:
                self.queues.send_start(command)
            else:
                self.queues.send(queue_url, command)
        except QueueError:
            try:
                undo()
            except StoreError:
                log.exception(
                    "could not undo a write after a failed send", extra={"session_id": command.session_id}
                )
            raise

    @classmethod
    def from_settings(cls, settings: Any) -> GatewayService:
        return cls(
            store=Store.from_settings(settings),
            queues=CommandQueues.from_settings(settings),
            objects=ObjectStore.from_settings(settings),
            media=MediaStore.from_settings(settings),
            media_limits=MediaLimits.from_env(settings.extra),
            max_sessions_per_user=settings.max_sessions_per_user,
            api_calls_per_minute=settings.api_calls_per_minute,
            sends_per_minute=settings.sends_per_minute,
            allow_private_endpoints=settings.allow_private_endpoints,
            secret_rotation_overlap_s=settings.secret_rotation_overlap_s,
            max_webhooks_per_user=settings.max_webhooks_per_user,
            heartbeat_window_s=settings.heartbeat_window_s,
            stuck_after_s=settings.stuck_after_s,
        )


def _can_send(session: Mapping[str, Any]) -> bool:
    """Connected, or a linked session coming back on another runner (restoring its checkpoint):
    the message waits `queued` and the new owner sends it once connected."""
    if session["status"] == SessionStatus.CONNECTED:
        return True
    restoring = session["status"] in (SessionStatus.STARTING, SessionStatus.AUTHENTICATING)
    return restoring and bool(session.get("phone_number")) and bool(session.get("connected_at"))
