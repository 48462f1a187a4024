"""Chatbots have owners (issue: user A could create a session for user B's chatbot, and A's
customers were answered by B's bot). The first user who links a chatbot owns it; anyone else's
create, rotation or listing finds nothing, as if it did not exist. A deployment whose app keeps
its own chatbots table says who owns what by replacing one SQL function."""

from __future__ import annotations

import time
import uuid

from tests.e2e import ApiUser, Simulator, fresh_number, wait_for

OWNER_FUNCTION = """
create or replace function public.wagate_chatbot_owner(p_chatbot_id uuid) returns uuid
language sql stable security definer set search_path = '' as
$$ select c.owner_id from public.test_app_chatbots c where c.id = p_chatbot_id $$
"""
DEFAULT_OWNER_FUNCTION = """
create or replace function public.wagate_chatbot_owner(p_chatbot_id uuid) returns uuid
language sql stable security definer set search_path = '' as
$$ select c.user_id from public.wagate_chatbots c where c.chatbot_id = p_chatbot_id $$
"""


def test_another_users_chatbot_cannot_be_linked_rotated_or_seen(stack, user: ApiUser) -> None:
    intruder = ApiUser(stack)
    try:
        chatbot_id = str(uuid.uuid4())
        user.create_session(chatbot_id=chatbot_id, bot_endpoint="http://127.0.0.1:9/bot")
        sessions_before = stack.sql("select count(*) from public.whatsapp_web_sessions")
        taken = intruder.http.post("/api/sessions/create", json={"chatbot_id": chatbot_id})
        assert (taken.status_code, taken.json()["error"]["code"]) == (404, "chatbot_not_found")
        assert stack.sql("select count(*) from public.whatsapp_web_sessions") == sessions_before
        unknown = intruder.http.post(f"/api/chatbots/{uuid.uuid4()}/rotate-secret")
        rotated = intruder.http.post(f"/api/chatbots/{chatbot_id}/rotate-secret")
        assert rotated.status_code == unknown.status_code == 404
        assert rotated.json() == {**unknown.json()}  # the same answer as for nothing at all
        assert chatbot_id not in intruder.http.get("/api/chatbots").text
        assert chatbot_id in user.http.get("/api/chatbots").text
        # the owner still can
        assert user.http.post(f"/api/chatbots/{chatbot_id}/rotate-secret").status_code == 200
        assert user.http.post("/api/sessions/create", json={"chatbot_id": chatbot_id}).status_code == 201
    finally:
        intruder.delete_all_sessions()


def test_an_apps_own_chatbots_table_decides_through_one_function(stack, user: ApiUser) -> None:
    intruder = ApiUser(stack)
    owned, nobodys = str(uuid.uuid4()), str(uuid.uuid4())
    stack.sql("create table if not exists public.test_app_chatbots (id uuid primary key, owner_id uuid)")
    stack.sql("insert into public.test_app_chatbots values (%s, %s)", (owned, user.user_id))
    stack.sql(OWNER_FUNCTION)
    try:
        refused = intruder.http.post("/api/sessions/create", json={"chatbot_id": owned})
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "chatbot_not_found")
        assert user.http.post("/api/sessions/create", json={"chatbot_id": owned}).status_code == 201
        for who in (user, intruder):  # a chatbot the app does not know is nobody's
            missing = who.http.post("/api/sessions/create", json={"chatbot_id": nobodys})
            assert (missing.status_code, missing.json()["error"]["code"]) == (404, "chatbot_not_found")
    finally:
        stack.sql(DEFAULT_OWNER_FUNCTION)
        stack.sql("drop table public.test_app_chatbots")
        intruder.delete_all_sessions()


def test_a_session_whose_user_lost_the_chatbot_is_not_answered_by_it(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    """Checked again at call time: a session created before owners existed (or whose chatbot the
    app gave to someone else) does not reach the chatbot; its messages fail saying why."""
    session, phone = user.link(simulator)
    customer = fresh_number("4917")
    simulator.send(customer, phone, "before")
    wait_for(lambda: simulator.texts_received(customer) == ["You said: before"], what="the first reply")
    someone_else, _token = stack.create_user()
    stack.sql(
        "update public.wagate_chatbots set user_id = %s where chatbot_id = %s",
        (someone_else, session["chatbot_id"]),
    )
    try:
        time.sleep(1.5)  # the runners' cached profile (BOT_PROFILE_TTL_S, 1 s in tests) runs out
        simulator.send(customer, phone, "after")
        failed = wait_for(
            lambda: [
                m for m in user.messages(session["id"]) if m["content"] == "after" and m["status"] == "failed"
            ],
            what="the message to fail",
        )
        assert failed[0]["error_code"] == "chatbot_not_found"
        assert simulator.texts_received(customer) == ["You said: before"]
    finally:
        stack.sql("delete from auth.users where id = %s", (someone_else,))
