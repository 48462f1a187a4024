"""Row Level Security through the real PostgREST, with users' own tokens (what the dashboard does)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture(scope="module")
def rest(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{stack.supabase_url}/rest/v1", timeout=10) as client:
        yield client


def as_user(stack, token: str | None) -> dict[str, str]:
    """Headers of a Supabase client: the anon key as apikey, the user's token (or the anon key) as bearer."""
    anon = stack.env["SUPABASE_ANON_KEY"]
    return {"apikey": anon, "Authorization": f"Bearer {token or anon}", "Prefer": "return=representation"}


@pytest.fixture
def two_users_with_data(stack, make_user) -> tuple:
    users = [make_user(), make_user()]
    sessions = []
    for owner in users:
        session_id = str(uuid.uuid4())
        chatbot_id = str(uuid.uuid4())
        stack.sql(
            "insert into public.whatsapp_web_sessions (id, user_id, chatbot_id, session_id, status)"
            " values (%s, %s, %s, %s, 'connected')",
            (session_id, owner.id, chatbot_id, f"rls-{session_id}"),
        )
        stack.sql(
            "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
            " to_number, direction, content, status) values (%s, %s, %s, '1555000111', '1555000222',"
            " 'inbound', 'secret of ' || %s, 'received')",
            (session_id, chatbot_id, f"wa-{session_id}", owner.id),
        )
        sessions.append(session_id)
    return users, sessions


def test_each_user_sees_only_their_own_rows(stack, rest, two_users_with_data) -> None:
    users, sessions = two_users_with_data
    for owner, own_session in zip(users, sessions, strict=True):
        headers = as_user(stack, owner.token)
        visible = rest.get("/whatsapp_web_sessions", params={"select": "id,user_id"}, headers=headers)
        assert visible.status_code == 200
        assert visible.json() == [{"id": own_session, "user_id": owner.id}]
        messages = rest.get(
            "/whatsapp_web_messages", params={"select": "session_id,content"}, headers=headers
        )
        assert messages.json() == [{"session_id": own_session, "content": f"secret of {owner.id}"}]
        other = next(s for s in sessions if s != own_session)
        by_id = rest.get(
            "/whatsapp_web_sessions", params={"id": f"eq.{other}", "select": "id,status"}, headers=headers
        )
        assert by_id.json() == []


def test_anon_sees_nothing(stack, rest, two_users_with_data) -> None:
    for table in ("whatsapp_web_sessions", "whatsapp_web_messages", "whatsapp_web_runners"):
        response = rest.get(f"/{table}", headers=as_user(stack, None))
        assert response.status_code in (401, 403) or response.json() == [], (table, response.text)


def test_users_do_not_see_runners(stack, rest, make_user) -> None:
    stack.sql(
        "insert into public.whatsapp_web_runners (runner_id, queue_url, capacity)"
        " values ('rls-runner', 'q', 1) on conflict do nothing"
    )
    response = rest.get("/whatsapp_web_runners", headers=as_user(stack, make_user().token))
    assert response.status_code in (401, 403) or response.json() == []


def _snapshot(stack) -> list[tuple]:
    return stack.sql(
        "select id, user_id, status, runner_id, epoch, updated_at"
        " from public.whatsapp_web_sessions order by id"
    )


def test_a_user_cannot_write_sessions_directly(stack, rest, two_users_with_data) -> None:
    users, sessions = two_users_with_data
    headers = as_user(stack, users[0].token)
    before = _snapshot(stack)
    attempts = [
        rest.post(
            "/whatsapp_web_sessions",
            json={"user_id": users[0].id, "chatbot_id": str(uuid.uuid4()), "session_id": "mine"},
            headers=headers,
        ),
        rest.patch(
            "/whatsapp_web_sessions",
            params={"id": f"eq.{sessions[0]}"},
            json={"status": "connected"},
            headers=headers,
        ),
        rest.patch(
            "/whatsapp_web_sessions", params={"id": f"eq.{sessions[1]}"}, json={"epoch": 99}, headers=headers
        ),
        rest.delete("/whatsapp_web_sessions", params={"id": f"eq.{sessions[0]}"}, headers=headers),
        rest.post(
            "/whatsapp_web_messages",
            json={
                "session_id": sessions[0],
                "chatbot_id": str(uuid.uuid4()),
                "message_id": "forged",
                "from_number": "1",
                "to_number": "2",
                "direction": "outbound",
                "content": "x",
                "status": "queued",
            },
            headers=headers,
        ),
    ]
    for response in attempts:
        assert response.status_code in (401, 403), (response.request.method, response.text)
    assert _snapshot(stack) == before


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("claim_session", {"p_session_id": str(uuid.uuid4()), "p_runner_id": "evil", "p_ttl_seconds": 60}),
        ("register_runner", {"p_runner_id": "evil", "p_queue_url": "http://evil", "p_capacity": 1}),
        (
            "create_session",
            {
                "p_user_id": str(uuid.uuid4()),
                "p_chatbot_id": str(uuid.uuid4()),
                "p_session_id": "evil",
                "p_pairing_phone": None,
                "p_bot_endpoint": None,
                "p_max_sessions": 100,
            },
        ),
    ],
)
def test_users_cannot_call_the_routing_functions(stack, rest, user, function: str, args: dict) -> None:
    before = _snapshot(stack)
    response = rest.post(f"/rpc/{function}", json=args, headers=as_user(stack, user.token))
    assert response.status_code in (401, 403, 404), response.text
    assert _snapshot(stack) == before
