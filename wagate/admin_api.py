"""The operator's use cases (GET /api/admin/fleet, restart and release of a stuck session).

Only an operator reaches them: a verified token whose `app_metadata.role` is "admin" (see
`wagate.auth`). Everyone else, a user without the claim, a bad or missing token, gets the answer
of a route that does not exist (404 `not_found`), so the admin surface is not even confirmed.

What an operator sees of a session: its id, owner and chatbot ids, status and since when, the
runner holding it and its lease, and its last error *code*. Never a phone number, a QR or pairing
code, a message, or an error's free text (which may quote a tenant's endpoint): enough to find,
restart or release a session and to tell its owner which one, nothing of their customers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from wagate.auth import Principal
from wagate.commands import Command, CommandType
from wagate.errors import Conflict, NotFound, QueueError
from wagate.presenters import parse_timestamp
from wagate.queues import CommandQueues
from wagate.status import TERMINAL_STATUSES, SessionStatus
from wagate.store import RUNNERS, SESSIONS, Row, Store, eq
from wagate.validation import is_uuid

log = logging.getLogger("wagate.admin_api")

DEFAULT_HEARTBEAT_WINDOW_S = 20  # four missed heartbeats (HEARTBEAT_INTERVAL_S 5 s) and a runner is gone
DEFAULT_STUCK_AFTER_S = 300
FAILURE_WINDOW_H = 24
MAX_STUCK_LISTED = 200
MAX_RUNNERS_LISTED = 500
RELEASED_LIVE = frozenset(
    {SessionStatus.STARTING, SessionStatus.QR_READY, SessionStatus.AUTHENTICATING, SessionStatus.CONNECTED}
)
ADMIN_SESSION_FIELDS = (
    "id",
    "user_id",
    "chatbot_id",
    "status",
    "runner_id",
    "lease_expires_at",
    "last_error_code",
)


def not_an_admin_route() -> NotFound:
    """What anyone but an operator gets: the 404 of a route that does not exist."""
    return NotFound("no such route", code="not_found")


# ------------------------------------------------------------------ pure shaping
def runner_view(row: Mapping[str, Any], now: datetime, heartbeat_window_s: float) -> dict[str, Any]:
    heartbeat = parse_timestamp(row.get("heartbeat_at"))
    age = (now - heartbeat).total_seconds() if heartbeat else None
    return {
        "runner_id": row["runner_id"],
        "capacity": row.get("capacity"),
        "active_sessions": row.get("active_sessions"),
        "started_at": row.get("started_at"),
        "heartbeat_at": row.get("heartbeat_at"),
        "heartbeat_age_s": round(age, 1) if age is not None else None,
        "alive": age is not None and age <= heartbeat_window_s,
        "browser_restarts": row.get("browser_restarts", 0),
    }


def admin_session(row: Mapping[str, Any]) -> dict[str, Any]:
    session = {name: row.get(name) for name in ADMIN_SESSION_FIELDS}
    session["status_since"] = row.get("status_since") or row.get("status_changed_at")
    if "reason" in row:
        session["reason"] = row["reason"]
    return session


def failures_by_hour(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`admin_failures` rows, one entry per hour: `{"hour", "sessions": {code: n}, "messages": {...}}`."""
    hours: dict[str, dict[str, Any]] = {}
    for row in rows:
        hour = parse_timestamp(row["hour"])
        key = hour.isoformat() if hour else str(row["hour"])
        entry = hours.setdefault(key, {"hour": key, "sessions": {}, "messages": {}})
        bucket = entry["sessions" if row["source"] == "session" else "messages"]
        bucket[row["code"]] = bucket.get(row["code"], 0) + int(row["failures"])
    return [hours[key] for key in sorted(hours)]


# ------------------------------------------------------------------ use cases
class AdminApi:
    def __init__(
        self,
        *,
        store: Store,
        queues: CommandQueues,
        admit: Callable[[Principal], None],
        restart: Callable[..., Row],
        clock: Callable[[], datetime],
        heartbeat_window_s: float = DEFAULT_HEARTBEAT_WINDOW_S,
        stuck_after_s: int = DEFAULT_STUCK_AFTER_S,
    ) -> None:
        self.store = store
        self.queues = queues
        self._admit_call = admit
        self._restart = restart
        self.clock = clock
        self.heartbeat_window_s = heartbeat_window_s
        self.stuck_after_s = stuck_after_s

    def admit(self, user: Principal | None) -> Principal:
        """The operator behind the call, or the 404 of a route that does not exist."""
        if user is None or not user.is_admin:
            raise not_an_admin_route()
        self._admit_call(user)  # the user still exists, within the call rate
        return user

    def fleet(self, user: Principal | None) -> dict[str, Any]:
        self.admit(user)
        now = self.clock()
        runners = []
        for row in self.store.select(RUNNERS, order="started_at.asc", limit=MAX_RUNNERS_LISTED):
            runner = runner_view(row, now, self.heartbeat_window_s)
            runner["queue"] = self._depth(row.get("queue_url"))
            runners.append(runner)
        counts = {row["status"]: int(row["sessions"]) for row in self.store.rpc("admin_session_counts") or []}
        stuck = self.store.rpc(
            "admin_stuck_sessions", {"p_stuck_after_s": self.stuck_after_s, "p_limit": MAX_STUCK_LISTED}
        )
        since = (now - timedelta(hours=FAILURE_WINDOW_H)).replace(minute=0, second=0, microsecond=0)
        failures = self.store.rpc("admin_failures", {"p_since": since.isoformat()}) or []
        return {
            "generated_at": now.isoformat(),
            "heartbeat_window_s": self.heartbeat_window_s,
            "stuck_after_s": self.stuck_after_s,
            "runners": runners,
            "queues": {"start": self._depth(self.queues.start_queue_url)},
            "sessions": {"by_status": counts, "total": sum(counts.values())},
            "stuck_sessions": [admin_session(row) for row in stuck or []],
            "failures": {"since": since.isoformat(), "by_hour": failures_by_hour(failures)},
        }

    def restart(self, user: Principal | None, session_id: str) -> dict[str, Any]:
        """The owner's restart, by an operator: not for a session only its owner's phone can bring
        back (`logged_out`, `qr_expired`: a new QR nobody would scan)."""
        operator = self.admit(user)
        row = self._session(session_id)
        if row["status"] in (SessionStatus.LOGGED_OUT, SessionStatus.QR_EXPIRED):
            raise Conflict(
                f"the session is {row['status']}: only its owner can link it again (a new QR)",
                code="owner_action_required",
            )
        restarted = self._restart(row, reread=lambda: self._session(row["id"]))
        log.info("operator restarted a session", extra={"session_id": row["id"], "by": operator.user_id})
        return {"session": admin_session(restarted), "action": "restart"}

    def release(self, user: Principal | None, session_id: str) -> dict[str, Any]:
        """End the holder's lease so another runner takes the session. Again on a session already
        released and waiting to be taken: the same answer (and one more nudge to the start queue)."""
        operator = self.admit(user)
        row = self._session(session_id)
        if row["status"] in TERMINAL_STATUSES:
            raise Conflict(
                f"the session is {row['status']}: no runner holds it (restart it instead)",
                code="session_not_running",
            )
        released = self.store.rpc("admin_release_session", {"p_session_id": row["id"]})
        if released:
            row = released[0]
        elif not (row.get("runner_id") is None and row["status"] in RELEASED_LIVE):
            raise Conflict(
                f"no runner holds the session ({row['status']}): restart it to start it again",
                code="session_not_held",
            )
        try:
            self.queues.send_start(Command(CommandType.START, row["id"], payload={"released_by": "operator"}))
        except QueueError:
            # released all the same: the orphan scan of any runner takes a live session
            log.warning("release: the start queue did not take the nudge", extra={"session_id": row["id"]})
        log.info("operator released a session", extra={"session_id": row["id"], "by": operator.user_id})
        return {"session": admin_session(row), "action": "release"}

    def _session(self, session_id: str) -> Row:
        row = None
        if is_uuid(session_id):
            row = self.store.select_one(SESSIONS, where={"id": eq(session_id.lower())})
        if row is None:
            raise NotFound("no such session", code="session_not_found")
        return row

    def _depth(self, queue_url: str | None) -> dict[str, int | None] | None:
        if not queue_url:
            return None
        try:
            depth = self.queues.depth(queue_url)
        except QueueError as exc:
            log.warning("queue depth unavailable", extra={"error": exc.message[:200]})
            return None
        return depth.to_dict() if depth else None
