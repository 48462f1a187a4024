"""What every fault test asserts at the end: nothing lost, nothing sent twice.

Nothing lost: every message the customer sent is stored once (the `whatsapp_web_messages` table,
read directly) and ends `replied` with its reply `sent`, or `failed` with a reason. Nothing sent
twice: the customer's phone (the simulator) received each reply exactly once, in order.
"""

from __future__ import annotations

from devstack.testing import StackHandle
from tests.e2e import Simulator, session_log_lines, wait_for


def echo(texts: list[str]) -> list[str]:
    return [f"You said: {text}" for text in texts]


def inbound_rows(stack: StackHandle, session_id: str, customer: str) -> list[tuple]:
    """(content, status, error) of what `customer` sent to the session, in arrival order."""
    return stack.sql(
        "select content, status, error from whatsapp_web_messages"
        " where session_id = %s and direction = 'inbound' and from_number = %s"
        " order by created_at, id",
        (session_id, customer),
    )


def reply_rows(stack: StackHandle, session_id: str, customer: str) -> list[tuple]:
    """(content, status) of the replies to `customer`, in the order of the messages answered."""
    return stack.sql(
        "select o.content, o.status from whatsapp_web_messages o"
        " join whatsapp_web_messages i on o.reply_to = i.id"
        " where i.session_id = %s and i.from_number = %s"
        " order by i.created_at, i.id, o.created_at, o.id",
        (session_id, customer),
    )


def assert_answered_once(
    stack: StackHandle,
    simulator: Simulator,
    session_id: str,
    customer: str,
    texts: list[str],
    *,
    timeout_s: float = 120.0,
) -> None:
    """Each of `texts` stored once and answered once, in order, and the customer got each reply once."""
    expected = echo(texts)
    try:
        wait_for(
            lambda: (
                [status for _content, status in reply_rows(stack, session_id, customer)]
                == ["sent"] * len(expected)
            ),
            timeout_s,
            what=f"{len(expected)} replies to {customer} stored and sent",
        )
    except AssertionError as exc:  # CI keeps no state dir: say what there was
        raise AssertionError(
            f"{exc}; stored from the customer: {inbound_rows(stack, session_id, customer)}; replies:"
            f" {reply_rows(stack, session_id, customer)}; the customer got"
            f" {simulator.texts_received(customer)}; the runners' log lines:\n"
            + "\n".join(session_log_lines(stack, session_id, 60))
        ) from None
    assert [(content, status) for content, status, _error in inbound_rows(stack, session_id, customer)] == [
        (text, "replied") for text in texts
    ], f"every message stored once, in order, and answered: {inbound_rows(stack, session_id, customer)}"
    assert [content for content, _status in reply_rows(stack, session_id, customer)] == expected
    assert simulator.texts_received(customer) == expected, "each reply reached the customer once"
