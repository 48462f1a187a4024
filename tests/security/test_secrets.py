"""Secrets: after end-to-end traffic, no log of the stack (the API, the gateway, PostgREST, Postgres,
moto, the runners, the simulator, the stack itself) holds a key, a password, a user's access token,
the QR string of a linked session or a message text; and nothing a browser loads holds the service
key or the JWT secret.

The traffic runs through a runner of its own at LOG_LEVEL=DEBUG (the fleet's runners log at INFO),
fed by a start queue of its own so the fleet leaves its session alone. LOG_MESSAGE_TEXT is not set.
What the rest of this suite sent (tokens, the linked session's QR, hostile texts) is checked too
when it ran first.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from wagate.commands import Command, CommandType
from wagate.queues import CommandQueues

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
JWT_LIKE = re.compile(rb"eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*")


def key_material(stack) -> dict[str, str]:
    local = json.loads(stack.paths.secrets_file.read_text())
    service_key = stack.env["SUPABASE_SERVICE_ROLE_KEY"]
    values = {
        "the service role key": service_key,
        "the service role key's signature": service_key.rsplit(".", 1)[1],
        "the JWT secret": stack.env["SUPABASE_JWT_SECRET"],
        "the Postgres password": local["postgres_password"],
        "the authenticator's password": local["authenticator_password"],
        "the checkpoint key": local.get("checkpoint_key", ""),
        "the avatar-chat signing secret": local.get("avatar_chat_secret", ""),
    }
    return {name: value for name, value in values.items() if value}


def spellings(text: str) -> set[bytes]:
    """The ways a log line could carry `text`: raw, JSON-escaped (ASCII or not), Python repr."""
    forms = {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], repr(text)[1:-1]}
    return {form.encode("utf-8", "surrogatepass") for form in forms}


def leaks(log_dir: Path, secrets: dict[str, str]) -> list[str]:
    found = []
    logs = sorted(path for path in log_dir.rglob("*") if path.is_file())
    assert any(path.name.startswith("runner-") for path in logs) and any(p.name == "api.log" for p in logs)
    for path in logs:
        data = path.read_bytes()
        for name, value in secrets.items():
            if any(form in data for form in spellings(value)):
                found.append(f"{path.name} holds {name}")
    return found


@pytest.fixture
def debug_runner(stack, simulator: Simulator) -> Iterator[str]:
    """A runner at DEBUG on the simulator, on a start queue of its own (returned)."""
    sqs = stack.sqs()
    queue_url = sqs.create_queue(QueueName=f"wagate-security-start-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    runner = stack.start_runner(
        simulator.url + "/",
        WAGATE_START_QUEUE_URL=queue_url,
        LOG_LEVEL="DEBUG",
        SEND_RATE_PER_S="20",
        BOT_TIMEOUT_S="2",
        WA_LOAD_TIMEOUT_S="20",
    )
    try:
        yield queue_url
    finally:
        stack.runners.stop(runner)
        sqs.delete_queue(QueueUrl=queue_url)


def test_logs_hold_no_key_token_qr_or_message_text(
    stack, simulator: Simulator, debug_runner: str, exposed: set[str]
) -> None:
    owner = ApiUser(stack)
    token = owner.http.headers["Authorization"].removeprefix("Bearer ")
    session_id = str(uuid.uuid4())
    stack.sql(
        "with bot as (insert into public.wagate_chatbots (chatbot_id, user_id)"
        " values (gen_random_uuid(), %s) returning chatbot_id)"
        " insert into public.whatsapp_web_sessions (id, user_id, chatbot_id, session_id)"
        " select %s, %s, bot.chatbot_id, %s from bot",
        (owner.user_id, session_id, owner.user_id, f"wa_{uuid.uuid4().hex[:24]}"),
    )
    CommandQueues(debug_runner, client=stack.sqs()).send_start(Command(CommandType.START, session_id))
    owner.wait_status(session_id, "qr_ready")
    qr = owner.qr_string(session_id)
    phone = fresh_number("4930")
    simulator.scan(qr, phone)
    owner.wait_status(session_id, "connected")

    marker = uuid.uuid4().hex
    outbound = f"Your order {marker} ships today"
    inbound = f"My card number is 4111 1111 {marker[:8]}"
    customer = fresh_number("4916")
    sent = owner.http.post(
        "/api/messages/send", json={"session_id": session_id, "to": customer, "text": outbound}
    )
    assert sent.status_code == 202, sent.text
    simulator.send(customer, phone, inbound)
    wait_for(
        lambda: (
            sum(m["status"] == "sent" for m in owner.messages(session_id) if m["to_number"] == customer) == 2
        ),
        what="the message and the chatbot's reply to be sent (and the runner to log what it did)",
    )
    assert {outbound, f"You said: {inbound}"} <= set(simulator.texts_received(customer))
    assert owner.http.delete(f"/api/sessions/{session_id}").status_code == 204

    secrets = {
        **key_material(stack),
        "a user's access token": token,
        "a user's access token's signature": token.rsplit(".", 1)[1],
        "the QR string of a linked session": qr,
        "a message sent through the API": outbound,
        "a customer's message": inbound,
        "the chatbot's reply": f"You said: {inbound}",
    }
    for index, value in enumerate(sorted(exposed)):
        secrets.setdefault(f"a token, QR or text this suite used (#{index}: {value[:12]!r}…)", value)
    assert leaks(stack.paths.log_dir, secrets) == []


def _browser_files() -> list[Path]:
    """The page, its public files and, when built, the bundle (`make test` builds it first)."""
    files = [DASHBOARD / "index.html"]
    for folder in (DASHBOARD / "public", DASHBOARD / "dist"):
        files += [path for path in folder.rglob("*") if path.is_file()]
    return [path for path in files if path.is_file()]


def _service_material_in(data: bytes, stack) -> list[str]:
    problems = [
        name for name, value in key_material(stack).items() if any(f in data for f in spellings(value))
    ]
    problems += [name for name in ("SERVICE_ROLE", "JWT_SECRET") if name.encode() in data.upper()]
    for token in JWT_LIKE.findall(data):
        try:
            claims = jwt.decode(token.decode(), options={"verify_signature": False})
        except jwt.PyJWTError:
            continue
        if claims.get("role") != "authenticated":
            problems.append(f"a token with role {claims.get('role')!r}")
    return problems


def test_nothing_a_browser_loads_holds_the_service_key(stack) -> None:
    files = _browser_files()
    assert files, "the dashboard's public files"
    problems = [
        f"{path}: {problem}" for path in files for problem in _service_material_in(path.read_bytes(), stack)
    ]
    # the page's runtime configuration, as the local stack serves it (with a user's token)
    if "DASHBOARD_URL" in stack.env:
        config = httpx.get(
            f"{stack.env['DASHBOARD_URL']}/config.js", headers={"Sec-Fetch-Site": "same-origin"}, timeout=10
        )
        assert config.status_code == 200
        assert JWT_LIKE.search(config.content), "config.js carries the signed-in user's token"
        problems += [f"/config.js: {problem}" for problem in _service_material_in(config.content, stack)]
    assert problems == []
