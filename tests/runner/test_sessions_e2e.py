"""A user links WhatsApp through the API and customers get answers: the whole flow, for real."""

from __future__ import annotations

from tests.e2e import ApiUser, Simulator, fresh_number, wait_for


def test_link_with_qr_then_customer_message_is_answered_and_stored(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    session, phone = user.link(simulator)
    assert session["phone_number"] == phone
    assert session["connected_at"]
    assert session["qr_code"] is None

    customer = fresh_number("4917")
    simulator.send(customer, phone, "Hello, are you open today?")
    wait_for(
        lambda: "You said: Hello, are you open today?" in simulator.texts_received(customer),
        what="the bot's reply to reach the customer",
    )

    def stored() -> list[dict] | None:
        rows = user.messages(session["id"])
        done = [r for r in rows if r["direction"] == "outbound" and r["status"] == "sent"]
        return rows if done else None

    rows = wait_for(stored, what="the reply row to be marked sent")
    inbound = [r for r in rows if r["direction"] == "inbound"]
    outbound = [r for r in rows if r["direction"] == "outbound"]
    assert [(r["from_number"], r["to_number"], r["content"], r["status"]) for r in inbound] == [
        (customer, phone, "Hello, are you open today?", "replied")
    ]
    assert [(r["from_number"], r["to_number"], r["content"], r["reply_to"]) for r in outbound] == [
        (phone, customer, "You said: Hello, are you open today?", inbound[0]["id"])
    ]
