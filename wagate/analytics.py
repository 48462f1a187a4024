"""Analytics for a business owner: one chatbot's (or one session's) figures over a period.

The figures come from one SQL function (`wagate_analytics`, migration 20261210000000), which says
what each one means; this module reads the query string, checks who may see what (the same rules
as the rest of the API: another user's chatbot or session is 404), and shapes the answer. The
parsing and shaping are plain functions, called directly by the tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wagate.auth import Principal
from wagate.errors import InvalidInput, NotFound, StoreError
from wagate.presenters import decode_cursor, encode_cursor
from wagate.store import MESSAGES, Row, Store, eq, or_, quoted
from wagate.validation import is_uuid

log = logging.getLogger("wagate.analytics")

BUCKETS = ("day", "hour")
MAX_PERIOD = {"day": timedelta(days=366), "hour": timedelta(days=31)}
# Without `from`: the last 30 days (today included) by day, the last 24 hours by hour.
DEFAULT_BUCKETS = {"day": 30, "hour": 24}
MAX_TZ_LENGTH = 64
COUNTS = (
    "conversations",
    "new_customers",
    "returning_customers",
    "messages_in",
    "messages_out",
    "answered",
    "failed",
    "unanswered",
    "replies_sent",
    "replies_failed",
    "replies_queued",
)
# How a history export is read from PostgREST, a page at a time.
EXPORT_PAGE = 1000
EXPORT_COLUMNS = (
    "id,timestamp,session_id,direction,from_number,to_number,customer_phone,customer_lid,chat_id,"
    "type,status,error_code,reply_to,content,media_filename"
)
INVALID_TZ = "22023"  # Postgres: time zone not recognized


@dataclass(frozen=True)
class Period:
    """What to count: [start, end), bucketed by `bucket` in the time zone `tz`."""

    chatbot_id: str
    session_id: str | None
    start: datetime
    end: datetime
    bucket: str
    tz: str


def parse_period(query: Mapping[str, str], now: datetime, *, buckets: bool = True) -> Period:
    """The period a query string asks for (400 `invalid_parameter`, `missing_parameter`,
    `invalid_period`, `period_too_long`). `from` and `to` are ISO 8601 dates (midnight in `tz`) or
    times (in `tz` when they name no offset)."""
    chatbot_id = query.get("chatbot_id")
    if chatbot_id is None:
        raise InvalidInput("missing parameter 'chatbot_id'", code="missing_parameter")
    if not is_uuid(chatbot_id):
        raise InvalidInput("'chatbot_id' must be a UUID", code="invalid_parameter")
    session_id = query.get("session_id")
    if session_id is not None and not is_uuid(session_id):
        raise InvalidInput("'session_id' must be a UUID", code="invalid_parameter")
    bucket = query.get("bucket", "day") if buckets else "day"
    if bucket not in BUCKETS:
        raise InvalidInput("'bucket' must be day or hour", code="invalid_parameter")
    tz_name = query.get("tz", "UTC")
    zone = _zone(tz_name)
    end = _instant(query["to"], zone, "to") if "to" in query else now
    if "from" in query:
        start = _instant(query["from"], zone, "from")
    elif bucket == "day":
        local_today = (end - timedelta(microseconds=1)).astimezone(zone).date()
        start = _midnight(local_today - timedelta(days=DEFAULT_BUCKETS["day"] - 1), zone)
    else:
        hour = (end - timedelta(microseconds=1)).astimezone(zone).replace(minute=0, second=0, microsecond=0)
        start = hour - timedelta(hours=DEFAULT_BUCKETS["hour"] - 1)
    if start >= end:
        raise InvalidInput("'from' must be before 'to'", code="invalid_period")
    if end - start > MAX_PERIOD[bucket]:
        days = MAX_PERIOD[bucket].days
        raise InvalidInput(f"at most {days} days by {bucket}", code="period_too_long")
    return Period(chatbot_id.lower(), session_id.lower() if session_id else None, start, end, bucket, tz_name)


def _zone(name: str) -> ZoneInfo:
    invalid = InvalidInput("'tz' must be an IANA time zone, e.g. Europe/Berlin", code="invalid_parameter")
    if not name or len(name) > MAX_TZ_LENGTH or not name.isascii():
        raise invalid
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise invalid from exc


def _instant(text: str, zone: ZoneInfo, name: str) -> datetime:
    invalid = InvalidInput(f"{name!r} must be an ISO 8601 date or time", code="invalid_parameter")
    if not text.isascii() or len(text) > 40:
        raise invalid
    try:
        if len(text) == 10:
            return _midnight(date.fromisoformat(text), zone)
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid from exc
    if not 1970 <= parsed.year <= 9998:
        raise invalid
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


# ---------------------------------------------------------------- the answer's shape
def empty_figures() -> dict[str, Any]:
    return {
        **dict.fromkeys(COUNTS, 0),
        "reply_time_ms": {"count": 0, "p50": None, "p95": None},
        "failures": {},
        "media": {"inbound": {}, "outbound": {}},
    }


def _figures(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    figures = empty_figures()
    for name, value in (raw or {}).items():
        if name == "media":
            figures["media"].update(value)
        elif name in figures:
            figures[name] = value
    figures["returning_customers"] = figures["conversations"] - figures["new_customers"]
    return figures


def shape_report(raw: Mapping[str, Any], period: Period) -> dict[str, Any]:
    """The API's answer from the SQL function's JSON: every bucket with every figure (zeros where
    nothing happened), and the inbound messages by weekday (Monday first) and hour in `tz`."""
    by_weekday_hour = [[0] * 24 for _ in range(7)]
    for isodow, hour, count in raw.get("hours") or []:
        by_weekday_hour[isodow - 1][hour] += count
    return {
        "chatbot_id": period.chatbot_id,
        "session_id": period.session_id,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "bucket": period.bucket,
        "tz": period.tz,
        "totals": _figures(raw.get("totals")),
        "buckets": [{"start": row["start"], **_figures(row)} for row in raw.get("buckets") or []],
        "busiest_hours": {
            "by_hour": [sum(day[hour] for day in by_weekday_hour) for hour in range(24)],
            "by_weekday_hour": by_weekday_hour,
        },
    }


# ---------------------------------------------------------------- the use cases
class AnalyticsApi:
    def __init__(
        self,
        *,
        store: Store,
        admit: Callable[[Principal], None],
        owned_session: Callable[..., Row],
        owns_chatbot: Callable[[Principal, str], bool],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self._admit = admit
        self._owned_session = owned_session
        self._owns_chatbot = owns_chatbot
        self.clock = clock

    def report(self, user: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        period = self._authorized_period(user, query)
        try:
            raw = self.store.rpc(
                "wagate_analytics",
                {
                    "p_user_id": user.user_id,
                    "p_chatbot_id": period.chatbot_id,
                    "p_session_id": period.session_id,
                    "p_from": period.start.isoformat(),
                    "p_to": period.end.isoformat(),
                    "p_bucket": period.bucket,
                    "p_tz": period.tz,
                },
            )
        except StoreError as exc:
            if exc.pg_code == INVALID_TZ:  # a zone Python knows and this database does not
                raise InvalidInput(
                    "'tz' is not a time zone the database knows", code="invalid_parameter"
                ) from exc
            raise
        return shape_report(raw or {}, period)

    def history(self, user: Principal, query: Mapping[str, str]) -> tuple[Period, Iterator[list[Row]]]:
        """The period's messages, oldest first, as pages of rows (read lazily), from just after the
        `after` cursor when given (the `X-Wagate-Next-Cursor` of a capped export)."""
        period = self._authorized_period(user, query, buckets=False)
        after = None
        if "after" in query:
            try:
                after = decode_cursor(query["after"])
            except InvalidInput as exc:
                raise InvalidInput(
                    "'after' is not a cursor this API returned", code="invalid_cursor"
                ) from exc
        return period, self._pages(user, period, after)

    def _pages(self, user: Principal, period: Period, after: tuple[str, str] | None) -> Iterator[list[Row]]:
        where = {
            "chatbot_id": eq(period.chatbot_id),
            "user_id": eq(user.user_id),
            "and": f"(timestamp.gte.{quoted(period.start.isoformat())},"
            f"timestamp.lt.{quoted(period.end.isoformat())})",
        }
        if period.session_id:
            where["session_id"] = eq(period.session_id)
        while True:
            if after is not None:
                timestamp, row_id = after
                where["or"] = or_(
                    f"timestamp.gt.{quoted(timestamp)}",
                    f"and(timestamp.eq.{quoted(timestamp)},id.gt.{row_id})",
                )
            rows = self.store.select(
                MESSAGES, where=where, columns=EXPORT_COLUMNS, order="timestamp.asc,id.asc", limit=EXPORT_PAGE
            )
            if rows:
                yield rows
            if len(rows) < EXPORT_PAGE:
                return
            after = (rows[-1]["timestamp"], rows[-1]["id"])

    def _authorized_period(
        self, user: Principal, query: Mapping[str, str], *, buckets: bool = True
    ) -> Period:
        period = parse_period(query, self.clock(), buckets=buckets)
        self._admit(user)
        if not self._owns_chatbot(user, period.chatbot_id):
            raise NotFound("no such chatbot", code="chatbot_not_found")
        if period.session_id is not None:
            session = self._owned_session(user, period.session_id, admit=False)
            if session["chatbot_id"] != period.chatbot_id:
                raise NotFound("no such session", code="session_not_found")
        return period


def export_cursor(row: Row) -> str:
    """The `after` cursor that resumes a capped export just after `row`, the last one written."""
    return encode_cursor(row)
