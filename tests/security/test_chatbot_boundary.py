"""The boundary between wagate and the chatbots it calls (issue: a tenant could obtain the
service-role key). A tenant's own endpoint gets the customer's message and a Standard Webhooks
signature made with its chatbot's own secret, and nothing wagate holds; the project's avatar-chat
gets the anon key (Supabase's gateway wants a JWT) and the signature; the local avatar-chat, like
a deployed one should, refuses calls that are unsigned, stale or signed with another secret."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from devstack.chatbots import RecordingEndpoint
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from tests.security.test_secrets import JWT_LIKE, key_material, spellings
from wagate.signing import signature_headers


def _wagate_keys(stack) -> dict[str, str]:
    """Everything wagate holds that no chatbot may ever see."""
    return {
        **key_material(stack),
        "the anon key": stack.env["SUPABASE_ANON_KEY"],
        "the avatar-chat signing secret": stack.env["AVATAR_CHAT_SIGNING_SECRET"],
    }


def _leaks(request: dict, keys: dict[str, str]) -> list[str]:
    raw = request["head"].encode() + b"\r\n" + request["body"]
    found = [name for name, value in keys.items() if any(form in raw for form in spellings(value))]
    found += [f"a JWT: {token[:20]!r}" for token in JWT_LIKE.findall(raw)]
    found += [f"a {name} header" for name in ("authorization", "apikey") if name in request["headers"]]
    return found


def test_a_tenants_endpoint_gets_no_key_and_a_signature_it_can_verify(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    """The attack of the issue: a tenant points its chatbot at a server of its own and writes to
    its own number. The server records every header; the first call is answered 503 so the retry
    shows the same message id."""
    with RecordingEndpoint(statuses=[503]) as endpoint:
        created = user.create_session(bot_endpoint=endpoint.url)
        secret = created["bot_signing_secret"]
        phone = fresh_number("4930")
        session = user.connect(created, simulator, phone)
        customer = fresh_number("4917")
        simulator.send(customer, phone, "is my key safe?")
        wait_for(
            lambda: simulator.texts_received(customer) == ["answered by my own bot"],
            what="the tenant's own bot's reply",
        )
    first, retry = endpoint.calls
    keys = _wagate_keys(stack)
    for call in (first, retry):
        assert _leaks(call, keys) == []
        payload = Webhook(secret).verify(call["body"], call["headers"])
        assert payload["message"]["text"] == "is my key safe?"
        assert payload["session_id"] == session["id"] and payload["chatbot_id"] == created["chatbot_id"]
        with pytest.raises(WebhookVerificationError):  # the project's secret is not the tenant's
            Webhook(stack.env["AVATAR_CHAT_SIGNING_SECRET"]).verify(call["body"], call["headers"])
    assert (
        first["headers"]["webhook-id"]
        == retry["headers"]["webhook-id"]
        == first["headers"]["idempotency-key"]
    )


def test_the_projects_avatar_chat_gets_the_anon_key_and_a_signature_only(
    stack, simulator: Simulator, runners, user: ApiUser, bot
) -> None:
    _session, phone = user.link(simulator)
    customer = fresh_number("4917")
    simulator.send(customer, phone, "hello avatar-chat")
    wait_for(lambda: simulator.texts_received(customer) == ["You said: hello avatar-chat"], what="the reply")
    headers = bot()["last_headers"]
    anon = stack.env["SUPABASE_ANON_KEY"]
    assert headers["authorization"] == f"Bearer {anon}" and headers["apikey"] == anon
    service = stack.env["SUPABASE_SERVICE_ROLE_KEY"]
    assert not any(service in value for value in headers.values())
    assert headers["webhook-signature"].startswith("v1,") and headers["webhook-id"]


def _signed_call(stack, body: bytes, *, secret: str | None = None, age_s: float = 0.0) -> httpx.Response:
    anon = stack.env["SUPABASE_ANON_KEY"]
    headers = {"Authorization": f"Bearer {anon}", "Content-Type": "application/json"}
    if secret is not None:
        when = datetime.now(UTC) - timedelta(seconds=age_s)
        headers.update(signature_headers([secret], message_id=str(uuid.uuid4()), body=body, now=when))
    return httpx.post(f"{stack.supabase_url}/functions/v1/avatar-chat", content=body, headers=headers)


def test_the_local_avatar_chat_refuses_unsigned_stale_and_foreign_calls(stack) -> None:
    body = json.dumps({"message": {"text": "who is calling?"}}).encode()
    secret = stack.env["AVATAR_CHAT_SIGNING_SECRET"]
    assert _signed_call(stack, body, secret=secret).json() == {
        "replies": [{"text": "You said: who is calling?"}]
    }
    assert _signed_call(stack, body).status_code == 401  # unsigned
    assert _signed_call(stack, body, secret=secret, age_s=600).status_code == 401  # replayed later
    other = "whsec_" + "A" * 43 + "="
    assert _signed_call(stack, body, secret=other).status_code == 401  # someone else's secret
    tampered = httpx.post(
        f"{stack.supabase_url}/functions/v1/avatar-chat",
        content=body.replace(b"who", b"you"),
        headers={
            "Authorization": f"Bearer {stack.env['SUPABASE_ANON_KEY']}",
            **signature_headers([secret], message_id="m1", body=body),
        },
    )
    assert tampered.status_code == 401
    no_jwt = httpx.post(
        f"{stack.supabase_url}/functions/v1/avatar-chat",
        content=body,
        headers=signature_headers([secret], message_id="m2", body=body),
    )
    assert no_jwt.status_code == 401  # Supabase's gateway: verify_jwt


def test_a_rotated_secret_overlaps_then_the_new_one_alone_signs(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    """Rotation through the API: the old secret keeps verifying while the overlap lasts (calls
    carry both signatures), and the new one verifies at once. An API with no overlap shows the
    old one dropped."""
    with RecordingEndpoint() as endpoint:
        created = user.create_session(bot_endpoint=endpoint.url)
        old = created["bot_signing_secret"]
        phone = fresh_number("4930")
        user.connect(created, simulator, phone)
        rotated = user.http.post(f"/api/chatbots/{created['chatbot_id']}/rotate-secret")
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["signing_secret"]
        assert new != old and rotated.json()["previous_valid_until"]
        time.sleep(1.5)  # the runners keep a chatbot's secrets BOT_PROFILE_TTL_S (1 s in tests)
        customer = fresh_number("4917")
        simulator.send(customer, phone, "after the rotation")
        wait_for(lambda: len(endpoint.calls) == 1, what="the call after the rotation")
        call = endpoint.calls[-1]
        assert len(call["headers"]["webhook-signature"].split(" ")) == 2
        for secret in (old, new):
            Webhook(secret).verify(call["body"], call["headers"])

        api_url, api = stack.start_api(WAGATE_SECRET_ROTATION_OVERLAP_S="0")
        try:
            headers = {"Authorization": user.http.headers["Authorization"]}
            again = httpx.post(
                f"{api_url}/api/chatbots/{created['chatbot_id']}/rotate-secret", headers=headers
            )
        finally:
            stack.apis.stop(api)
        newest = again.json()["signing_secret"]
        time.sleep(1.5)
        simulator.send(customer, phone, "after a rotation without overlap")
        wait_for(lambda: len(endpoint.calls) == 2, what="the call after the second rotation")
        call = endpoint.calls[-1]
        Webhook(newest).verify(call["body"], call["headers"])
        for secret in (old, new):
            with pytest.raises(WebhookVerificationError):
                Webhook(secret).verify(call["body"], call["headers"])
    listed = {bot["chatbot_id"]: bot for bot in user.http.get("/api/chatbots").json()["chatbots"]}
    assert "secret" not in json.dumps(listed[created["chatbot_id"]]).replace("secret_", "")
    assert listed[created["chatbot_id"]]["signing_secret_created_at"]


def test_a_session_of_a_chatbot_without_a_secret_fails_its_messages_saying_what_to_do(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    """An endpoint set before secrets existed (no secret row): nothing is sent unsigned."""
    with RecordingEndpoint() as endpoint:
        created = user.create_session(bot_endpoint=endpoint.url)
        stack.sql("delete from public.wagate_chatbot_secrets where chatbot_id = %s", (created["chatbot_id"],))
        phone = fresh_number("4930")
        session = user.connect(created, simulator, phone)
        simulator.send(fresh_number("4917"), phone, "anyone?")
        failed = wait_for(
            lambda: [m for m in user.messages(session["id"]) if m["status"] == "failed"],
            what="the message to fail",
        )
        assert failed[0]["error_code"] == "chatbot_secret_missing"
        assert "rotate-secret" in failed[0]["error"]
        assert endpoint.calls == []
