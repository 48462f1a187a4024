"""avatar-chat failing. Down, 5xx, slow past BOT_TIMEOUT_S and garbage are covered by
tests/runner/test_runner_faults.py::test_chatbot_failures_are_recorded_on_the_message (each ends
with the inbound message `failed` with the reason, nothing sent, the next message answered).
Here: an answer too long for one WhatsApp message."""

from __future__ import annotations

from devstack.bot import long_text
from devstack.testing import StackHandle
from runner.botclient import MAX_REPLY_MESSAGES
from tests.e2e import Simulator, fresh_number, wait_for
from tests.reliability.checks import inbound_rows, reply_rows
from wagate.status import MAX_TEXT_LENGTH


def test_a_100_kb_reply_is_split_into_whatsapp_messages(
    stack: StackHandle, simulator: Simulator, linked
) -> None:
    session, phone = linked()
    customer = fresh_number("4917")
    simulator.send(customer, phone, "!long 100000")
    wait_for(
        lambda: [status for _c, status in reply_rows(stack, session["id"], customer)] == ["sent", "sent"],
        what="the long answer stored as two parts and sent",
    )
    parts = simulator.texts_received(customer)
    assert len(parts) == 2 and all(len(part) <= MAX_TEXT_LENGTH for part in parts)
    assert "".join(parts) == long_text(100_000), "the parts add up to the answer, in order"
    assert parts[0].endswith("\n"), "split at a line break"
    assert [status for _c, status, _e in inbound_rows(stack, session["id"], customer)] == ["replied"]


def test_an_answer_past_the_limit_is_a_recorded_failure(
    stack: StackHandle, simulator: Simulator, linked
) -> None:
    session, phone = linked()
    customer = fresh_number("4917")
    too_long = (MAX_REPLY_MESSAGES + 1) * MAX_TEXT_LENGTH
    simulator.send(customer, phone, f"!long {too_long}")
    failed = wait_for(
        lambda: [row for row in inbound_rows(stack, session["id"], customer) if row[1] == "failed"],
        what="the message marked failed",
    )
    assert "too long" in failed[0][2]
    assert reply_rows(stack, session["id"], customer) == []
    simulator.send(customer, phone, "short again")
    wait_for(lambda: simulator.texts_received(customer) == ["You said: short again"], what="the next reply")
