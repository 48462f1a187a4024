"""Session endpoints against the real stack: rows in Postgres, commands on moto's SQS, S3 objects."""

from __future__ import annotations

import base64
import uuid

from tests.api.api_helpers import for_session, take_commands
from wagate.signing import is_signing_secret

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16 + b"wagate-test-qr"
SESSION_FIELDS = {
    "id",
    "session_id",
    "chatbot_id",
    "status",
    "phone_number",
    "push_name",
    "qr_code",
    "qr_expires_at",
    "pairing_code",
    "connected_at",
    "last_error",
    "last_error_code",
    "created_at",
    "updated_at",
}


def test_create_writes_a_pending_row_and_a_start_command(stack, api, user) -> None:
    chatbot_id = str(uuid.uuid4())
    response = api.post("/api/sessions/create", json={"chatbot_id": chatbot_id}, headers=user.headers)
    assert response.status_code == 201, response.text
    session = response.json()
    assert set(session) == SESSION_FIELDS
    assert session["status"] == "pending" and session["chatbot_id"] == chatbot_id
    assert session["session_id"].startswith("wa_")

    rows = stack.sql(
        "select user_id::text, chatbot_id::text, status, session_id, epoch, runner_id, pairing_phone"
        " from public.whatsapp_web_sessions where id = %s",
        (session["id"],),
    )
    assert rows == [(user.id, chatbot_id, "pending", session["session_id"], 0, None, None)]

    (command,) = take_commands(stack.sqs(), stack.env["WAGATE_START_QUEUE_URL"], for_session(session["id"]))
    assert command["type"] == "start" and command["epoch"] == 0
    assert uuid.UUID(command["id"])  # the id a runner deduplicates on
    assert command["_attributes"] == {"command_type": "start", "session_id": session["id"]}


def test_create_with_pairing_phone_and_bot_endpoint(stack, api, user) -> None:
    """The endpoint is stored (the local stack allows loopback endpoints), and the chatbot's
    signing secret is made and shown this once; a second session of the chatbot gets none."""
    endpoint = "https://localhost:8443/x"
    body = {"chatbot_id": str(uuid.uuid4()), "phone_number": "4915123456789", "bot_endpoint": endpoint}
    response = api.post("/api/sessions/create", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    rows = stack.sql(
        "select pairing_phone, bot_endpoint from public.whatsapp_web_sessions where id = %s", (created["id"],)
    )
    assert rows == [("4915123456789", endpoint)]
    assert "bot_endpoint" not in created and "pairing_phone" not in created
    assert is_signing_secret(created["bot_signing_secret"])
    assert stack.sql(
        "select secret from public.wagate_chatbot_secrets where chatbot_id = %s", (body["chatbot_id"],)
    ) == [(created["bot_signing_secret"],)]
    again = api.post(
        "/api/sessions/create", json={**body, "phone_number": "4915123456780"}, headers=user.headers
    )
    assert again.status_code == 201 and "bot_signing_secret" not in again.json()


def test_commands_of_two_creates_have_distinct_ids(stack, api, user, create_session) -> None:
    first, second = create_session(user), create_session(user)
    sqs = stack.sqs()
    commands = [
        *take_commands(sqs, stack.env["WAGATE_START_QUEUE_URL"], for_session(first["id"])),
        *take_commands(sqs, stack.env["WAGATE_START_QUEUE_URL"], for_session(second["id"])),
    ]
    assert len({command["id"] for command in commands}) == 2


def test_list_shows_only_my_sessions_newest_first(api, user, other_user, create_session) -> None:
    older, newer = create_session(user), create_session(user)
    create_session(other_user)
    response = api.get("/api/sessions", headers=user.headers)
    assert response.status_code == 200
    assert [s["id"] for s in response.json()["sessions"]] == [newer["id"], older["id"]]


def test_get_session_and_its_runner_internals_stay_hidden(
    stack, api, user, create_session, make_runner
) -> None:
    session = create_session(user)
    runner = make_runner()
    stack.sql(
        "update public.whatsapp_web_sessions set status = 'connected', phone_number = '15550001111',"
        " push_name = 'Shop', connected_at = now(), runner_id = %s,"
        " lease_expires_at = now() + interval '1 min' where id = %s",
        (runner.runner_id, session["id"]),
    )
    response = api.get(f"/api/sessions/{session['id']}", headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == SESSION_FIELDS
    assert (body["status"], body["phone_number"], body["push_name"]) == ("connected", "15550001111", "Shop")
    assert body["connected_at"]


def test_qr_code_while_valid_then_expired(stack, api, user, create_session) -> None:
    session = create_session(user)
    path = f"/api/sessions/{session['id']}"

    missing = api.get(f"{path}/qr", headers={**user.headers, "Accept": "image/png"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "qr_not_available")

    encoded = base64.b64encode(PNG).decode()
    stack.sql(
        "update public.whatsapp_web_sessions set status = 'qr_ready', qr_code = %s,"
        " qr_expires_at = now() + interval '60 s' where id = %s",
        (encoded, session["id"]),
    )
    assert api.get(path, headers=user.headers).json()["qr_code"] == encoded
    image = api.get(f"{path}/qr", headers={**user.headers, "Accept": "image/png"})
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content == PNG

    no_accept = api.get(f"{path}/qr", headers={**user.headers, "Accept": "application/json"})
    assert (no_accept.status_code, no_accept.json()["error"]["code"]) == (406, "not_acceptable")

    stack.sql(
        "update public.whatsapp_web_sessions set qr_expires_at = now() - interval '1 s' where id = %s",
        (session["id"],),
    )
    assert api.get(path, headers=user.headers).json()["qr_code"] is None
    expired = api.get(f"{path}/qr", headers={**user.headers, "Accept": "image/png"})
    assert (expired.status_code, expired.json()["error"]["code"]) == (410, "qr_expired")


def test_another_users_session_does_not_exist_for_me(stack, api, user, other_user, create_session) -> None:
    theirs = create_session(other_user)
    before = stack.sql(
        "select status, updated_at from public.whatsapp_web_sessions where id = %s", (theirs["id"],)
    )
    sid = theirs["id"]
    attempts = [
        api.get(f"/api/sessions/{sid}", headers=user.headers),
        api.get(f"/api/sessions/{sid}/qr", headers={**user.headers, "Accept": "image/png"}),
        api.get(f"/api/sessions/{sid}/messages", headers=user.headers),
        api.post(f"/api/sessions/{sid}/restart", headers=user.headers),
        api.delete(f"/api/sessions/{sid}", headers=user.headers),
        api.post("/api/sessions/disconnect", json={"session_id": sid}, headers=user.headers),
        api.post(
            "/api/messages/send",
            json={"session_id": sid, "to": "15551234567", "text": "hi"},
            headers=user.headers,
        ),
    ]
    unknown = api.get(f"/api/sessions/{uuid.uuid4()}", headers=user.headers)
    for response in [*attempts, unknown]:
        assert response.status_code == 404, response.request.url
        assert response.json() == unknown.json()  # indistinguishable from a session that never existed
    assert unknown.json()["error"]["code"] == "session_not_found"
    after = stack.sql(
        "select status, updated_at from public.whatsapp_web_sessions where id = %s", (theirs["id"],)
    )
    assert after == before


def test_disconnect_routes_to_the_owning_runner(
    stack, api, user, create_session, make_runner, hold_session
) -> None:
    session = create_session(user)
    runner = make_runner()
    hold_session(session["id"], runner)
    response = api.post("/api/sessions/disconnect", json={"session_id": session["id"]}, headers=user.headers)
    assert response.status_code == 202, response.text
    assert response.json()["id"] == session["id"]
    (command,) = take_commands(stack.sqs(), runner.queue_url, for_session(session["id"]))
    assert command["type"] == "disconnect" and command["epoch"] == 1


def test_disconnect_without_a_runner_ends_the_session_here(stack, api, user, create_session) -> None:
    session = create_session(user)
    response = api.post("/api/sessions/disconnect", json={"session_id": session["id"]}, headers=user.headers)
    assert response.status_code == 202
    assert response.json()["status"] == "disconnected"
    rows = stack.sql(
        "select status, runner_id from public.whatsapp_web_sessions where id = %s", (session["id"],)
    )
    assert rows == [("disconnected", None)]


def test_disconnect_of_a_session_whose_runner_died(stack, api, user, create_session, make_runner) -> None:
    session = create_session(user)
    runner = make_runner()
    stack.sql(
        "update public.whatsapp_web_sessions set status = 'connected', runner_id = %s, epoch = 4,"
        " lease_expires_at = now() - interval '1 min' where id = %s",
        (runner.runner_id, session["id"]),
    )
    response = api.post("/api/sessions/disconnect", json={"session_id": session["id"]}, headers=user.headers)
    assert response.status_code == 202 and response.json()["status"] == "disconnected"
    assert take_commands(stack.sqs(), runner.queue_url, for_session(session["id"]), timeout_s=1) == []
    rows = stack.sql(
        "select runner_id, lease_expires_at from public.whatsapp_web_sessions where id = %s", (session["id"],)
    )
    assert rows == [(None, None)]  # no longer an orphan that another runner would bring back


def test_restart_without_a_runner_goes_back_to_the_start_queue(stack, api, user, create_session) -> None:
    session = create_session(user)
    start_queue = stack.env["WAGATE_START_QUEUE_URL"]
    take_commands(stack.sqs(), start_queue, for_session(session["id"]))
    stack.sql(
        "update public.whatsapp_web_sessions set status = 'qr_expired', last_error = 'nobody scanned'"
        " where id = %s",
        (session["id"],),
    )
    response = api.post(f"/api/sessions/{session['id']}/restart", headers=user.headers)
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["last_error"]) == ("pending", None)
    (command,) = take_commands(stack.sqs(), start_queue, for_session(session["id"]))
    assert command["type"] == "start"


def test_restart_routes_to_the_owning_runner(
    stack, api, user, create_session, make_runner, hold_session
) -> None:
    session = create_session(user)
    runner = make_runner()
    hold_session(session["id"], runner)
    response = api.post(f"/api/sessions/{session['id']}/restart", headers=user.headers)
    assert response.status_code == 202
    (command,) = take_commands(stack.sqs(), runner.queue_url, for_session(session["id"]))
    assert command["type"] == "restart"
    assert stack.sql("select status from public.whatsapp_web_sessions where id = %s", (session["id"],)) == [
        ("connected",)
    ]


def _put_checkpoints(stack, session_id: str) -> None:
    s3 = stack.s3()
    for name in ("state.bin", "meta.json"):
        s3.put_object(
            Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Key=f"checkpoints/{session_id}/{name}", Body=b"x"
        )


def _checkpoint_keys(stack, session_id: str) -> list[str]:
    listing = stack.s3().list_objects_v2(
        Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Prefix=f"checkpoints/{session_id}/"
    )
    return [item["Key"] for item in listing.get("Contents", [])]


def _add_message(stack, session: dict, text: str) -> None:
    stack.sql(
        "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
        " to_number, direction, content, status)"
        " values (%s, %s, %s, '15550001111', '15550002222', 'inbound', %s, 'received')",
        (session["id"], session["chatbot_id"], f"wa-{uuid.uuid4()}", text),
    )


def test_delete_removes_the_row_queues_the_erasure_and_keeps_messages(
    stack, api, user, create_session
) -> None:
    """The row goes at once; logging the device out and erasing the checkpoints is queued, in the
    same statement, for the runners (done by them: tests/security/test_user_deletion.py)."""
    session, neighbour = create_session(user), create_session(user)
    for target in (session, neighbour):
        _put_checkpoints(stack, target["id"])
        _add_message(stack, target, "hello")
    response = api.delete(f"/api/sessions/{session['id']}", headers=user.headers)
    assert response.status_code == 204 and response.content == b""
    assert stack.sql("select 1 from public.whatsapp_web_sessions where id = %s", (session["id"],)) == []
    assert stack.sql(
        "select reason, user_id::text from public.wagate_erasures where session_id = %s", (session["id"],)
    ) == [("session_deleted", user.id)]
    assert stack.sql("select 1 from public.wagate_erasures where session_id = %s", (neighbour["id"],)) == []
    assert len(_checkpoint_keys(stack, neighbour["id"])) == 2
    kept = stack.sql(
        "select session_id from public.whatsapp_web_messages where chatbot_id = %s", (session["chatbot_id"],)
    )
    assert kept == [(None,)]  # detached, not erased
    assert api.get(f"/api/sessions/{session['id']}", headers=user.headers).status_code == 404


def test_delete_with_messages_erases_them(stack, api, user, create_session) -> None:
    session = create_session(user)
    _add_message(stack, session, "one")
    _add_message(stack, session, "two")
    response = api.delete(f"/api/sessions/{session['id']}?delete_messages=true", headers=user.headers)
    assert response.status_code == 204
    assert stack.sql(
        "select count(*) from public.whatsapp_web_messages where chatbot_id = %s", (session["chatbot_id"],)
    ) == [(0,)]


def test_delete_tells_the_owning_runner(stack, api, user, create_session, make_runner, hold_session) -> None:
    session = create_session(user)
    runner = make_runner()
    hold_session(session["id"], runner)
    assert api.delete(f"/api/sessions/{session['id']}", headers=user.headers).status_code == 204
    (command,) = take_commands(stack.sqs(), runner.queue_url, for_session(session["id"]))
    assert command["type"] == "delete" and command["payload"] == {"erase_checkpoints": True}


def test_delete_with_a_bad_flag_changes_nothing(stack, api, user, create_session) -> None:
    session = create_session(user)
    response = api.delete(f"/api/sessions/{session['id']}?delete_messages=maybe", headers=user.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_parameter")
    assert stack.sql("select count(*) from public.whatsapp_web_sessions where id = %s", (session["id"],)) == [
        (1,)
    ]


def test_the_per_user_session_limit(stack, api, user) -> None:
    stack.sql(
        "insert into public.whatsapp_web_sessions (user_id, chatbot_id, session_id)"
        " select %s, gen_random_uuid(), 'limit-' || gen_random_uuid() from generate_series(1, 20)",
        (user.id,),
    )
    chatbot_id = str(uuid.uuid4())
    response = api.post("/api/sessions/create", json={"chatbot_id": chatbot_id}, headers=user.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "too_many_sessions")
    # a user at the limit claims no chatbot either
    assert stack.sql("select 1 from public.wagate_chatbots where chatbot_id = %s", (chatbot_id,)) == []
    assert stack.sql("select count(*) from public.whatsapp_web_sessions where user_id = %s", (user.id,)) == [
        (20,)
    ]


def test_cors_preflight_and_headers(api, user) -> None:
    """The dashboard's origins (here `vite dev`'s, which the local stack allows) may call the API
    from a browser; other origins get no CORS header (tests/security/test_local_stack_safety.py)."""
    origin = "http://localhost:5173"
    preflight = api.options(
        "/api/sessions/create", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    error = api.get(f"/api/sessions/{uuid.uuid4()}", headers={**user.headers, "Origin": origin})
    assert error.headers["access-control-allow-origin"] == origin and error.headers["vary"] == "Origin"
