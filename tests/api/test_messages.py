"""Sending and history against the real stack."""

from __future__ import annotations

import uuid

from tests.api.api_helpers import for_session, row_counts, take_commands


def test_send_writes_a_queued_row_then_routes_a_send_command(
    stack, api, user, create_session, make_runner, hold_session
) -> None:
    session = create_session(user)
    runner = make_runner()
    hold_session(session["id"], runner, phone="15550001111")
    body = {"session_id": session["id"], "to": "4915123456789", "text": "Hello 👋"}
    response = api.post("/api/messages/send", json=body, headers=user.headers)
    assert response.status_code == 202, response.text
    message = response.json()["message"]
    assert message["status"] == "queued" and message["direction"] == "outbound"
    assert (message["from_number"], message["to_number"], message["content"]) == (
        "15550001111",
        "4915123456789",
        "Hello 👋",
    )
    assert message["message_id"].startswith("pending:")

    rows = stack.sql(
        "select session_id::text, chatbot_id::text, status, content, message_id"
        " from public.whatsapp_web_messages where id = %s",
        (message["id"],),
    )
    assert rows == [(session["id"], session["chatbot_id"], "queued", "Hello 👋", message["message_id"])]

    (command,) = take_commands(stack.sqs(), runner.queue_url, for_session(session["id"]))
    assert command["type"] == "send"
    assert command["payload"] == {"message_id": message["id"]}
    assert command["epoch"] == 1  # the epoch of the owner's claim: a newer owner drops it
    assert uuid.UUID(command["id"])


def test_send_to_a_session_that_is_not_connected_is_409(stack, api, user, create_session) -> None:
    session = create_session(user)
    before = row_counts(stack)
    body = {"session_id": session["id"], "to": "15551234567", "text": "hi"}
    response = api.post("/api/messages/send", json=body, headers=user.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "session_not_connected")
    assert row_counts(stack) == before


def test_send_without_a_live_owner_leaves_the_row_queued(
    stack, api, user, create_session, make_runner
) -> None:
    """The database is the source of truth: the session's next owner sends what is still queued."""
    session = create_session(user)
    runner = make_runner()
    stack.sql(
        "update public.whatsapp_web_sessions set status = 'connected', runner_id = %s,"
        " lease_expires_at = now() - interval '1 s' where id = %s",
        (runner.runner_id, session["id"]),
    )
    body = {"session_id": session["id"], "to": "15551234567", "text": "later"}
    response = api.post("/api/messages/send", json=body, headers=user.headers)
    assert response.status_code == 202
    assert take_commands(stack.sqs(), runner.queue_url, for_session(session["id"]), timeout_s=1) == []
    assert stack.sql(
        "select status from public.whatsapp_web_messages where id = %s", (response.json()["message"]["id"],)
    ) == [("queued",)]


def test_send_is_undone_when_the_command_cannot_be_sent(
    stack, api, user, create_session, make_runner, hold_session
) -> None:
    session = create_session(user)
    runner = make_runner()
    hold_session(session["id"], runner)
    stack.sqs().delete_queue(QueueUrl=runner.queue_url)  # the runner's queue is gone
    before = row_counts(stack)
    body = {"session_id": session["id"], "to": "15551234567", "text": "lost?"}
    response = api.post("/api/messages/send", json=body, headers=user.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (503, "queue_unavailable")
    assert response.headers["retry-after"]
    assert row_counts(stack) == before  # no half-written message


def _insert_messages(stack, session: dict, count: int, *, same_timestamp: bool = False) -> None:
    stack.sql(
        "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
        " to_number, direction, content, status, timestamp)"
        " select %s, %s, 'wa-' || n, '15550001111', '15550002222', 'inbound', 'message ' || n, 'received',"
        " case when %s then timestamp '2026-11-25 12:00:00' at time zone 'UTC'"
        "      else timestamp '2026-11-25 12:00:00' at time zone 'UTC' + n * interval '1.5 s' end"
        " from generate_series(1, %s) as n",
        (session["id"], session["chatbot_id"], same_timestamp, count),
    )


def _all_pages(api, user, session_id: str, limit: int) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"before": cursor} if cursor else {})}
        response = api.get(f"/api/sessions/{session_id}/messages", params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        pages.append(response.json()["messages"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


def test_history_is_paginated_newest_first(stack, api, user, create_session) -> None:
    session = create_session(user)
    _insert_messages(stack, session, 7)
    pages = _all_pages(api, user, session["id"], 3)
    assert [len(page) for page in pages] == [3, 3, 1]
    contents = [message["content"] for page in pages for message in page]
    assert contents == [f"message {n}" for n in range(7, 0, -1)]
    assert set(pages[0][0]) == {
        "id",
        "session_id",
        "message_id",
        "direction",
        "from_number",
        "to_number",
        "content",
        "status",
        "ack",
        "timestamp",
        "reply_to",
        "error",
        "error_code",
        "chat_id",
        "customer_phone",
        "customer_lid",
        "edited_at",
        "revoked_at",
        "type",
        "media",
        "media_error",
        "location",
        "contact",
    }
    assert pages[0][0]["type"] == "chat" and pages[0][0]["media"] is None


def test_history_pages_are_exact_when_timestamps_tie(stack, api, user, create_session) -> None:
    session = create_session(user)
    _insert_messages(stack, session, 5, same_timestamp=True)
    pages = _all_pages(api, user, session["id"], 2)
    ids = [message["id"] for page in pages for message in page]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert len(set(ids)) == 5 and ids == sorted(ids, reverse=True)


def test_history_default_page_and_empty_history(stack, api, user, create_session) -> None:
    session = create_session(user)
    response = api.get(f"/api/sessions/{session['id']}/messages", headers=user.headers)
    assert response.json() == {"messages": [], "next_cursor": None}
    _insert_messages(stack, session, 51)
    first = api.get(f"/api/sessions/{session['id']}/messages", headers=user.headers).json()
    assert len(first["messages"]) == 50 and first["next_cursor"]


def test_history_rejects_bad_parameters(api, user, create_session) -> None:
    session = create_session(user)
    path = f"/api/sessions/{session['id']}/messages"
    for params, code in [
        ({"limit": "0"}, "invalid_parameter"),
        ({"limit": "201"}, "invalid_parameter"),
        ({"limit": "abc"}, "invalid_parameter"),
        ({"before": "not-a-cursor"}, "invalid_cursor"),
        ({"before": "WyJ4IiwieSJd"}, "invalid_cursor"),  # ["x","y"]
    ]:
        response = api.get(path, params=params, headers=user.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (400, code), params


def test_a_cursor_of_my_session_reveals_nothing_of_others(
    stack, api, user, other_user, create_session
) -> None:
    mine, theirs = create_session(user), create_session(other_user)
    _insert_messages(stack, mine, 3)
    _insert_messages(stack, theirs, 3)
    cursor = api.get(f"/api/sessions/{mine['id']}/messages?limit=1", headers=user.headers).json()[
        "next_cursor"
    ]
    response = api.get(
        f"/api/sessions/{theirs['id']}/messages", params={"before": cursor}, headers=user.headers
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "session_not_found")
