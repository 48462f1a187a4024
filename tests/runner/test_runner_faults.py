"""Faults at the runner's level: each ends in the right status, nothing lost, nothing sent twice."""

from __future__ import annotations

import time

import pytest

from tests.e2e import ApiUser, Simulator, fresh_number, wait_for


def _inbound(user: ApiUser, session_id: str) -> list[dict]:
    return [m for m in user.messages(session_id) if m["direction"] == "inbound"]


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ({"mode": "down"}, "HTTP 503"),
        ({"failure_rate": 1.0}, "HTTP 500"),
        ({"delay_ms": 3000}, "did not answer within"),
        ({"mode": "garbage"}, "not JSON"),
    ],
    ids=["down", "5xx", "slow", "garbage"],
)
def test_chatbot_failures_are_recorded_on_the_message(
    simulator: Simulator, runners, user: ApiUser, bot, behaviour: dict, reason: str
) -> None:
    session, phone = user.link(simulator)
    bot(**behaviour)
    customer = fresh_number("4917")
    simulator.send(customer, phone, "anyone there?")
    failed = wait_for(
        lambda: [m for m in _inbound(user, session["id"]) if m["status"] == "failed"],
        timeout_s=40,
        what="the inbound message to be marked failed",
    )
    assert len(failed) == 1
    assert reason in failed[0]["error"]
    assert simulator.received(customer) == []
    # The session itself is fine: once the bot is back, the next message is answered.
    bot(delay_ms=0, failure_rate=0, mode="echo")
    simulator.send(customer, phone, "hello again")
    wait_for(lambda: simulator.texts_received(customer) == ["You said: hello again"], what="the next reply")


def test_a_missing_module_fails_the_session_naming_it(
    simulator: Simulator, faults, runners, user: ApiUser
) -> None:
    """WhatsApp Web is updated and a module the bridge needs is gone: a session whose page loads
    the new version fails, naming the module, once the chat modules' wait budget is over (they may
    register late: WA_MODULES_WAIT_S, 8 s in tests). (Each runner keeps one page loaded ahead; one
    loaded before the update still runs the old version, so the first sessions may start on those:
    with two runners, the third session at the latest loads the new one.)"""
    faults.post("/control/faults/module", {"name": "WAWebSendMsgChatAction"})
    for _ in range(3):
        created = user.create_session()
        try:
            session = user.wait_status(created["id"], "failed", timeout_s=25)
        except AssertionError:
            continue  # an old page: it never fails
        assert session["last_error_code"] == "whatsapp_web_changed"
        assert "WAWebSendMsgChatAction" in session["last_error"]
        return
    raise AssertionError("no session loaded the updated WhatsApp Web")


def test_duplicate_add_events_are_stored_and_answered_once(
    simulator: Simulator, faults, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    faults.post("/control/faults/duplicate", {"enabled": True})
    customer = fresh_number("4917")
    simulator.send(customer, phone, "only once please")
    wait_for(lambda: simulator.texts_received(customer) == ["You said: only once please"], what="the reply")
    time.sleep(1.5)  # give a second reply, if there were one, the time to arrive
    assert simulator.texts_received(customer) == ["You said: only once please"]
    assert [m["content"] for m in _inbound(user, session["id"])] == ["only once please"]


def test_several_replies_and_no_reply(simulator: Simulator, runners, user: ApiUser) -> None:
    session, phone = user.link(simulator)
    customer = fresh_number("4917")
    simulator.send(customer, phone, "!multi")
    wait_for(
        lambda: simulator.texts_received(customer) == ["First answer.", "Second answer."], what="two replies"
    )
    simulator.send(customer, phone, "!none")
    replied = wait_for(
        lambda: [
            m for m in _inbound(user, session["id"]) if m["content"] == "!none" and m["status"] == "replied"
        ],
        what="the silent message to be marked replied",
    )
    assert replied
    assert simulator.texts_received(customer) == ["First answer.", "Second answer."]


def test_one_chat_is_answered_in_order(simulator: Simulator, runners, user: ApiUser) -> None:
    _session, phone = user.link(simulator)
    customer = fresh_number("4917")
    for i in range(5):
        simulator.send(customer, phone, f"message {i}")
    expected = [f"You said: message {i}" for i in range(5)]
    wait_for(lambda: simulator.texts_received(customer) == expected, what="five replies in order")


def test_a_command_that_keeps_failing_goes_to_the_dead_letter_queue(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    import json
    import uuid

    session, _phone = user.link(simulator)
    [(queue_url,)] = stack.sql(
        "select r.queue_url from whatsapp_web_runners r"
        " join whatsapp_web_sessions s on s.runner_id = r.runner_id where s.id = %s",
        (session["id"],),
    )
    poison = {
        "type": "send",
        "session_id": session["id"],
        "epoch": 0,
        "id": str(uuid.uuid4()),
        "payload": {"message_id": "not-a-row-id"},
    }
    stack.sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps(poison))
    failed = user.wait_status(session["id"], "failed", timeout_s=60)
    assert failed["last_error_code"] == "command_failed"
    assert "send command failed 3 time(s)" in failed["last_error"]

    def in_dlq() -> list:
        got = stack.sqs().receive_message(QueueUrl=f"{queue_url}-dlq", WaitTimeSeconds=1)
        return [m for m in got.get("Messages", []) if json.loads(m["Body"])["id"] == poison["id"]]

    wait_for(in_dlq, timeout_s=40, what="the poison command in the dead-letter queue")
