"""The operator's API (wagate/admin_api.py) against the real stack: only a token with
`app_metadata.role` "admin" reaches it, everyone else gets the 404 of a route that does not exist;
an operator sees runners, queues, counts, stuck sessions and failures, and restarts or releases a
session through the same paths as an owner's restart and a stopping runner's release."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.api.api_helpers import for_session, take_commands
from tests.api.conftest import User

ADMIN_METADATA = {"provider": "email", "providers": ["email"], "role": "admin"}


@pytest.fixture
def operator(stack) -> User:
    user_id, _ = stack.create_user()
    return User(user_id, stack.mint_token(user_id, app_metadata=ADMIN_METADATA))


def admin_routes(session_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/api/admin/fleet"),
        ("POST", f"/api/admin/sessions/{session_id}/restart"),
        ("POST", f"/api/admin/sessions/{session_id}/release"),
    ]


def call(api: httpx.Client, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    if method == "POST":
        return api.post(path, json={}, headers=headers)
    return api.get(path, headers=headers)


def test_admin_routes_are_404_to_everyone_but_an_operator(
    stack, api, user, other_user, create_session
) -> None:
    session = create_session(user)
    not_operators = {
        "no token": {},
        "a malformed token": {"Authorization": "Bearer not-a-jwt"},
        "the session's owner": user.headers,
        "another user": other_user.headers,
        # user_metadata is the user's own to edit: it never makes an operator
        "a user_metadata admin": {
            "Authorization": "Bearer " + stack.mint_token(user.id, user_metadata={"role": "admin"})
        },
        "another role in app_metadata": {
            "Authorization": "Bearer "
            + stack.mint_token(user.id, app_metadata={**ADMIN_METADATA, "role": "support"})
        },
        "an expired admin token": {
            "Authorization": "Bearer " + stack.mint_token(user.id, app_metadata=ADMIN_METADATA, exp=1)
        },
    }
    before = stack.sql(
        "select status, runner_id, epoch from public.whatsapp_web_sessions where id = %s", (session["id"],)
    )
    for who, headers in not_operators.items():
        for method, path in admin_routes(session["id"]):
            response = call(api, method, path, headers)
            assert response.status_code == 404, (who, method, path, response.text)
            assert response.json()["error"]["code"] == "not_found", (who, path)
    after = stack.sql(
        "select status, runner_id, epoch from public.whatsapp_web_sessions where id = %s", (session["id"],)
    )
    assert after == before


def test_an_operator_whose_user_is_gone_is_refused(stack, api) -> None:
    ghost = str(uuid.uuid4())
    headers = {"Authorization": "Bearer " + stack.mint_token(ghost, app_metadata=ADMIN_METADATA)}
    assert api.get("/api/admin/fleet", headers=headers).status_code == 401


def _fleet(api, operator: User) -> dict:
    response = api.get("/api/admin/fleet", headers=operator.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _runner(fleet: dict, runner_id: str) -> dict | None:
    return next((r for r in fleet["runners"] if r["runner_id"] == runner_id), None)


def test_an_operator_sees_the_runners_and_their_queues(
    stack, api, operator, user, create_session, make_runner, hold_session
) -> None:
    runner = make_runner()
    session = create_session(user)
    hold_session(session["id"], runner)
    stack.sqs().send_message(QueueUrl=runner.queue_url, MessageBody='{"waiting": 1}')
    stack.sql(
        "update public.whatsapp_web_runners set active_sessions = 1, browser_restarts = 2"
        " where runner_id = %s",
        (runner.runner_id,),
    )
    fleet = _fleet(api, operator)
    seen = _runner(fleet, runner.runner_id)
    assert seen is not None
    assert (seen["capacity"], seen["active_sessions"], seen["browser_restarts"]) == (10, 1, 2)
    assert seen["alive"] is True and seen["heartbeat_age_s"] < fleet["heartbeat_window_s"]
    assert seen["queue"]["visible"] + seen["queue"]["in_flight"] == 1
    assert seen["queue"]["dead_letters"] is None  # a test runner's queue has no redrive policy
    # the start queue and its dead-letter queue (the local stack's redrive policy)
    assert set(fleet["queues"]["start"]) == {"visible", "in_flight", "dead_letters"}
    assert isinstance(fleet["queues"]["start"]["dead_letters"], int)
    counted = stack.sql("select count(*) from public.whatsapp_web_sessions where status = 'connected'")[0][0]
    assert fleet["sessions"]["by_status"]["connected"] == counted
    assert fleet["sessions"]["total"] == stack.sql("select count(*) from public.whatsapp_web_sessions")[0][0]

    # a runner whose heartbeat is older than the window is gone
    stack.sql(
        "update public.whatsapp_web_runners set heartbeat_at = now() - interval '10 minutes'"
        " where runner_id = %s",
        (runner.runner_id,),
    )
    seen = _runner(_fleet(api, operator), runner.runner_id)
    assert seen["alive"] is False and seen["heartbeat_age_s"] >= 600


def _age_status(stack, session_id: str, minutes: int = 30) -> None:
    stack.sql(
        "update public.whatsapp_web_sessions set status_changed_at = now() - make_interval(mins => %s)"
        " where id = %s",
        (minutes, session_id),
    )


def _stuck(fleet: dict, session_id: str) -> dict | None:
    return next((s for s in fleet["stuck_sessions"] if s["id"] == session_id), None)


def test_stuck_sessions_are_listed_without_anything_of_the_customers(
    stack, api, operator, user, create_session, make_runner, hold_session
) -> None:
    unclaimed = create_session(user)
    opening = create_session(user)
    fresh = create_session(user)
    runner = make_runner()
    hold_session(opening["id"], runner, status="starting", phone="15550009999")
    _age_status(stack, unclaimed["id"])
    _age_status(stack, opening["id"])
    fleet = _fleet(api, operator)
    assert _stuck(fleet, fresh["id"]) is None
    listed = _stuck(fleet, unclaimed["id"])
    assert (listed["status"], listed["reason"], listed["runner_id"]) == ("pending", "not_claimed", None)
    assert listed["user_id"] == user.id and listed["chatbot_id"] == unclaimed["chatbot_id"]
    listed = _stuck(fleet, opening["id"])
    assert (listed["reason"], listed["runner_id"]) == ("opening_too_long", runner.runner_id)
    assert "15550009999" not in str(fleet)  # never a phone number
    assert not {"phone_number", "qr_code", "pairing_code", "last_error"} & set(listed)
    # the status clock moves with the status only, not with lease renewals
    stack.sql(
        "update public.whatsapp_web_sessions set lease_expires_at = now() + interval '5 min' where id = %s",
        (opening["id"],),
    )
    assert _stuck(_fleet(api, operator), opening["id"]) is not None
    stack.sql("update public.whatsapp_web_sessions set status = 'qr_ready' where id = %s", (opening["id"],))
    assert _stuck(_fleet(api, operator), opening["id"]) is None


def test_release_ends_the_holders_lease_and_another_runner_may_take_it(
    stack, api, operator, user, create_session, make_runner, hold_session
) -> None:
    session = create_session(user)
    runner = make_runner()
    hold_session(session["id"], runner, status="starting")
    _age_status(stack, session["id"])
    (epoch_before,) = stack.sql("select epoch from whatsapp_web_sessions where id = %s", (session["id"],))[0]
    start_queue = stack.env["WAGATE_START_QUEUE_URL"]
    take_commands(stack.sqs(), start_queue, for_session(session["id"]))  # create's own start command

    response = api.post(f"/api/admin/sessions/{session['id']}/release", json={}, headers=operator.headers)
    assert response.status_code == 200, response.text
    released = response.json()
    assert released["action"] == "release"
    assert (released["session"]["status"], released["session"]["runner_id"]) == ("starting", None)
    row = stack.sql(
        "select runner_id, lease_expires_at, epoch from whatsapp_web_sessions where id = %s", (session["id"],)
    )[0]
    assert row[:2] == (None, None) and row[2] == epoch_before + 1  # the old holder is fenced off
    # the old holder's renewal fails: it lets go
    assert (
        stack.sql(
            "select count(*) from public.renew_leases(%s, array[%s]::uuid[], array[%s]::bigint[], 15)",
            (runner.runner_id, session["id"], epoch_before),
        )[0][0]
        == 0
    )
    (command,) = take_commands(stack.sqs(), start_queue, for_session(session["id"]))
    assert command["type"] == "start" and command["payload"] == {"released_by": "operator"}
    # again, on one released and waiting: the same answer
    again = api.post(f"/api/admin/sessions/{session['id']}/release", json={}, headers=operator.headers)
    assert again.status_code == 200, again.text
    assert again.json()["session"]["runner_id"] is None


def test_release_is_409_where_nobody_holds_the_session(stack, api, operator, user, create_session) -> None:
    pending = create_session(user)
    response = api.post(f"/api/admin/sessions/{pending['id']}/release", json={}, headers=operator.headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "session_not_held"
    stack.sql("update whatsapp_web_sessions set status = 'failed' where id = %s", (pending["id"],))
    response = api.post(f"/api/admin/sessions/{pending['id']}/release", json={}, headers=operator.headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "session_not_running"
    missing = api.post(f"/api/admin/sessions/{uuid.uuid4()}/release", json={}, headers=operator.headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "session_not_found"


def test_restart_goes_the_owners_way(
    stack, api, operator, user, create_session, make_runner, hold_session
) -> None:
    held = create_session(user)
    runner = make_runner()
    hold_session(held["id"], runner, status="authenticating")
    response = api.post(f"/api/admin/sessions/{held['id']}/restart", json={}, headers=operator.headers)
    assert response.status_code == 202, response.text
    assert response.json()["action"] == "restart"
    (command,) = take_commands(stack.sqs(), runner.queue_url, for_session(held["id"]))
    assert command["type"] == "restart"

    # unowned: back to pending and the start queue, as the owner's restart does
    stuck = create_session(user)
    start_queue = stack.env["WAGATE_START_QUEUE_URL"]
    take_commands(stack.sqs(), start_queue, for_session(stuck["id"]))
    stack.sql(
        "update whatsapp_web_sessions set status = 'failed', last_error_code = 'load_timeout' where id = %s",
        (stuck["id"],),
    )
    response = api.post(f"/api/admin/sessions/{stuck['id']}/restart", json={}, headers=operator.headers)
    assert response.status_code == 202, response.text
    assert response.json()["session"]["status"] == "pending"
    assert response.json()["session"]["last_error_code"] is None
    (command,) = take_commands(stack.sqs(), start_queue, for_session(stuck["id"]))
    assert command["type"] == "start"

    # only the owner's phone brings back a logged-out session
    stack.sql("update whatsapp_web_sessions set status = 'logged_out' where id = %s", (stuck["id"],))
    response = api.post(f"/api/admin/sessions/{stuck['id']}/restart", json={}, headers=operator.headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "owner_action_required"


def test_failures_per_hour(stack, api, operator, user, create_session) -> None:
    session = create_session(user)
    session_code, message_code = f"test_s_{uuid.uuid4().hex[:8]}", f"test_m_{uuid.uuid4().hex[:8]}"
    stack.sql(
        "update whatsapp_web_sessions set status = 'failed', last_error_code = %s where id = %s",
        (session_code, session["id"]),
    )
    insert_message: Callable[[str], None] = lambda status: stack.sql(  # noqa: E731
        "insert into whatsapp_web_messages (session_id, chatbot_id, message_id, from_number, to_number,"
        " direction, content, status, error_code)"
        " values (%s, %s, %s, '1555', '1556', 'outbound', 'hi', %s, %s)",
        (session["id"], session["chatbot_id"], f"m-{uuid.uuid4()}", status, message_code),
    )
    insert_message("failed")
    insert_message("failed")
    insert_message("sent")  # not a failure, whatever its code says
    fleet = _fleet(api, operator)
    hours = fleet["failures"]["by_hour"]
    assert sum(h["sessions"].get(session_code, 0) for h in hours) == 1
    assert sum(h["messages"].get(message_code, 0) for h in hours) == 2
    assert hours == sorted(hours, key=lambda h: h["hour"])
