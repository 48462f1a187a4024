"""User A against user B's sessions and messages: through the API with B's live WhatsApp session, and
directly through PostgREST with A's own token, as a browser with the anon key can.

Already covered, not repeated: through the API, every route on another user's (pending) session is
the 404 of a session that never existed, lists and cursors show only one's own
(tests/api/test_sessions.py, test_messages.py); through PostgREST, reads are filtered by owner,
session writes and message inserts are refused, and claim_session, register_runner and
create_session are denied (tests/api/test_rls.py).
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e import ApiUser, fresh_number, wait_for
from tests.security.conftest import as_user


@pytest.fixture(scope="module")
def b_with_history(linked, simulator):
    """B is the suite's linked user; one customer conversation (inbound + reply) in their history."""
    customer = fresh_number("4916")
    simulator.send(customer, linked.phone, "isolation: hello")
    wait_for(
        lambda: any(
            (m["content"], m["status"]) == ("You said: isolation: hello", "sent")
            for m in linked.user.messages(linked.session["id"])
        ),
        what="B's reply to be sent",
    )
    messages = linked.user.messages(linked.session["id"])
    return linked, messages


def _messages_snapshot(stack, session_id: str) -> list[tuple]:
    """What a write could change (not `ack`/`updated_at`, which the customer's phone moves)."""
    return stack.sql(
        "select id, session_id, message_id, direction, status, content, error"
        " from public.whatsapp_web_messages where session_id = %s order by id",
        (session_id,),
    )


def _session_snapshot(stack, session_id: str) -> list[tuple]:
    """What a write could change (not the lease, which the runner renews all the time)."""
    return stack.sql(
        "select user_id, chatbot_id, status, runner_id, epoch, phone_number from public.whatsapp_web_sessions"
        " where id = %s",
        (session_id,),
    )


def test_a_cannot_use_bs_live_session_through_the_api(
    stack, user: ApiUser, simulator, b_with_history
) -> None:
    b, _ = b_with_history
    sid = b.session["id"]
    before = _messages_snapshot(stack, sid)
    customer = fresh_number("4917")
    unknown = user.http.get(f"/api/sessions/{uuid.uuid4()}")
    attempts = [
        user.http.post("/api/messages/send", json={"session_id": sid, "to": customer, "text": "spam"}),
        user.http.get(f"/api/sessions/{sid}/messages"),
        user.http.get(f"/api/sessions/{sid}"),
        user.http.post("/api/sessions/disconnect", json={"session_id": sid}),
    ]
    for response in attempts:
        assert response.status_code == 404, response.request.url
        assert response.json() == unknown.json(), "B's session must look exactly like no session"
    assert sid not in {s["id"] for s in user.http.get("/api/sessions").json()["sessions"]}
    assert _messages_snapshot(stack, sid) == before
    assert b.user.session(sid)["status"] == "connected"
    assert simulator.received(customer) == []


def test_postgrest_shows_a_nothing_of_b_however_asked(stack, rest, user: ApiUser, b_with_history) -> None:
    b, messages = b_with_history
    sid = b.session["id"]
    a_token = user.http.headers["Authorization"].removeprefix("Bearer ")
    headers = as_user(stack, a_token)
    # (tenants name the columns they read: `select=*` is refused, the tables have columns they may
    # not read: tests/security/test_schema_privileges.py)
    session_columns, message_columns = "id,status,phone_number", "id,session_id,content"
    queries = [
        ("/whatsapp_web_sessions", {"id": f"eq.{sid}", "select": session_columns}),
        ("/whatsapp_web_sessions", {"user_id": f"eq.{b.user.user_id}", "select": session_columns}),
        ("/whatsapp_web_sessions", {"select": "id,whatsapp_web_messages(content)"}),
        ("/whatsapp_web_messages", {"session_id": f"eq.{sid}", "select": message_columns}),
        ("/whatsapp_web_messages", {"id": f"eq.{messages[0]['id']}", "select": message_columns}),
        ("/whatsapp_web_messages", {"content": "like.*isolation*", "select": message_columns}),
        ("/whatsapp_web_messages", {"select": "content,whatsapp_web_sessions(user_id,phone_number)"}),
        (
            "/whatsapp_web_messages",
            {"or": f"(session_id.eq.{sid},id.eq.{messages[0]['id']})", "select": message_columns},
        ),
    ]
    for path, params in queries:
        response = rest.get(path, params=params, headers=headers)
        assert (response.status_code, response.json()) == (200, []), (path, params)
    # counts reveal nothing either
    counted = rest.head(
        "/whatsapp_web_messages", params={"select": "id"}, headers={**headers, "Prefer": "count=exact"}
    )
    assert counted.headers["content-range"].endswith("/0")
    for table in (
        "wagate_rate_limits",
        "whatsapp_web_runners",
        "wagate_chatbot_secrets",
        "wagate_erasures",
    ):
        response = rest.get(f"/{table}", headers=headers)
        assert response.status_code in (401, 403) or response.json() == [], (table, response.text)
    # auth.users is not exposed at all
    users = rest.get("/users", headers={**headers, "Accept-Profile": "auth"})
    assert users.status_code in (401, 403, 404, 406), users.text


def test_postgrest_writes_to_bs_messages_fail_or_touch_nothing(
    stack, rest, user: ApiUser, b_with_history
) -> None:
    b, messages = b_with_history
    sid = b.session["id"]
    target = messages[0]["id"]
    a_token = user.http.headers["Authorization"].removeprefix("Bearer ")
    headers = as_user(stack, a_token)
    before = _messages_snapshot(stack, sid)
    sessions_before = _session_snapshot(stack, sid)
    attempts = [
        rest.patch(
            "/whatsapp_web_messages", params={"id": f"eq.{target}"}, json={"content": "x"}, headers=headers
        ),
        rest.patch(
            "/whatsapp_web_messages",
            params={"session_id": f"eq.{sid}"},
            json={"status": "failed"},
            headers=headers,
        ),
        rest.delete("/whatsapp_web_messages", params={"id": f"eq.{target}"}, headers=headers),
        rest.delete("/whatsapp_web_messages", params={"session_id": f"eq.{sid}"}, headers=headers),
        rest.post(
            "/whatsapp_web_messages",
            params={"on_conflict": "session_id,message_id"},
            json={
                **{k: v for k, v in messages[0].items() if k in ("session_id", "message_id", "direction")},
                "chatbot_id": b.session["chatbot_id"],
                "from_number": "1",
                "to_number": "2",
                "content": "overwritten",
                "status": "queued",
            },
            headers={**headers, "Prefer": "resolution=merge-duplicates,return=representation"},
        ),
        rest.patch(
            "/whatsapp_web_sessions",
            params={"id": f"eq.{sid}"},
            json={"user_id": user.user_id},
            headers=headers,
        ),
        rest.delete("/whatsapp_web_sessions", params={"user_id": f"eq.{b.user.user_id}"}, headers=headers),
    ]
    for response in attempts:
        refused = response.status_code in (401, 403)
        assert refused or (response.is_success and response.json() in ([], None)), (
            response.request.method,
            response.request.url,
            response.status_code,
            response.text,
        )
    assert _messages_snapshot(stack, sid) == before
    assert _session_snapshot(stack, sid) == sessions_before


def _service_functions(stack) -> list[str]:
    """Every function in the public schema that PostgREST would expose, but triggers."""
    rows = stack.sql(
        "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'public' and p.prorettype <> 'trigger'::regtype order by 1"
    )
    return [name for (name,) in rows]


def test_no_user_or_anon_may_execute_any_wagate_function(stack) -> None:
    functions = _service_functions(stack)
    assert {"claim_session", "store_replies", "hit_rate_limit", "admit_api_call"} <= set(functions)
    allowed = stack.sql(
        "select p.proname, r.rolname from pg_proc p join pg_namespace n on n.oid = p.pronamespace,"
        " (values ('anon'), ('authenticated')) as r(rolname)"
        " where n.nspname = 'public' and p.prorettype <> 'trigger'::regtype"
        " and has_function_privilege(r.rolname, p.oid, 'execute')"
    )
    assert allowed == [], "functions meant for the runners and the API only"


def test_a_users_token_cannot_call_the_runner_functions_on_bs_session(
    stack, rest, user: ApiUser, b_with_history
) -> None:
    b, messages = b_with_history
    sid = b.session["id"]
    ((runner_id, epoch),) = stack.sql(
        "select runner_id, epoch from public.whatsapp_web_sessions where id = %s", (sid,)
    )
    inbound = next(m for m in messages if m["direction"] == "inbound")
    calls = {
        "renew_lease": {"p_session_id": sid, "p_runner_id": runner_id, "p_epoch": epoch, "p_ttl_seconds": 1},
        "release_session": {"p_session_id": sid, "p_runner_id": runner_id, "p_epoch": epoch},
        "claim_orphaned_sessions": {"p_runner_id": "evil", "p_limit": 100, "p_ttl_seconds": 600},
        "heartbeat_runner": {"p_runner_id": runner_id, "p_active_sessions": 0},
        "runner_update_message": {
            "p_message_id": inbound["id"],
            "p_runner_id": runner_id,
            "p_epoch": epoch,
            "p_status": "failed",
            "p_error": "forged",
        },
        "store_replies": {
            "p_inbound_id": inbound["id"],
            "p_runner_id": runner_id,
            "p_epoch": epoch,
            "p_whatsapp_ids": ["forged"],
            "p_texts": ["forged reply"],
        },
        "hit_rate_limit": {"p_key": f"api:{b.user.user_id}", "p_max_hits": 1, "p_window_s": 3600},
        "admit_api_call": {"p_user_id": b.user.user_id, "p_max_calls": 1, "p_window_s": 3600},
    }
    a_token = user.http.headers["Authorization"].removeprefix("Bearer ")
    before = (
        _session_snapshot(stack, sid),
        _messages_snapshot(stack, sid),
        stack.sql("select * from public.wagate_rate_limits where key = %s", (f"api:{b.user.user_id}",)),
    )
    for function, args in calls.items():
        for headers in (as_user(stack, a_token), as_user(stack, stack.env["SUPABASE_ANON_KEY"])):
            response = rest.post(f"/rpc/{function}", json=args, headers=headers)
            assert response.status_code in (401, 403, 404), (function, response.status_code, response.text)
    after = (
        _session_snapshot(stack, sid),
        _messages_snapshot(stack, sid),
        stack.sql("select * from public.wagate_rate_limits where key = %s", (f"api:{b.user.user_id}",)),
    )
    assert after == before
