"""Analytics for a business owner, against the real stack: every figure equals what this test
computes, in Python, from the rows it wrote (two users, two chatbots, messages across days and
hours, failures with their codes, unanswered ones, media, customers who wrote before the period);
another user's chatbot or session is 404; bad parameters are 400; the CSV exports hold the same
figures and rows, with formulas defused."""

from __future__ import annotations

import csv
import io
import math
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from wagate.analytics import COUNTS, export_cursor
from wagate.analytics_csv import history_csv

TZ = "America/Sao_Paulo"  # UTC-3: a local day is not a UTC day
START, END = "2026-03-02", "2026-03-05"  # local midnights


@dataclass
class Message:
    id: str
    session_id: str
    chatbot_id: str
    direction: str
    status: str
    timestamp: datetime
    from_number: str
    to_number: str
    customer_phone: str | None = None
    customer_lid: str | None = None
    type: str = "chat"
    error_code: str | None = None
    reply_to: str | None = None
    content: str = "hello"

    @property
    def customer(self) -> str:
        other = self.from_number if self.direction == "inbound" else self.to_number
        return self.customer_phone or self.customer_lid or other


@dataclass
class World:
    owner: Any
    chatbot: str
    sessions: list[str]
    messages: list[Message] = field(default_factory=list)


class Writer:
    def __init__(self, stack) -> None:
        self.stack = stack
        self.written: list[Message] = []

    def write(self, message: Message) -> Message:
        self.stack.sql(
            "insert into public.whatsapp_web_messages (id, session_id, chatbot_id, message_id, from_number,"
            " to_number, direction, content, status, timestamp, customer_phone, customer_lid, type,"
            " error_code, reply_to) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (message.id, message.session_id, message.chatbot_id, f"wa-{message.id}", message.from_number,
             message.to_number, message.direction, message.content, message.status, message.timestamp,
             message.customer_phone, message.customer_lid, message.type, message.error_code,
             message.reply_to),
        )  # fmt: skip
        self.written.append(message)
        return message


def fill(writer: Writer, chatbot: str, sessions: list[str], seed: int) -> None:
    """Customers writing over the period and before it, the chatbot answering (or not)."""
    rng = random.Random(seed)
    zone = ZoneInfo(TZ)
    period_start = datetime(2026, 3, 2, tzinfo=zone)
    customers = [
        {"phone": f"5511900000{n:03d}", "lid": f"{9000 + n}@lid" if n % 3 == 0 else None} for n in range(6)
    ]
    customers.append({"phone": None, "lid": "77001@lid"})  # a LID customer who hides their number
    customers.append({"phone": None, "lid": None, "number": "5511955550000"})  # neither: from_number
    bot_number = "5511988887777"

    def inbound(customer: dict, when: datetime, session: str, **fields: Any) -> Message:
        number = customer.get("number") or customer["phone"] or customer["lid"]
        return writer.write(
            Message(str(uuid.uuid4()), session, chatbot, "inbound", fields.pop("status", "received"), when,
                    number, bot_number, customer["phone"], customer["lid"], **fields)
        )  # fmt: skip

    def outbound(to: Message | dict, when: datetime, status: str, **fields: Any) -> Message:
        if isinstance(to, Message):
            phone, lid, number, session = to.customer_phone, to.customer_lid, to.from_number, to.session_id
            fields.setdefault("reply_to", to.id)
        else:
            phone, lid, number = to["phone"], to["lid"], to.get("number") or to["phone"] or to["lid"]
            session = sessions[0]
        return writer.write(
            Message(str(uuid.uuid4()), session, chatbot, "outbound", status, when, bot_number, number, phone,
                    lid, **fields)
        )  # fmt: skip

    # customers 0, 4 (and 3, below) wrote before the period: returning; the rest are new
    for customer in (customers[0], customers[4]):
        inbound(customer, period_start - timedelta(days=20, hours=rng.randint(0, 20)), sessions[0],
                status="replied")  # fmt: skip
    # the first instant of the period counts, the end does not
    inbound(customers[1], period_start.astimezone(UTC), sessions[0])
    inbound(customers[2], datetime(2026, 3, 5, tzinfo=zone), sessions[0], status="replied")
    inbound(customers[3], period_start - timedelta(microseconds=1), sessions[-1])
    kinds = ["chat", "chat", "chat", "image", "ptt", "document", "sticker", "location"]
    failures = ["bot_timeout", "bot_error", None]
    for n in range(60):
        customer = customers[n % len(customers)]
        when = period_start + timedelta(
            days=rng.randint(0, 2), hours=rng.randint(0, 23), minutes=rng.randint(0, 59),
            seconds=rng.randint(0, 59), microseconds=rng.randint(0, 999_999),
        )  # fmt: skip
        fate = rng.choice(["replied", "replied", "replied", "failed", "received", "replying"])
        message = inbound(
            customer, when, sessions[n % len(sessions)], status=fate, type=rng.choice(kinds),
            error_code=rng.choice(failures) if fate == "failed" else None,
        )  # fmt: skip
        if fate == "replied":
            delay = timedelta(milliseconds=rng.randint(300, 40_000))
            first = rng.choice(["sent", "sent", "failed", "queued"])
            outbound(message, when + delay, first, error_code="send_refused" if first == "failed" else None)
            if rng.random() < 0.5:  # a second reply, later: its time never counts
                outbound(message, when + delay * 2, "sent", type=rng.choice(["chat", "image"]))
    # a reply stored after the period to a message inside it: its time counts, the reply does not
    late = inbound(customers[5], datetime(2026, 3, 4, 23, 59, 50, tzinfo=zone), sessions[0], status="replied")
    outbound(late, late.timestamp + timedelta(seconds=20), "sent")
    # messages the business sent through the API (no reply_to)
    outbound(customers[1], period_start + timedelta(hours=30), "sent", content='=HYPERLINK("http://x")')
    outbound(customers[6], period_start + timedelta(hours=40), "failed", error_code="send_refused")
    outbound(customers[7], period_start + timedelta(hours=50), "queued", content='-1+2, "quoted"\nline')


# ---------------------------------------------------------------------- the expected figures
def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (as Postgres's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_report(
    messages: list[Message],
    chatbot: str,
    start: datetime,
    end: datetime,
    bucket: str,
    session: str | None = None,
) -> dict[str, Any]:
    zone = ZoneInfo(TZ)
    scope = [m for m in messages if m.chatbot_id == chatbot and (session is None or m.session_id == session)]
    inside = [m for m in scope if start <= m.timestamp < end]

    def bucket_of(when: datetime) -> datetime:
        local = when.astimezone(zone)
        if bucket == "day":
            return datetime(local.year, local.month, local.day, tzinfo=zone).astimezone(UTC)
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)

    before = {m.customer for m in scope if m.timestamp < start}
    first_bucket: dict[str, datetime] = {}
    for m in sorted(inside, key=lambda m: m.timestamp):
        first_bucket.setdefault(m.customer, bucket_of(m.timestamp))
    reply_ms: dict[str, float] = {}
    for m in inside:
        if m.direction != "inbound":
            continue
        sent = [r.timestamp for r in scope if r.reply_to == m.id and r.status == "sent"]
        if sent:
            reply_ms[m.id] = max(0.0, (min(sent) - m.timestamp).total_seconds() * 1000)

    def figures(rows: list[Message], key: datetime | None) -> dict[str, Any]:
        inbound = [m for m in rows if m.direction == "inbound"]
        outbound = [m for m in rows if m.direction == "outbound"]
        customers = {m.customer for m in rows}
        new = {c for c, b in first_bucket.items() if c not in before and (key is None or b == key)}
        times = [reply_ms[m.id] for m in inbound if m.id in reply_ms]
        media: dict[str, dict[str, int]] = {"inbound": {}, "outbound": {}}
        for m in rows:
            if m.type != "chat":
                media[m.direction][m.type] = media[m.direction].get(m.type, 0) + 1
        return {
            "conversations": len(customers),
            "new_customers": len(new),
            "returning_customers": len(customers) - len(new),
            "messages_in": len(inbound),
            "messages_out": len(outbound),
            "answered": sum(m.status == "replied" for m in inbound),
            "failed": sum(m.status == "failed" for m in inbound),
            "unanswered": sum(m.status in ("received", "replying") for m in inbound),
            "replies_sent": sum(m.status == "sent" for m in outbound),
            "replies_failed": sum(m.status == "failed" for m in outbound),
            "replies_queued": sum(m.status == "queued" for m in outbound),
            "reply_time_ms": {
                "count": len(times),
                "p50": percentile(times, 0.5),
                "p95": percentile(times, 0.95),
            },
            "failures": dict(Counter(m.error_code or "unknown" for m in rows if m.status == "failed")),
            "media": media,
        }

    by_bucket: dict[datetime, list[Message]] = defaultdict(list)
    for m in inside:
        by_bucket[bucket_of(m.timestamp)].append(m)
    starts, step = [], timedelta(days=1) if bucket == "day" else timedelta(hours=1)
    current = bucket_of(start)
    while current < end:
        starts.append(current)
        local = current.astimezone(zone) + step
        current = (local if bucket == "day" else current + step).astimezone(UTC)
    weekday_hour = [[0] * 24 for _ in range(7)]
    for m in inside:
        if m.direction == "inbound":
            local = m.timestamp.astimezone(zone)
            weekday_hour[local.weekday()][local.hour] += 1
    return {
        "totals": figures(inside, None),
        "buckets": [{"start": s, **figures(by_bucket.get(s, []), s)} for s in starts],
        "busiest_hours": {
            "by_hour": [sum(day[h] for day in weekday_hour) for h in range(24)],
            "by_weekday_hour": weekday_hour,
        },
    }


def assert_figures(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    got_times, want_times = got.pop("reply_time_ms"), want.pop("reply_time_ms")
    assert got == want, where
    assert got_times["count"] == want_times["count"], where
    for name in ("p50", "p95"):
        if want_times[name] is None:
            assert got_times[name] is None, where
        else:
            assert got_times[name] == pytest.approx(want_times[name], abs=0.06), (where, name)


def assert_report(report: dict[str, Any], want: dict[str, Any]) -> None:
    assert report["busiest_hours"] == want["busiest_hours"]
    assert [datetime.fromisoformat(b["start"]) for b in report["buckets"]] == [
        b["start"] for b in want["buckets"]
    ]
    for got, expected in zip(report["buckets"], want["buckets"], strict=True):
        start = got.pop("start")
        expected.pop("start")
        assert_figures(got, expected, start)
    assert_figures(report["totals"], want["totals"], "totals")


# ---------------------------------------------------------------------- fixtures
@pytest.fixture
def world(stack, api, user, other_user, create_session) -> dict[str, World]:
    """User A: chatbot X with two sessions, chatbot Y; user B: chatbot Z. All written in the period."""
    x1 = create_session(user)
    x2 = create_session(user, chatbot_id=x1["chatbot_id"])
    y = create_session(user)
    z = create_session(other_user)
    writer = Writer(stack)
    worlds = {
        "x": World(user, x1["chatbot_id"], [x1["id"], x2["id"]]),
        "y": World(user, y["chatbot_id"], [y["id"]]),
        "z": World(other_user, z["chatbot_id"], [z["id"]]),
    }
    for seed, item in enumerate(worlds.values()):
        fill(writer, item.chatbot, item.sessions, seed)
    for item in worlds.values():
        item.messages = writer.written
    return worlds


def analytics(api, user, **params: str):
    return api.get("/api/analytics", params={"tz": TZ, **params}, headers=user.headers)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TZ))


# ---------------------------------------------------------------------- figures
def test_daily_figures_equal_what_the_rows_say(api, world) -> None:
    x = world["x"]
    response = analytics(api, x.owner, chatbot_id=x.chatbot, **{"from": START, "to": END})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["chatbot_id"], report["session_id"], report["bucket"], report["tz"]) == (
        x.chatbot, None, "day", TZ,
    )  # fmt: skip
    assert datetime.fromisoformat(report["from"]) == local(START)
    assert datetime.fromisoformat(report["to"]) == local(END)
    want = expected_report(x.messages, x.chatbot, local(START), local(END), "day")
    assert len(want["buckets"]) == 3 and want["totals"]["new_customers"] > 0
    assert want["totals"]["returning_customers"] == 3 and want["totals"]["failures"]
    assert_report(report, want)


def test_hourly_figures_of_one_session(api, world) -> None:
    x = world["x"]
    start, end = "2026-03-03T00:00:00", "2026-03-04T06:00:00"
    params = {
        "chatbot_id": x.chatbot,
        "session_id": x.sessions[1],
        "bucket": "hour",
        "from": start,
        "to": end,
    }
    response = analytics(api, x.owner, **params)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["session_id"] == x.sessions[1] and len(report["buckets"]) == 30
    want = expected_report(x.messages, x.chatbot, local(start), local(end), "hour", session=x.sessions[1])
    assert want["totals"]["messages_in"] > 0
    assert_report(report, want)


def test_a_period_not_on_a_quarter_hour(api, world) -> None:
    """Whole quarter hours come from the rollups, the ragged ends from the messages themselves."""
    x = world["x"]
    start, end = "2026-03-02T10:07:31.250000", "2026-03-04T18:52:10"
    report = analytics(api, x.owner, chatbot_id=x.chatbot, bucket="hour", **{"from": start, "to": end}).json()
    assert_report(report, expected_report(x.messages, x.chatbot, local(start), local(end), "hour"))
    start, end = "2026-03-03T09:01:00", "2026-03-03T09:13:00"  # within one quarter hour
    report = analytics(api, x.owner, chatbot_id=x.chatbot, **{"from": start, "to": end}).json()
    assert_report(report, expected_report(x.messages, x.chatbot, local(start), local(end), "day"))


def test_another_chatbots_rows_are_never_counted(api, world) -> None:
    """Chatbot Y of the same owner and chatbot Z of another user: each sees only its own rows."""
    for name in ("y", "z"):
        item = world[name]
        report = analytics(api, item.owner, chatbot_id=item.chatbot, **{"from": START, "to": END}).json()
        want = expected_report(item.messages, item.chatbot, local(START), local(END), "day")
        assert_report(report, want)


def test_an_empty_period_lists_every_bucket_with_zeros(api, world) -> None:
    x = world["x"]
    report = analytics(
        api, x.owner, chatbot_id=x.chatbot, **{"from": "2025-06-01", "to": "2025-06-08"}
    ).json()
    assert len(report["buckets"]) == 7
    assert all(b["messages_in"] == 0 and b["reply_time_ms"]["p50"] is None for b in report["buckets"])
    assert report["totals"]["conversations"] == 0 and report["busiest_hours"]["by_hour"] == [0] * 24


# ---------------------------------------------------------------------- who may see what
def test_another_users_chatbot_or_session_is_not_found(api, world, make_user) -> None:
    x, y, z = world["x"], world["y"], world["z"]
    period = {"from": START, "to": END}
    cases = [
        (z.owner, {"chatbot_id": x.chatbot}, "chatbot_not_found"),
        (x.owner, {"chatbot_id": z.chatbot}, "chatbot_not_found"),
        (make_user(), {"chatbot_id": x.chatbot}, "chatbot_not_found"),
        (x.owner, {"chatbot_id": str(uuid.uuid4())}, "chatbot_not_found"),
        (x.owner, {"chatbot_id": x.chatbot, "session_id": z.sessions[0]}, "session_not_found"),
        (x.owner, {"chatbot_id": x.chatbot, "session_id": y.sessions[0]}, "session_not_found"),
    ]
    for caller, params, code in cases:
        for path in ("/api/analytics", "/api/analytics/messages.csv"):
            response = api.get(path, params={**params, **period}, headers=caller.headers)
            assert (response.status_code, response.json()["error"]["code"]) == (404, code), (path, params)
    assert api.get("/api/analytics", params={"chatbot_id": x.chatbot}).status_code == 401


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "missing_parameter"),
        ({"chatbot_id": "not-a-uuid"}, "invalid_parameter"),
        ({"session_id": "x"}, "invalid_parameter"),
        ({"bucket": "week"}, "invalid_parameter"),
        ({"tz": "Mars/Olympus_Mons"}, "invalid_parameter"),
        ({"tz": "../../etc/passwd"}, "invalid_parameter"),
        ({"from": "yesterday"}, "invalid_parameter"),
        ({"from": "2026-13-01"}, "invalid_parameter"),
        ({"from": "2026-03-05", "to": "2026-03-05"}, "invalid_period"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "invalid_period"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "period_too_long"),
        ({"bucket": "hour", "from": "2026-01-01", "to": "2026-03-01"}, "period_too_long"),
        ({"format": "xlsx"}, "invalid_parameter"),
        ({"after": "nonsense"}, "invalid_cursor"),
    ],
)
def test_bad_parameters_are_400_with_a_stable_code(api, user, create_session, params, code) -> None:
    chatbot = create_session(user)["chatbot_id"]
    query = {"chatbot_id": chatbot, **params} if params else {}
    path = "/api/analytics/messages.csv" if "after" in params else "/api/analytics"
    response = api.get(path, params=query, headers=user.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (400, code), response.text


def test_the_function_is_the_service_roles_alone(stack) -> None:
    signature = "public.wagate_analytics(uuid, uuid, uuid, timestamptz, timestamptz, text, text)"
    for role in ("anon", "authenticated"):
        assert stack.sql("select has_function_privilege(%s, %s, 'execute')", (role, signature)) == [(False,)]
    assert stack.sql("select has_function_privilege('service_role', %s, 'execute')", (signature,)) == [
        (True,)
    ]


# ---------------------------------------------------------------------- CSV
def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_figures_as_csv(api, world) -> None:
    x = world["x"]
    params = {"chatbot_id": x.chatbot, "from": START, "to": END}
    report = analytics(api, x.owner, **params).json()
    response = analytics(api, x.owner, format="csv", **params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    header, *rows = read_csv(response.text)
    assert [row[0] for row in rows] == [b["start"] for b in report["buckets"]] + ["total"]
    for row, figures in zip(rows, [*report["buckets"], report["totals"]], strict=True):
        cells = dict(zip(header, row, strict=True))
        for name in COUNTS:
            assert int(cells[name]) == figures[name], name
        for code in report["totals"]["failures"]:
            assert int(cells[f"failures:{code}"]) == figures["failures"].get(code, 0)
        for kind, count in figures["media"]["inbound"].items():
            assert int(cells[f"media_in:{kind}"]) == count
        p50 = figures["reply_time_ms"]["p50"]
        assert cells["reply_time_p50_ms"] == ("" if p50 is None else str(p50))


def test_the_message_history_as_csv_with_formulas_defused(api, world) -> None:
    x = world["x"]
    response = api.get(
        "/api/analytics/messages.csv",
        params={"chatbot_id": x.chatbot, "from": START, "to": END, "tz": TZ},
        headers=x.owner.headers,
    )
    assert response.status_code == 200, response.text
    assert "x-wagate-next-cursor" not in response.headers
    header, *rows = read_csv(response.text)
    assert header[:5] == ["id", "timestamp", "session_id", "direction", "customer"]
    want = sorted(
        (m for m in x.messages if m.chatbot_id == x.chatbot and local(START) <= m.timestamp < local(END)),
        key=lambda m: (m.timestamp, m.id),
    )
    assert [row[0] for row in rows] == [m.id for m in want]
    by_id = {m.id: m for m in want}
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        m = by_id[cells["id"]]
        assert datetime.fromisoformat(cells["timestamp"]) == m.timestamp
        described = [cells[name] for name in ("direction", "customer", "type", "status", "error_code")]
        assert described == [m.direction, m.customer, m.type, m.status, m.error_code or ""]
        if m.content.startswith(("=", "+", "-", "@")):
            assert cells["content"] == "'" + m.content
        else:
            assert cells["content"] == m.content
    contents = {row[header.index("content")] for row in rows}
    assert '\'=HYPERLINK("http://x")' in contents and '\'-1+2, "quoted"\nline' in contents


def test_a_capped_export_goes_on_after_its_cursor(api, world) -> None:
    """The export stops before Lambda's answer limit and names where to go on (checked here with a
    small cap on the same rows, and through the API's `after`)."""
    x = world["x"]
    params = {"chatbot_id": x.chatbot, "from": START, "to": END, "tz": TZ}
    full = api.get("/api/analytics/messages.csv", params=params, headers=x.owner.headers)
    header, *rows = read_csv(full.text)
    page = [{**dict(zip(header, row, strict=True)), "from_number": "", "to_number": ""} for row in rows]
    text, last = history_csv([page], max_bytes=len(full.text) // 3)
    written = read_csv(text)[1:]
    assert 0 < len(written) < len(rows) and last is not None and last["id"] == written[-1][0]
    rest = api.get(
        "/api/analytics/messages.csv",
        params={**params, "after": export_cursor(last)},
        headers=x.owner.headers,
    )
    assert rest.status_code == 200, rest.text
    assert [row[0] for row in written] + [row[0] for row in read_csv(rest.text)[1:]] == [
        row[0] for row in rows
    ]


def test_reply_times_follow_a_replys_status(stack, api, user, create_session) -> None:
    """A reply counts once it is sent (in whatever order its rows change), and no longer when
    WhatsApp refuses it afterwards (an ack of -1 fails it) or it is deleted."""
    session = create_session(user)
    chatbot, writer = session["chatbot_id"], Writer(stack)
    asked = local("2026-03-03T10:00:00")
    inbound = writer.write(
        Message(str(uuid.uuid4()), session["id"], chatbot, "inbound", "replied", asked, "5511911112222", "1")
    )
    replies = [
        writer.write(
            Message(
                str(uuid.uuid4()),
                session["id"],
                chatbot,
                "outbound",
                "queued",
                asked + timedelta(seconds=s),
                "1",
                "5511911112222",
                reply_to=inbound.id,
            )
        )
        for s in (3, 8)
    ]

    def totals() -> dict:
        return analytics(api, user, chatbot_id=chatbot, **{"from": START, "to": END}).json()["totals"]

    def reply_time() -> dict:
        return totals()["reply_time_ms"]

    def outbound_counts() -> tuple[int, int, int]:
        figures = totals()
        return figures["replies_sent"], figures["replies_failed"], figures["replies_queued"]

    def set_status(message: Message, status: str) -> None:
        stack.sql("update public.whatsapp_web_messages set status = %s where id = %s", (status, message.id))

    assert reply_time()["count"] == 0 and outbound_counts() == (0, 0, 2)
    set_status(replies[1], "sent")
    assert (reply_time()["count"], reply_time()["p50"]) == (1, 8000.0)
    set_status(replies[0], "sent")
    assert reply_time()["p50"] == 3000.0
    set_status(replies[0], "failed")
    assert reply_time()["p50"] == 8000.0 and outbound_counts() == (1, 1, 0)
    stack.sql("delete from public.whatsapp_web_messages where id = %s", (replies[1].id,))
    assert reply_time() == {"count": 0, "p50": None, "p95": None} and outbound_counts() == (0, 1, 0)
