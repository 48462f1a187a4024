"""Least privilege in the schema (issue: `authenticated` kept REFERENCES and TRIGGER, a function had
a mutable search_path, tenants read runner internals through PostgREST that the API hides, a
tenant's message read scanned every tenant's rows, anonymous sign-ins counted as users)."""

from __future__ import annotations

import json
import uuid

import httpx
import psycopg

from tests.security.conftest import as_user

WAGATE_TABLES = (
    "whatsapp_web_sessions",
    "whatsapp_web_messages",
    "whatsapp_web_runners",
    "wagate_rate_limits",
    "wagate_chatbots",
    "wagate_chatbot_secrets",
    "wagate_erasures",
    "wagate_analytics_slots",
    "wagate_analytics_customer_slots",
    "wagate_analytics_customers",
)
# What the API shows of a session and a message (wagate/presenters.py), plus the owner's own id.
TENANT_COLUMNS = {
    "whatsapp_web_sessions": {
        "id", "user_id", "session_id", "chatbot_id", "status", "phone_number", "push_name", "qr_code",
        "qr_expires_at", "pairing_code", "connected_at", "last_error", "last_error_code", "created_at",
        "updated_at",
    },
    "whatsapp_web_messages": {
        "id", "user_id", "session_id", "chatbot_id", "message_id", "direction", "from_number", "to_number",
        "content", "status", "ack", "timestamp", "reply_to", "error", "error_code", "chat_id", "customer_lid",
        "customer_phone", "edited_at", "revoked_at",
    },
    "wagate_chatbots": {"chatbot_id", "user_id", "created_at"},
}  # fmt: skip


def test_tenants_and_anon_hold_no_privilege_beyond_reading_their_columns(stack) -> None:
    granted = stack.sql(
        "select r.role, t.name, p.privilege from (values ('anon'), ('authenticated')) r(role),"
        " unnest(%s::text[]) t(name),"
        " unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p(privilege)"
        " where has_table_privilege(r.role, 'public.' || t.name, p.privilege)",
        (list(WAGATE_TABLES),),
    )
    assert granted == []
    readable = stack.sql(
        "select c.table_name, c.column_name from information_schema.columns c"
        " where c.table_schema = 'public' and c.table_name = any(%s)"
        " and has_column_privilege('authenticated', 'public.' || c.table_name, c.column_name, 'SELECT')",
        (list(WAGATE_TABLES),),
    )
    by_table: dict[str, set[str]] = {}
    for table, column in readable:
        by_table.setdefault(table, set()).add(column)
    assert by_table == TENANT_COLUMNS
    for table, column in readable:  # and only to read: never to write a column
        assert not stack.sql(
            "select has_column_privilege('authenticated', %s, %s, 'UPDATE')"
            " or has_column_privilege('authenticated', %s, %s, 'INSERT')",
            (f"public.{table}", column, f"public.{table}", column),
        )[0][0]


def test_internal_columns_are_not_readable_through_postgrest(stack, rest, linked) -> None:
    headers = as_user(stack, linked.token)
    for column in ("runner_id", "epoch", "lease_expires_at", "bot_endpoint", "pairing_phone"):
        response = rest.get("/whatsapp_web_sessions", params={"select": f"id,{column}"}, headers=headers)
        assert response.status_code in (401, 403), (column, response.text)
        assert response.json()["code"] == "42501"
    own = rest.get("/whatsapp_web_sessions", params={"select": "id,status,last_error_code"}, headers=headers)
    assert own.status_code == 200 and [row["id"] for row in own.json()] == [linked.session["id"]]
    everything = rest.get("/whatsapp_web_sessions", params={"select": "*"}, headers=headers)
    assert everything.status_code in (401, 403)  # name the columns: `*` would include internal ones


def test_every_wagate_function_has_a_fixed_search_path(stack) -> None:
    loose = stack.sql(
        "select p.proname from pg_proc p"
        " where p.pronamespace = 'public'::regnamespace"
        " and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%%')"
    )
    assert loose == []
    assert stack.sql("select count(*) from pg_proc where pronamespace = 'public'::regnamespace")[0][0] >= 20


def test_a_tenants_message_reads_use_its_index_not_a_scan_of_every_tenant(stack) -> None:
    """20,000 messages of 40 other tenants and 50 of one: that tenant's reads through RLS (the
    newest, and one session's) are index scans on its own rows. Rolled back afterwards."""
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn, conn.transaction(force_rollback=True):
        users = [str(uuid.uuid4()) for _ in range(41)]
        conn.execute(
            "insert into auth.users (id, email) select u, u || '@plan.test' from unnest(%s::uuid[]) u",
            (users,),
        )
        conn.execute(
            "insert into public.whatsapp_web_sessions (id, user_id, chatbot_id, session_id)"
            " select u, u, gen_random_uuid(), 'plan-' || u from unnest(%s::uuid[]) u",
            (users,),
        )
        conn.execute(
            "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
            " to_number, direction, content, status, timestamp)"
            " select s.id, s.chatbot_id, 'm' || n, '1', '2', 'inbound', 'x', 'received',"
            "        now() - n * interval '1 s'"
            " from public.whatsapp_web_sessions s,"
            "      generate_series(1, case when s.user_id = %s then 50 else 500 end) n"
            " where s.user_id = any(%s::uuid[])",
            (users[0], users),
        )
        conn.execute("analyze public.whatsapp_web_messages")
        conn.execute("set local role authenticated")
        claims = json.dumps({"sub": users[0], "role": "authenticated"})
        conn.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
        for query in (
            "select id, content from public.whatsapp_web_messages order by timestamp desc, id desc limit 50",
            f"select id, content from public.whatsapp_web_messages where session_id = '{users[0]}'"
            " order by timestamp desc limit 50",
        ):
            plan = "\n".join(row[0] for row in conn.execute(f"explain {query}").fetchall())
            assert "Seq Scan on whatsapp_web_messages" not in plan, plan
            assert "whatsapp_web_messages_" in plan and "_idx" in plan, plan
        visible = conn.execute("select count(*) from public.whatsapp_web_messages").fetchone()[0]
        assert visible == 50


def test_anonymous_sign_ins_are_refused_unless_allowed(stack) -> None:
    user_id = str(uuid.uuid4())
    stack.sql("insert into auth.users (id, email) values (%s, null)", (user_id,))
    token = stack.mint_token(user_id, is_anonymous=True)
    refused = httpx.get(f"{stack.api_url}/api/sessions", headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "anonymous_not_allowed")
    api_url, api = stack.start_api(WAGATE_ALLOW_ANONYMOUS_USERS="1")
    try:
        allowed = httpx.get(f"{api_url}/api/sessions", headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code == 200, allowed.text
    finally:
        stack.apis.stop(api)
