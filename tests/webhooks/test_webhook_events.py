"""Every event type arrives, signed, with the right payload, after the action that causes it:
a session created, shown a QR, linked, disconnected; a customer's message received, answered
(replied, sent, delivered and read), a send through the API, a chatbot failing. The receiver
verifies every request with the `standardwebhooks` package; the payloads are compared with what
the API itself shows of the same session and messages."""

from __future__ import annotations

import uuid

from devstack.process import Running
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from tests.webhooks.conftest import ALL_EVENTS
from tests.webhooks.receiver import Receiver

ENVELOPE = {"id", "type", "created_at", "user_id", "session_id", "chatbot_id", "data"}


def _arrived(receiver: Receiver, event_type: str, match=lambda body: True, timeout_s: float = 30) -> dict:
    def found() -> dict | None:
        return next((b for b in receiver.accepted_of(event_type) if match(b)), None)

    return wait_for(found, timeout_s, what=f"a {event_type} event")  # type: ignore[return-value]


def test_every_event_type_arrives_signed_with_its_payload(
    user: ApiUser, simulator: Simulator, runner: Running, receiver: Receiver, hook, bot
) -> None:
    webhook = hook(ALL_EVENTS)
    chatbot_id = str(uuid.uuid4())
    created = user.create_session(chatbot_id=chatbot_id)
    sid = created["id"]

    # session.status for each step of the link, and session.qr without the code
    qr = _arrived(receiver, "session.qr", lambda b: b["session_id"] == sid)
    assert set(qr) == ENVELOPE and qr["user_id"] == user.user_id and qr["chatbot_id"] == chatbot_id
    assert qr["data"]["qr_expires_at"] and "qr_code" not in qr["data"]
    phone = fresh_number()
    user.connect(created, simulator, phone)
    connected = _arrived(receiver, "session.status", lambda b: b["data"]["status"] == "connected")
    assert connected["session_id"] == sid and connected["data"]["phone_number"] == phone
    statuses = [b["data"]["status"] for b in receiver.accepted_of("session.status") if b["session_id"] == sid]
    assert statuses[0] == "pending" and {"qr_ready", "authenticating", "connected"} <= set(statuses)
    assert statuses.index("qr_ready") < statuses.index("authenticating") < statuses.index("connected")

    # a customer writes: received, replied (with the reply), sent, delivered and read
    customer = fresh_number("4916")
    simulator.send(customer, phone, "hello hooks")
    received = _arrived(
        receiver, "message.received", lambda b: b["data"]["message"]["content"] == "hello hooks"
    )
    inbound = received["data"]["message"]
    assert inbound["direction"] == "inbound" and inbound["customer_phone"] == customer
    replied = _arrived(receiver, "message.replied", lambda b: b["data"]["message"]["id"] == inbound["id"])
    (reply,) = replied["data"]["replies"]
    assert reply["content"] == "You said: hello hooks" and reply["reply_to"] == inbound["id"]
    sent = _arrived(receiver, "message.sent", lambda b: b["data"]["message"]["id"] == reply["id"])
    assert sent["data"]["message"]["status"] == "sent"
    read = _arrived(
        receiver,
        "message.ack",
        lambda b: b["data"]["message"]["id"] == reply["id"] and b["data"]["state"] == "read",
    )
    assert read["data"]["ack"] == 3 and read["data"]["message"]["ack"] == 3
    # acks are stored as they rise, once a second at most: delivered and read in the same second
    # are one event (read); each event's ack is higher than the one before
    acks = [
        b["data"]["ack"]
        for b in receiver.accepted_of("message.ack")
        if b["data"]["message"]["id"] == reply["id"]
    ]
    assert acks == sorted(set(acks)) and set(acks) <= {2, 3}

    # the message objects are the API's own
    by_id = {m["id"]: m for m in user.messages(sid)}
    api_inbound = by_id[inbound["id"]]
    assert set(inbound) == set(api_inbound)
    for name in (
        "id",
        "session_id",
        "message_id",
        "direction",
        "from_number",
        "to_number",
        "content",
        "chat_id",
    ):
        assert inbound[name] == api_inbound[name], name

    # a send through the API
    to = fresh_number("4917")
    response = user.http.post(
        "/api/messages/send", json={"session_id": sid, "to": to, "text": "from the API"}
    )
    assert response.status_code in (200, 201, 202), response.text
    _arrived(receiver, "message.sent", lambda b: b["data"]["message"]["content"] == "from the API")

    # the chatbot failing: the customer's message fails, with the reason
    bot(failure_rate=1)
    simulator.send(customer, phone, "nobody answers")
    failed = _arrived(
        receiver, "message.failed", lambda b: b["data"]["message"]["content"] == "nobody answers", 60
    )
    assert failed["data"]["error_code"] and failed["data"]["error"]
    bot(failure_rate=0)

    # disconnected
    assert user.http.post("/api/sessions/disconnect", json={"session_id": sid}).status_code == 202
    _arrived(
        receiver, "session.status", lambda b: b["session_id"] == sid and b["data"]["status"] == "disconnected"
    )

    # every request verified; each event's id unique among what was accepted
    assert all(s.verified for s in receiver.seen), "every request carries a valid signature"
    ids = [s.webhook_id for s in receiver.accepted()]
    assert len(ids) == len(set(ids))
    assert all(s.body["id"] == s.webhook_id for s in receiver.accepted())
    assert webhook["id"]


def test_an_endpoint_gets_only_what_it_subscribed_to_and_its_scope(
    user: ApiUser, simulator: Simulator, runner: Running, receiver: Receiver, hook
) -> None:
    mine = str(uuid.uuid4())
    user.create_session(chatbot_id=mine)  # the user owns the chatbot from here
    hook(["session.status"], chatbot_id=mine)
    scoped, elsewhere = user.create_session(chatbot_id=mine), user.create_session()
    user.wait_status(scoped["id"], "qr_ready")
    user.wait_status(elsewhere["id"], "qr_ready")
    _arrived(
        receiver,
        "session.status",
        lambda b: b["session_id"] == scoped["id"] and b["data"]["status"] == "qr_ready",
    )
    types = {s.body["type"] for s in receiver.accepted()}
    chatbots = {s.body["chatbot_id"] for s in receiver.accepted()}
    assert types == {"session.status"}, "no session.qr: not subscribed"
    assert chatbots == {mine}, "scoped to one chatbot"
    assert elsewhere["id"] not in {s.body["session_id"] for s in receiver.accepted()}
