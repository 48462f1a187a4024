"""python -m bench analytics [--rows N] [--repeats N]

A business owner's analytics at a million messages: one chatbot with `--rows` messages (1,000,000
with --full; inbound from 20,000 customers and the replies to 9 in 10 of them) over the last 90 days, plus a
tenth as many of other chatbots, generated in SQL (generate_series). Then `GET /api/analytics` for
the last 30 days by day and by hour, timed through the API (`chalice local`: token check, admission,
ownership, the PostgREST call) and the SQL function alone, and the SQL function again without the
migration's indexes (dropped inside a transaction that is rolled back)."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from bench.harness import log, new_result, print_table
from bench.stats import ms, summary, target
from devstack.testing import StackHandle

TARGET_P50_MS = 500
INDEXES = (
    "whatsapp_web_messages_analytics_idx",
    "whatsapp_web_messages_replied_idx",
    "whatsapp_web_messages_reply_to_idx",
)
CUSTOMERS = 20_000
DAYS = 90


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--rows", type=int, help="messages of the measured chatbot (default 100,000; --full 1M)"
    )
    group.add_argument("--repeats", type=int, default=7, help="timed calls per query (after one warm-up)")


def generate(conn: psycopg.Connection, user_id: str, chatbot: str, sessions: list[str], rows: int) -> None:
    """`rows` messages over DAYS days: inbound at an even pace with a jitter, 3 of 4 replied (a reply
    1-30 s later, most sent), failures with codes, some still unanswered, a media mix."""
    inbound = round(rows / 1.9)  # 9 in 10 replied, once each: `rows` in all
    conn.execute(
        "insert into public.whatsapp_web_messages (session_id, chatbot_id, user_id, message_id, from_number,"
        " to_number, direction, content, status, error_code, timestamp, customer_phone, type)"
        " select (%(sessions)s::uuid[])[1 + n %% 2], %(chatbot)s, %(user)s, 'in-' || n,"
        "        (5511000000000 + (hashint4(n) & 2147483647) %% %(customers)s)::text, '5511988887777',"
        "        'inbound', 'hello ' || n,"
        "        case when n %% 20 = 0 then 'failed' when n %% 20 = 1 then 'received' else 'replied' end,"
        "        case when n %% 20 = 0 then (array['bot_timeout', 'bot_error'])[1 + n %% 2] end,"
        "        now() - make_interval(days => %(days)s)"
        "          + make_interval(secs => n * %(days)s * 86400.0 / %(inbound)s"
        "                                  + (hashint4(-n) & 1023) / 100.0),"
        "        (5511000000000 + (hashint4(n) & 2147483647) %% %(customers)s)::text,"
        "        (array['chat', 'chat', 'chat', 'chat', 'chat', 'chat', 'image', 'ptt', 'document',"
        "               'sticker'])[1 + n %% 10]"
        " from generate_series(1, %(inbound)s) n",
        {"sessions": sessions, "chatbot": chatbot, "user": user_id, "customers": CUSTOMERS, "days": DAYS,
         "inbound": inbound},
    )  # fmt: skip
    conn.execute(
        "insert into public.whatsapp_web_messages (session_id, chatbot_id, user_id, message_id, from_number,"
        " to_number, direction, content, status, error_code, timestamp, customer_phone, reply_to)"
        " select i.session_id, i.chatbot_id, i.user_id, 'out-' || i.message_id, i.to_number, i.from_number,"
        "        'outbound', 'answer', case when random() < 0.98 then 'sent' else 'failed' end, null,"
        "        i.timestamp + make_interval(secs => 1 + random() * 29), i.customer_phone, i.id"
        " from public.whatsapp_web_messages i"
        " where i.chatbot_id = %(chatbot)s and i.direction = 'inbound' and i.status = 'replied'",
        {"chatbot": chatbot},
    )


def noise(conn: psycopg.Connection, user_id: str, sessions: list[str], rows: int) -> None:
    """Other chatbots' messages in the same table (what the indexes must skip)."""
    conn.execute(
        "insert into public.whatsapp_web_messages (session_id, chatbot_id, user_id, message_id, from_number,"
        " to_number, direction, content, status, timestamp, customer_phone)"
        " select (%(sessions)s::uuid[])[1 + n %% 2], s.chatbot_id, %(user)s, 'noise-' || n,"
        "        '4915' || n %% 5000,"
        "        '4917', 'inbound', 'x', 'replied', now() - make_interval(secs => n * 7), '4915' || n %% 5000"
        " from generate_series(1, %(rows)s) n, public.whatsapp_web_sessions s"
        " where s.id = (%(sessions)s::uuid[])[1]",
        {"sessions": sessions, "user": user_id, "rows": rows},
    )  # fmt: skip


def make_sessions(conn: psycopg.Connection, user_id: str, chatbot: str, count: int) -> list[str]:
    conn.execute(
        "insert into public.wagate_chatbots (chatbot_id, user_id) values (%s, %s) on conflict do nothing",
        (chatbot, user_id),
    )
    return [
        conn.execute(
            "insert into public.whatsapp_web_sessions (user_id, chatbot_id, session_id, status)"
            " values (%s, %s, %s, 'connected') returning id::text",
            (user_id, chatbot, f"wa_bench_{uuid.uuid4().hex[:16]}"),
        ).fetchone()[0]
        for _ in range(count)
    ]


def time_calls(call, repeats: int) -> list[float]:
    call()  # warm-up: caches, PostgREST's schema, the API's clients
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(ms(time.perf_counter() - started))
    return times


def run(args: argparse.Namespace) -> dict:
    rows = args.rows or (1_000_000 if args.full else 100_000)
    result = new_result(
        "analytics", {"rows": rows, "days": DAYS, "customers": CUSTOMERS, "repeats": args.repeats}
    )
    state_dir = Path(tempfile.mkdtemp(prefix="wagate-bench-"))
    stack = StackHandle(state_dir)
    failed = True
    try:
        log(f"starting the local stack in {state_dir}")
        stack.start()
        user_id, token = stack.create_user()
        chatbot = str(uuid.uuid4())
        with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
            sessions = make_sessions(conn, user_id, chatbot, 2)
            other = make_sessions(conn, user_id, str(uuid.uuid4()), 2)
            started = time.monotonic()
            generate(conn, user_id, chatbot, sessions, rows)
            noise(conn, user_id, other, rows // 10)
            conn.execute("vacuum analyze public.whatsapp_web_messages")
            generated_s = time.monotonic() - started
            total = conn.execute("select count(*) from public.whatsapp_web_messages").fetchone()[0]
            log(f"{total} messages generated in {generated_s:.0f} s")
        result["figures"]["generated"] = {"messages": total, "seconds": round(generated_s, 1)}

        queries = {
            "30 days by day": {"bucket": "day", "from": _days_ago(30)},
            "30 days by hour": {"bucket": "hour", "from": _days_ago(30)},
            "7 days by day, one session": {"bucket": "day", "from": _days_ago(7), "session_id": sessions[0]},
        }
        figures: dict[str, dict] = {}
        http = httpx.Client(base_url=stack.api_url, timeout=120, headers={"Authorization": f"Bearer {token}"})
        with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
            for name, query in queries.items():
                params = {"chatbot_id": chatbot, **query}

                def through_api(params=params) -> None:
                    response = http.get("/api/analytics", params=params)
                    response.raise_for_status()

                def sql(query=query) -> None:
                    conn.execute(
                        "select public.wagate_analytics(%s, %s, %s, %s, now(), %s, 'UTC')",
                        (user_id, chatbot, query.get("session_id"), query["from"], query["bucket"]),
                    ).fetchone()

                log(f"timing {name}")
                figures[name] = {"api_ms": summary(time_calls(through_api, args.repeats)),
                                 "sql_ms": summary(time_calls(sql, args.repeats))}  # fmt: skip
                report = http.get("/api/analytics", params=params).json()
                figures[name]["messages_counted"] = (
                    report["totals"]["messages_in"] + report["totals"]["messages_out"]
                )
            log("timing without the analytics indexes (dropped in a transaction, rolled back)")
            for name, query in queries.items():
                with conn.transaction(force_rollback=True):
                    for index in INDEXES:
                        conn.execute(f"drop index public.{index}")

                    def bare(query=query) -> None:
                        conn.execute(
                            "select public.wagate_analytics(%s, %s, %s, %s, now(), %s, 'UTC')",
                            (user_id, chatbot, query.get("session_id"), query["from"], query["bucket"]),
                        ).fetchone()

                    figures[name]["sql_without_indexes_ms"] = summary(
                        time_calls(bare, max(2, args.repeats // 3))
                    )
        http.close()
        result["figures"]["queries"] = figures
        print_table(
            f"GET /api/analytics at {total:,} messages ({rows:,} of the chatbot), ms",
            ["query", "counted", "API p50", "API max", "SQL p50", "SQL p50 without indexes"],
            [[name, f["messages_counted"], f["api_ms"]["median"], f["api_ms"]["max"], f["sql_ms"]["median"],
              f["sql_without_indexes_ms"]["median"]] for name, f in figures.items()],
        )  # fmt: skip
        for name, f in figures.items():
            result["targets"].append(
                target(f"{name}: API p50 (ms) at {rows:,} messages", f["api_ms"]["median"], TARGET_P50_MS)
            )
        result["notes"].append(
            "through the API: chalice local on the same machine (token check, admission, ownership, the RPC);"
            " 'SQL' is the function called directly with psycopg"
        )
        failed = False
        return result
    finally:
        stack.stop()
        if failed:
            log(f"state and logs kept in {state_dir}")
        else:
            shutil.rmtree(state_dir, ignore_errors=True)


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()
