"""The backing services failing under live sessions: PostgREST down for 10 s, Postgres restarted,
moto's server (SQS, S3) restarted. The stack's supervisor restarts each part, as `make dev` does;
the runners ride out the outage without a person: sessions stay with their runner on the same
epoch, what customers sent meanwhile is stored once and answered once."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from devstack.testing import StackHandle
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from tests.reliability.checks import assert_answered_once
from tests.reliability.conftest import epoch_of, holder

OUTAGE_S = 10


def test_postgrest_down_for_ten_seconds(stack: StackHandle, simulator: Simulator, runners, linked) -> None:
    session, phone = linked()
    epoch = epoch_of(stack, session["id"])
    customer = fresh_number("4917")
    heartbeat = Path(holder(stack, runners, session["id"]).spec.env["HEARTBEAT_FILE"])
    with stack.part_down("postgrest"):
        # Received by the page while the database is out of reach: the runner keeps them.
        simulator.send(customer, phone, "during the outage 1")
        simulator.send(customer, phone, "during the outage 2")
        touched = heartbeat.stat().st_mtime
        time.sleep(OUTAGE_S)  # the fault's length, not a wait for a result
        assert simulator.received(customer) == [], "no reply can be stored, so none is sent"
        # The container health check stays green: the runner is alive, riding the outage out.
        assert heartbeat.stat().st_mtime > touched
    simulator.send(customer, phone, "after the outage")
    texts = ["during the outage 1", "during the outage 2", "after the outage"]
    assert_answered_once(stack, simulator, session["id"], customer, texts)
    assert epoch_of(stack, session["id"]) == epoch, "the runner kept its session through the outage"


def test_postgres_restarted(stack: StackHandle, simulator: Simulator, linked) -> None:
    session, phone = linked()
    epoch = epoch_of(stack, session["id"])
    customer = fresh_number("4917")
    before = [f"in flight {i}" for i in range(5)]
    for text in before:
        simulator.send(customer, phone, text)
    # A fast shutdown (what `pg_ctl restart -m fast` does): open connections are cut.
    stack.kill_part("postgres", signal.SIGINT)
    simulator.send(customer, phone, "after the restart")
    assert_answered_once(stack, simulator, session["id"], customer, [*before, "after the restart"])
    assert epoch_of(stack, session["id"]) == epoch


def test_moto_restarted_queues_come_back(
    stack: StackHandle, simulator: Simulator, runners, linked, user: ApiUser
) -> None:
    session, phone = linked()
    sqs = stack.sqs()
    prefix = stack.env["WAGATE_RUNNER_QUEUE_PREFIX"]

    def runner_queues() -> set[str]:
        return set(sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []))

    before = runner_queues()
    assert len(before) == 2 * len(runners), "each runner has a queue and a dead-letter queue"

    stack.kill_part("moto")  # SIGKILL: every queue, message and object is gone
    customer = fresh_number("4917")
    simulator.send(customer, phone, "while SQS was lost")  # inbound does not go through SQS
    wait_for(lambda: runner_queues() == before, 30, what="each runner to create its queues again")

    # Commands flow again: a send through the API reaches the session's runner through its queue,
    recipient = fresh_number("4916")
    response = user.http.post(
        "/api/messages/send", json={"session_id": session["id"], "to": recipient, "text": "sent via SQS"}
    )
    assert response.status_code == 202, response.text
    # and a new session is started through the shared start queue, recreated by the supervisor.
    created = user.create_session()
    user.wait_status(created["id"], "qr_ready")
    user.http.delete(f"/api/sessions/{created['id']}")

    assert_answered_once(stack, simulator, session["id"], customer, ["while SQS was lost"])
    wait_for(
        lambda: (
            stack.sql(
                "select status from whatsapp_web_messages where session_id = %s and to_number = %s",
                (session["id"], recipient),
            )
            == [("sent",)]
        ),
        what="the API's message stored once and sent",
    )
    assert simulator.texts_received(recipient) == ["sent via SQS"]
