"""The runner against the WhatsApp Web of 2026 (the simulator's default build profile), end to end
through the public API and the simulator's control API: LID customers (phone visible or hidden)
answered in the chat they wrote from, an API send by phone number reaching a LID chat, undecrypted
messages, late modules, edits and deletions, system messages, media captions, refused sends,
disappearing chats, passkey linking."""

from __future__ import annotations

import base64
import json
import uuid

from devstack.chatbots import RecordingEndpoint
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from wagate import media_av


def _inbound(user: ApiUser, session_id: str, customer_chat: str | None = None) -> list[dict]:
    return [
        m
        for m in user.messages(session_id)
        if m["direction"] == "inbound" and (customer_chat is None or m["chat_id"] == customer_chat)
    ]


def test_lid_customers_are_answered_in_their_chat_with_the_phone_when_known(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    with RecordingEndpoint(reply="answered by lid") as bot:
        session, phone = user.link(simulator, bot_endpoint=bot.url)
        visible, hidden = fresh_number("4917"), fresh_number("4917")
        simulator.send(visible, phone, "I show my number", addressing="lid")
        simulator.send(hidden, phone, "I hide my number", addressing="lid", phone_visible=False)
        for customer in (visible, hidden):
            wait_for(lambda c=customer: simulator.texts_received(c) == ["answered by lid"], what="the reply")
            (received,) = simulator.received(customer)
            assert received["chat"].endswith("@lid"), "the reply went into the customer's LID chat"
        rows = {m["content"]: m for m in _inbound(user, session["id"])}
        shown, secret = rows["I show my number"], rows["I hide my number"]
        assert shown["chat_id"].endswith("@lid") and shown["customer_phone"] == visible
        assert shown["customer_lid"] == shown["chat_id"].split("@")[0] and shown["from_number"] == visible
        assert secret["customer_phone"] is None and secret["from_number"] == secret["chat_id"]
        assert visible not in json.dumps(secret) and hidden not in json.dumps(secret)
        payloads = {
            json.loads(call["body"])["message"]["text"]: json.loads(call["body"]) for call in bot.calls
        }
        assert payloads["I show my number"]["customer"]["phone"] == visible
        assert payloads["I show my number"]["customer"]["country"] == "DE"  # a +49 number
        assert payloads["I hide my number"]["customer"] == {
            "phone": None,
            "lid": secret["customer_lid"],
            "name": "Customer",
            "country": None,  # nothing to tell it from
        }
        assert payloads["I hide my number"]["conversation_id"] == f"{session['id']}:{secret['customer_lid']}"
        assert payloads["I show my number"]["conversation_id"] == f"{session['id']}:{visible}"
        # replies are stored in the chat they went into
        replies = [m for m in user.messages(session["id"]) if m["direction"] == "outbound"]
        assert {m["chat_id"] for m in replies} == {shown["chat_id"], secret["chat_id"]}


def test_a_customer_keeps_their_phone_and_conversation_when_whatsapp_later_hides_it(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    """The page forgets a LID's phone number (a reload, another runner); the session does not."""
    with RecordingEndpoint(reply="still you") as bot:
        session, phone = user.link(simulator, bot_endpoint=bot.url)
        customer = fresh_number("4917")
        simulator.send(customer, phone, "my number is visible", addressing="lid")
        wait_for(lambda: len(simulator.received(customer)) == 1, what="the first reply")
        wait_for(lambda: _checkpointed(stack, session["id"]), 20, what="the first checkpoint")
        ((epoch,),) = stack.sql("select epoch from whatsapp_web_sessions where id = %s", (session["id"],))
        assert user.http.post(f"/api/sessions/{session['id']}/restart").status_code == 202
        wait_for(
            lambda: stack.sql(
                "select 1 from whatsapp_web_sessions where id = %s and status = 'connected' and epoch > %s",
                (session["id"], epoch),
            ),
            45,
            what="the restarted session connected again",
        )
        simulator.send(customer, phone, "now I hide it", addressing="lid", phone_visible=False)
        wait_for(lambda: len(simulator.received(customer)) == 2, what="the second reply")
        rows = {m["content"]: m for m in _inbound(user, session["id"])}
        assert rows["now I hide it"]["customer_phone"] == customer
        assert rows["now I hide it"]["from_number"] == customer
        assert rows["now I hide it"]["chat_id"] == rows["my number is visible"]["chat_id"]
        conversations = {json.loads(call["body"])["conversation_id"] for call in bot.calls}
        assert conversations == {f"{session['id']}:{customer}"}, "one customer, one conversation"


def _checkpointed(stack, session_id: str) -> bool:
    listed = stack.s3().list_objects_v2(
        Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Prefix=f"checkpoints/{session_id}/"
    )
    return bool(listed.get("Contents"))


def test_an_api_send_by_phone_reaches_the_customers_lid_chat(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    customer = fresh_number("4917")
    simulator.send(customer, phone, "hi from my lid", addressing="lid")
    wait_for(lambda: len(simulator.received(customer)) == 1, what="the bot's reply")
    lid_chat = simulator.received(customer)[0]["chat"]
    sent = user.http.post(
        "/api/messages/send", json={"session_id": session["id"], "to": customer, "text": "your order shipped"}
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["message"]["chat_id"] == lid_chat
    wait_for(lambda: len(simulator.received(customer)) == 2, what="the API's message")
    assert simulator.received(customer)[1]["chat"] == lid_chat
    # a number never seen: opened through WhatsApp's lookup (the page learns the LID), not refused
    stranger = fresh_number("4917")
    sent = user.http.post(
        "/api/messages/send", json={"session_id": session["id"], "to": stranger, "text": "hello stranger"}
    )
    assert sent.status_code == 202
    wait_for(lambda: simulator.texts_received(stranger) == ["hello stranger"], what="the first message")
    assert simulator.received(stranger)[0]["chat"].endswith("@lid")


def test_an_undecrypted_message_is_answered_once_it_decrypts_or_failed_if_never(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    late, never = fresh_number("4917"), fresh_number("4917")
    simulator.send(late, phone, "decrypted in a second", ciphertext_ms=1000)
    simulator.send(never, phone, "never readable", ciphertext_ms=-1)
    wait_for(lambda: simulator.texts_received(late) == ["You said: decrypted in a second"], what="the reply")
    failed = wait_for(
        lambda: [m for m in _inbound(user, session["id"]) if m["error_code"] == "message_undecryptable"],
        what="the undecryptable message recorded as failed",
    )
    assert failed[0]["status"] == "failed" and failed[0]["from_number"] == never
    assert simulator.received(never) == []
    assert len(_inbound(user, session["id"])) == 2  # each stored once


def test_a_session_whose_chat_modules_register_20_s_late_connects_and_answers(
    stack, simulator: Simulator, faults, user: ApiUser
) -> None:
    """Its own runner (WA_MODULES_WAIT_S 40, the default) on its own start queue: the shared ones
    wait 8 s and would fail it, as they should for a module really missing."""
    from wagate.commands import Command, CommandType
    from wagate.queues import CommandQueues

    simulator.post("/control/config", {"late_modules_ms": 20_000})
    sqs = stack.sqs()
    queue_url = sqs.create_queue(QueueName=f"wagate-late-modules-{fresh_number('9')}")["QueueUrl"]
    runner = stack.start_runner(
        simulator.url + "/", WAGATE_START_QUEUE_URL=queue_url, WARM_PAGE="0", WA_MODULES_WAIT_S="40"
    )
    try:
        created = {"id": str(uuid.uuid4())}
        stack.sql(  # a session of this user that only this runner's queue hears of
            "with bot as (insert into public.wagate_chatbots (chatbot_id, user_id)"
            " values (gen_random_uuid(), %s) returning chatbot_id)"
            " insert into public.whatsapp_web_sessions (id, user_id, chatbot_id, session_id)"
            " select %s, %s, bot.chatbot_id, %s from bot",
            (user.user_id, created["id"], user.user_id, f"wa_late_{created['id'][:8]}"),
        )
        CommandQueues(queue_url, client=sqs).send_start(Command(CommandType.START, created["id"]))
        phone = fresh_number()
        wait_for(lambda: user.session(created["id"])["status"] == "qr_ready", 60, what="a QR code at once")
        simulator.scan(user.qr_string(created["id"]), phone)
        user.wait_status(created["id"], "connected", timeout_s=60)
        customer = fresh_number("4917")
        simulator.send(customer, phone, "are your modules there?")
        wait_for(lambda: simulator.texts_received(customer) == ["You said: are your modules there?"], 60)
        user.http.delete(f"/api/sessions/{created['id']}")
    finally:
        simulator.post("/control/config", {"late_modules_ms": 0})
        stack.runners.stop(runner)
        sqs.delete_queue(QueueUrl=queue_url)


def test_edits_deletions_system_messages_and_media_captions(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    customer = fresh_number("4917")
    typo = simulator.send(customer, phone, "helo")
    wait_for(lambda: len(simulator.received(customer)) == 1, what="the reply")
    simulator.http.post("/control/messages/edit", json={"id": typo, "text": "hello"})
    wait_for(lambda: _inbound(user, session["id"])[0]["edited_at"], what="the edit recorded")
    assert _inbound(user, session["id"])[0]["content"] == "hello"
    simulator.http.post("/control/messages/revoke", json={"id": typo})
    wait_for(lambda: _inbound(user, session["id"])[0]["revoked_at"], what="the deletion recorded")
    # a changed security code and a missed call are not customer messages: not stored, not answered
    simulator.send(customer, phone, None, type="e2e_notification")
    simulator.send(customer, phone, None, type="call_log")
    # a photo's text is its caption, never the thumbnail WhatsApp Web keeps in the body
    photo = media_av.sample_image("part")
    simulator.send(
        customer,
        phone,
        None,
        type="image",
        caption="the broken part",
        media={"data_b64": base64.b64encode(photo).decode(), "mime": "image/jpeg"},
    )
    wait_for(lambda: len(simulator.received(customer)) == 2, what="the photo answered")
    (photo_row,) = [m for m in _inbound(user, session["id"]) if m["type"] == "image"]
    assert photo_row["content"] == "the broken part" and photo_row["status"] == "replied"
    assert len(_inbound(user, session["id"])) == 2
    assert simulator.texts_received(customer)[1].endswith("bytes): the broken part")


def test_a_send_whatsapp_refuses_is_failed_not_sent(
    simulator: Simulator, faults, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    customer = fresh_number("4917")
    simulator.send(customer, phone, "first")
    wait_for(lambda: len(simulator.received(customer)) == 1, what="the first reply")
    faults.post("/control/faults/absent", {"numbers": [customer]})  # the account is gone now
    simulator.send(customer, phone, "second")
    refused = wait_for(
        lambda: [
            m
            for m in user.messages(session["id"])
            if m["direction"] == "outbound" and m["status"] == "failed"
        ],
        what="the refused reply failed",
    )
    assert refused[0]["error_code"] in ("send_failed", "send_refused"), refused[0]
    assert simulator.received(customer)[-1]["ack"] == -1  # WhatsApp did not deliver it


def test_replies_in_a_disappearing_chat_disappear_too(simulator: Simulator, runners, user: ApiUser) -> None:
    _session, phone = user.link(simulator)
    customer = fresh_number("4917")
    simulator.send(customer, phone, "this chat disappears", ephemeral_s=604_800)
    wait_for(lambda: len(simulator.received(customer)) == 1, what="the reply")
    assert simulator.received(customer)[0]["ephemeral_s"] == 604_800


def test_linking_that_asks_for_a_passkey_says_so_then_connects(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    created = user.create_session()
    user.wait_status(created["id"], "qr_ready")
    phone = fresh_number()
    answer = simulator.http.post(
        "/control/scan", json={"qr": user.qr_string(created["id"]), "phone": phone, "passkey": True}
    )
    assert answer.json()["passkey_required"] is True
    waiting = wait_for(
        lambda: (s := user.session(created["id"]))["last_error_code"] == "passkey_required" and s,
        what="the session to say the phone asks for a passkey",
    )
    assert waiting["status"] == "authenticating" and "passkey" in waiting["last_error"]
    simulator.http.post("/control/passkey", json={"phone": phone})
    connected = user.wait_status(created["id"], "connected")
    assert connected["last_error_code"] is None
