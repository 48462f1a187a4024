"""Delivery: at least once, on the retry schedule, in order per session, through a receiver that is
down for a minute, a dispatcher SIGKILLed in the middle of a call, and Postgres restarted; a slow
endpoint holds up only its owner; a delivery given up on is `failed`, visible and retryable; an
endpoint that keeps failing is disabled with the reason.

Events are made by real statements (sessions created through the API, messages inserted as the
runners insert them): the triggers write them, the stack's supervised dispatcher delivers them."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import subprocess
import sys
import time
import uuid

from devstack.testing import StackHandle
from tests.e2e import ApiUser, wait_for
from tests.webhooks.conftest import DISPATCHER_ENV, SCHEDULE_S, deliveries
from tests.webhooks.receiver import Receiver
from wagate.store import AsyncStore
from wagate.webhooks import report_backlog


def _insert_inbound(stack: StackHandle, session_id: str, text: str) -> str:
    """A customer's message stored as a runner stores it (the statement whose trigger emits)."""
    ((row_id,),) = stack.sql(
        "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
        " to_number, direction, content, status)"
        " select s.id, s.chatbot_id, %s, '4915100000001', '4917100000001', 'inbound', %s, 'received'"
        " from public.whatsapp_web_sessions s where s.id = %s returning id",
        (f"wamid-{uuid.uuid4().hex}", text, session_id),
    )
    return str(row_id)


def _session(user: ApiUser) -> str:
    """A session row to hang messages on (no runner needed: the rows are written directly)."""
    return user.create_session()["id"]


def _texts(receiver: Receiver) -> list[str]:
    return [b["data"]["message"]["content"] for b in receiver.accepted_of("message.received")]


def test_a_receiver_down_for_a_minute_gets_every_event_once_it_is_back(
    stack: StackHandle, user: ApiUser, receiver: Receiver, hook
) -> None:
    hook(["message.received"])
    sid = _session(user)
    receiver.stop()
    sent = [f"while down {i}" for i in range(12)]
    for text in sent:  # spread over the minute
        _insert_inbound(stack, sid, text)
        time.sleep(5)
    receiver.start()
    wait_for(lambda: set(_texts(receiver)) >= set(sent), sum(SCHEDULE_S) + 30, what="every event delivered")
    ids = [s.webhook_id for s in receiver.accepted()]
    assert len(ids) == len(set(ids)), "no event accepted twice"
    assert _texts(receiver) == sent, "one session's events in the order they happened"


def test_500s_and_timeouts_are_retried_on_the_schedule(
    stack: StackHandle, user: ApiUser, receiver: Receiver, hook
) -> None:
    webhook = hook(["message.received"])
    sid = _session(user)
    receiver.failures_left = 2  # then one answer past the 2-s deadline, then 200
    _insert_inbound(stack, sid, "retried")
    wait_for(lambda: len(receiver.seen) >= 2, 20, what="two 500s")
    receiver.delay_s = 3
    wait_for(lambda: len(receiver.seen) >= 3, 20, what="a timeout")
    receiver.delay_s = 0
    wait_for(lambda: _texts(receiver) == ["retried"], 30, what="the delivery")

    def recorded() -> dict | None:
        (row,) = deliveries(user, webhook["id"])
        return row if row["status"] == "delivered" else None

    delivery = wait_for(recorded, 10, what="the delivery recorded")
    assert delivery["attempts"] == 4
    log = delivery["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 500, None, 200]
    assert "within 2 s" in log[2]["error"], log[2]
    assert all(a["latency_ms"] is not None for a in log)
    seen = [s.at for s in receiver.seen]
    gaps = [later - earlier for earlier, later in itertools.pairwise(seen)]
    # each wait at least the schedule's less its jitter (the timeout's attempt took its 2-s deadline)
    for gap, wanted in zip(gaps, SCHEDULE_S, strict=False):
        assert gap >= 0.8 * wanted - 0.05, (gaps, SCHEDULE_S)


def test_a_delivery_given_up_is_failed_visible_and_retryable(
    stack: StackHandle, user: ApiUser, receiver: Receiver, hook
) -> None:
    webhook = hook(["message.received"])
    sid = _session(user)
    receiver.status = 503
    with stack.part_down("webhooks"):  # a dispatcher of the test's own, with two retries only
        env = {**stack.process_env(), **DISPATCHER_ENV, "WEBHOOK_RETRY_SCHEDULE_S": "0.5,0.5"}
        dispatcher = subprocess.Popen([sys.executable, "-m", "wagate.webhooks"], env=env)
        try:
            _insert_inbound(stack, sid, "given up")

            def failed() -> dict | None:
                rows = deliveries(user, webhook["id"])
                return rows[0] if rows and rows[0]["status"] == "failed" else None

            delivery = wait_for(failed, 30, what="the delivery failed")
            assert delivery["attempts"] == 3 and delivery["last_status_code"] == 503
            assert "HTTP 503" in delivery["last_error"] and delivery["failed_at"]
            receiver.status = 200
            retried = user.http.post(f"/api/webhooks/{webhook['id']}/deliveries/{delivery['id']}/retry")
            assert retried.status_code == 202, retried.text
            assert retried.json()["status"] == "pending"
            wait_for(lambda: _texts(receiver) == ["given up"], 20, what="the retried delivery")
            ids = {s.webhook_id for s in receiver.seen}
            assert ids == {receiver.accepted()[0].body["id"]}, "the same event id on every attempt"
            again = user.http.post(f"/api/webhooks/{webhook['id']}/deliveries/{delivery['id']}/retry")
            assert again.status_code == 202  # a delivered one can be sent again too
        finally:
            dispatcher.send_signal(signal.SIGTERM)
            dispatcher.wait(30)


def test_the_dispatcher_killed_in_the_middle_of_a_delivery_loses_nothing(
    stack: StackHandle, user: ApiUser, receiver: Receiver, hook
) -> None:
    webhook = hook(["message.received"])
    sid = _session(user)
    receiver.delay_s = 1.5  # each call is in flight for 1.5 s
    for i in range(3):
        _insert_inbound(stack, sid, f"in flight {i}")
    wait_for(lambda: len(receiver.seen) >= 1, 20, what="a call in flight")
    stack.kill_part("webhooks", signal.SIGKILL)  # the supervisor starts it again
    receiver.delay_s = 0
    texts = [f"in flight {i}" for i in range(3)]
    wait_for(lambda: set(_texts(receiver)) >= set(texts), 60, what="every event after the kill")
    assert all(d["status"] == "delivered" for d in deliveries(user, webhook["id"]))
    # at least once: a call cut by the kill may come again, with the same id and the same body
    for s in receiver.seen:
        same = [t for t in receiver.seen if t.webhook_id == s.webhook_id]
        assert all(t.body == same[0].body for t in same)


def test_postgres_restarted_loses_no_event(
    stack: StackHandle, user: ApiUser, receiver: Receiver, hook
) -> None:
    hook(["message.received"])
    sid = _session(user)
    _insert_inbound(stack, sid, "before the restart")
    receiver.stop()  # so this one is still to deliver while Postgres is away
    _insert_inbound(stack, sid, "waiting through the restart")
    # restarted (a fast shutdown, as tests/reliability does: the local Postgres runs with
    # synchronous_commit off for speed, so a SIGKILL there may lose its last commits, which
    # Supabase's Postgres, with it on, does not)
    stack.kill_part("postgres", signal.SIGINT, timeout_s=120)
    wait_for(lambda: _ping_database(stack), 60, what="Postgres back")
    _insert_inbound(stack, sid, "after the restart")
    receiver.start()
    wanted = ["before the restart", "waiting through the restart", "after the restart"]
    wait_for(lambda: set(_texts(receiver)) >= set(wanted), sum(SCHEDULE_S) + 30, what="every event")
    assert sorted(set(_texts(receiver))) == sorted(wanted)


def _ping_database(stack: StackHandle) -> bool:
    try:
        return stack.sql("select 1") == [(1,)]
    except Exception:
        return False


def test_a_slow_endpoint_holds_up_only_its_owner(stack: StackHandle, user: ApiUser, hook) -> None:
    slow = Receiver(delay_s=1.9).start()  # just inside the deadline, every call
    other_user = ApiUser(stack)
    fast = Receiver().start()
    try:
        created = user.http.post("/api/webhooks", json={"url": slow.url, "events": ["message.received"]})
        slow.secrets.append(created.json()["secret"])
        mine = other_user.http.post("/api/webhooks", json={"url": fast.url, "events": ["message.received"]})
        fast.secrets.append(mine.json()["secret"])
        slow_sessions = [_session(user) for _ in range(4)]
        for i in range(40):  # 40 calls of 1.9 s queued for the slow endpoint
            _insert_inbound(stack, slow_sessions[i % 4], f"slow {i}")
        time.sleep(1)
        started = time.time()
        other_sid = _session(other_user)
        for i in range(5):
            _insert_inbound(stack, other_sid, f"fast {i}")
        wait_for(lambda: len(_texts(fast)) == 5, 15, what="the other tenant's events")
        assert time.time() - started < 10, "not queued behind the slow endpoint's 76 s of calls"
        assert len(_texts(slow)) < 40, "the slow endpoint was still being served meanwhile"
    finally:
        slow.stop()
        fast.stop()
        other_user.delete_all_sessions()


def test_an_endpoint_failing_for_days_is_disabled_with_the_reason(
    stack: StackHandle, user: ApiUser, receiver: Receiver, hook
) -> None:
    webhook = hook(["message.received"])
    sid = _session(user)
    receiver.status = 500
    # it has been failing for six days (the test does not wait them)
    stack.sql(
        "update public.wagate_webhooks set failing_since = now() - interval '6 days' where id = %s",
        (webhook["id"],),
    )
    _insert_inbound(stack, sid, "one more failure")

    def disabled() -> dict | None:
        row = user.http.get(f"/api/webhooks/{webhook['id']}").json()
        return row if not row["enabled"] else None

    row = wait_for(disabled, 20, what="the endpoint disabled")
    assert "no delivery succeeded since" in row["disabled_reason"] and "HTTP 500" in row["disabled_reason"]
    assert row["disabled_at"]
    # disabled: nothing is attempted; enabled again by its owner, what waited is delivered
    receiver.status = 200
    _insert_inbound(stack, sid, "while disabled")
    time.sleep(2)
    assert "while disabled" not in _texts(receiver)
    enabled = user.http.patch(f"/api/webhooks/{webhook['id']}", json={"enabled": True})
    assert enabled.status_code == 200 and enabled.json()["disabled_reason"] is None
    wait_for(
        lambda: "while disabled" in _texts(receiver), sum(SCHEDULE_S) + 10, what="delivered once enabled"
    )


def test_the_backlog_is_reported_for_the_operators_alarm(
    stack: StackHandle, user: ApiUser, receiver: Receiver, hook, capsys
) -> None:
    """With no dispatcher running, a due delivery ages: each run prints the backlog in CloudWatch's
    embedded metric format (the alarm in infra/components/api.py is on its age); once a dispatcher
    runs again the backlog drains to 0."""
    hook(["message.received"])
    sid = _session(user)

    def report() -> dict:
        async def once() -> dict:
            async with AsyncStore(
                stack.supabase_url + "/rest/v1", stack.env["SUPABASE_SERVICE_ROLE_KEY"]
            ) as store:
                line = await report_backlog(store, "dev")
            assert line is not None
            return line

        return asyncio.run(once())

    with stack.part_down("webhooks"):
        _insert_inbound(stack, sid, "nobody sends this yet")
        time.sleep(2)
        line = report()
        assert line["WebhookDueDeliveries"] >= 1 and line["WebhookBacklogAgeSeconds"] >= 1.5
        (metrics,) = line["_aws"]["CloudWatchMetrics"]
        assert metrics["Namespace"] == "Wagate" and metrics["Dimensions"] == [["Stage"]]
        assert {m["Name"] for m in metrics["Metrics"]} == {"WebhookBacklogAgeSeconds", "WebhookDueDeliveries"}
        assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == line
    wait_for(lambda: "nobody sends this yet" in _texts(receiver), 30, what="delivered once it runs")
    wait_for(lambda: report()["WebhookDueDeliveries"] == 0, 10, what="the backlog drained")
