"""Abuse limits: API calls per user and sends per session, answered with 429 `rate_limited` and
`Retry-After`, kept in Postgres so that every Lambda container counts the same (a second API
process here, with low limits, shares the stack's database).

Already covered, not repeated: the per-user session limit, 409 `too_many_sessions`
(tests/api/test_sessions.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.security.conftest import bearer, new_chatbot

CALLS_PER_MINUTE = 8
SENDS_PER_MINUTE = 3


@pytest.fixture(scope="module")
def limited_api(stack) -> Iterator[str]:
    url, process = stack.start_api(
        WAGATE_API_CALLS_PER_MINUTE=str(CALLS_PER_MINUTE), WAGATE_SENDS_PER_MINUTE=str(SENDS_PER_MINUTE)
    )
    try:
        yield url
    finally:
        stack.apis.stop(process)


@pytest.fixture
def held_sessions(stack) -> Iterator[tuple[str, str, list[str]]]:
    """A user with two connected sessions, held by a runner that exists only as a live lease (so the
    fleet leaves them alone and sends wait as `queued` rows); removed at the end."""
    user_id, token = stack.create_user()
    sessions = [str(uuid.uuid4()) for _ in range(2)]
    for session_id in sessions:
        stack.sql(
            "insert into public.whatsapp_web_sessions (id, user_id, chatbot_id, session_id, status,"
            " phone_number, runner_id, lease_expires_at, epoch)"
            " values (%s, %s, gen_random_uuid(), %s, 'connected', '4930123456', 'absent-runner',"
            " now() + interval '10 min', 1)",
            (session_id, user_id, f"abuse-{session_id}"),
        )
    yield user_id, token, sessions
    stack.sql("delete from public.whatsapp_web_messages where session_id = any(%s::uuid[])", (sessions,))
    stack.sql("delete from auth.users where id = %s", (user_id,))


def assert_rate_limited(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    return retry_after


def test_api_calls_are_limited_per_user(stack, limited_api: str) -> None:
    user_id, token = stack.create_user()
    _, other_token = stack.create_user()
    with httpx.Client(base_url=limited_api, timeout=15) as api:
        for _ in range(CALLS_PER_MINUTE):
            assert api.get("/api/sessions", headers=bearer(token)).status_code == 200
        assert_rate_limited(api.get("/api/sessions", headers=bearer(token)))
        refused = api.post(
            "/api/sessions/create",
            json=new_chatbot(),
            headers={**bearer(token), "Origin": "http://localhost:5173"},
        )
        assert_rate_limited(refused)
        # the dashboard (here `vite dev`, an allowed origin) can read it
        assert refused.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert "Retry-After" in refused.headers["access-control-expose-headers"]
        assert api.get("/api/sessions", headers=bearer(other_token)).status_code == 200  # per user
        assert api.get("/api/health").status_code == 200  # public routes are not counted
    assert stack.sql("select count(*) from public.whatsapp_web_sessions where user_id = %s", (user_id,)) == [
        (0,)
    ]


def test_a_new_window_lets_the_user_in_again(stack, limited_api: str) -> None:
    user_id, token = stack.create_user()
    with httpx.Client(base_url=limited_api, timeout=15) as api:
        for _ in range(CALLS_PER_MINUTE):
            api.get("/api/sessions", headers=bearer(token))
        assert_rate_limited(api.get("/api/sessions", headers=bearer(token)))
        # the minute is over (moved back rather than waited for)
        stack.sql(
            "update public.wagate_rate_limits set window_start = window_start - interval '61 s'"
            " where key = %s",
            (f"api:{user_id}",),
        )
        assert api.get("/api/sessions", headers=bearer(token)).status_code == 200


def test_sends_are_limited_per_session(stack, limited_api: str, held_sessions) -> None:
    _, token, (first, second) = held_sessions
    with httpx.Client(base_url=limited_api, timeout=15, headers=bearer(token)) as api:

        def send(session_id: str) -> httpx.Response:
            body = {"session_id": session_id, "to": "4915112345678", "text": "offer"}
            return api.post("/api/messages/send", json=body)

        for _ in range(SENDS_PER_MINUTE):
            assert send(first).status_code == 202
        assert_rate_limited(send(first))
        assert send(second).status_code == 202  # per session
    counts = stack.sql(
        "select session_id::text, count(*) from public.whatsapp_web_messages"
        " where session_id = any(%s::uuid[]) group by 1",
        ([first, second],),
    )
    assert dict(counts) == {first: SENDS_PER_MINUTE, second: 1}  # the refused send wrote nothing


def test_users_cannot_reset_their_counters(stack) -> None:
    """Through PostgREST with their own token; the limiter's functions: see test_isolation."""
    user_id, token = stack.create_user()
    key = f"api:{user_id}"
    stack.sql("insert into public.wagate_rate_limits values (%s, now(), 1000)", (key,))
    headers = {"apikey": stack.env["SUPABASE_ANON_KEY"], "Authorization": f"Bearer {token}"}
    table = f"{stack.supabase_url}/rest/v1/wagate_rate_limits"
    for response in (
        httpx.delete(table, params={"key": f"eq.{key}"}, headers=headers),
        httpx.patch(table, params={"key": f"eq.{key}"}, json={"hits": 0}, headers=headers),
        httpx.post(
            table, json={"key": key, "window_start": "2000-01-01T00:00:00Z", "hits": 0}, headers=headers
        ),
    ):
        assert response.status_code in (401, 403), response.text
    assert stack.sql("select hits from public.wagate_rate_limits where key = %s", (key,)) == [(1000,)]
