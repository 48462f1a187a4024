"""The operator's view of real runners: a runner killed (SIGKILL, as a lost machine) shows as gone in
GET /api/admin/fleet within its heartbeat window; each runner's Prometheus endpoint serves its
metrics, and they move when a customer's message is answered (real runner, real Chromium, the
simulator); the same counts reach CloudWatch (moto's server)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devstack.testing import StackHandle
from tests.e2e import ApiUser, Fleet, Simulator, fresh_number, wait_for

ADMIN_METADATA = {"provider": "email", "providers": ["email"], "role": "admin"}


@pytest.fixture
def operator(stack: StackHandle) -> httpx.Client:
    user_id, _ = stack.create_user()
    token = stack.mint_token(user_id, app_metadata=ADMIN_METADATA)
    with httpx.Client(base_url=stack.api_url, timeout=15, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def fleet_runner(operator: httpx.Client, runner_id: str) -> tuple[dict, dict | None]:
    response = operator.get("/api/admin/fleet")
    assert response.status_code == 200, response.text
    fleet = response.json()
    return fleet, next((r for r in fleet["runners"] if r["runner_id"] == runner_id), None)


def test_a_killed_runner_shows_as_gone_within_its_heartbeat_window(
    stack: StackHandle, runners: Fleet, operator: httpx.Client
) -> None:
    (runner_id,) = runners.start(1)
    try:
        wait_for(lambda: (fleet_runner(operator, runner_id)[1] or {}).get("alive"), 30, what="runner alive")
        runners.kill(runner_id, signal.SIGKILL)
        window = fleet_runner(operator, runner_id)[0]["heartbeat_window_s"]

        def gone() -> bool:
            _fleet, seen = fleet_runner(operator, runner_id)
            return seen is None or seen["alive"] is False  # reaped by another runner, or stale

        # its last heartbeat was at most one interval (5 s) before the kill
        wait_for(gone, window + 5 + 3, interval_s=0.5, what="the killed runner to show as gone")
        _fleet, seen = fleet_runner(operator, runner_id)
        if seen is not None:
            assert seen["heartbeat_age_s"] > window
    finally:
        runners.top_up()


def scrape(port: str) -> dict[tuple[str, tuple], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _cloudwatch_sum(stack: StackHandle, name: str) -> float:
    now = datetime.now(UTC)
    points = stack._boto("cloudwatch").get_metric_statistics(
        Namespace="Wagate",
        MetricName=name,
        Dimensions=[{"Name": "Stage", "Value": stack.env["WAGATE_STAGE"]}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_prometheus_metrics_move_when_a_message_is_answered(
    stack: StackHandle, simulator: Simulator, runners: Fleet, user: ApiUser, operator: httpx.Client
) -> None:
    # This runner alone takes the next session: the others stop cleanly first (topped up after).
    for runner_id in runners.alive():
        assert runners.kill(runner_id, signal.SIGTERM) == 0
    stack.sql(
        "update whatsapp_web_sessions set status = 'disconnected', runner_id = null"
        " where status in ('pending', 'starting', 'qr_ready', 'authenticating', 'connected')"
    )
    try:
        (runner_id,) = runners.start(1, METRICS_INTERVAL_S="1", HEARTBEAT_INTERVAL_S="1")
        port = runners.processes[runner_id].spec.env["RUNNER_METRICS_PORT"]
        before = scrape(port)
        assert before[("wagate_runner_capacity", ())] >= 1
        answered_cw = _cloudwatch_sum(stack, "MessagesAnswered")

        session, phone = user.link(simulator)
        assert runners.holder(session["id"]) == runner_id
        wait_for(
            lambda: scrape(port)[("wagate_sessions", (("status", "connected"),))] == 1, 10, what="connected"
        )
        customer = fresh_number("49170")
        simulator.send(customer, phone, "how late are you open?")
        wait_for(lambda: simulator.texts_received(customer), 30, what="the chatbot's reply")
        answered = ("wagate_messages_answered_total", ())
        sent = ("wagate_messages_sent_total", ())
        wait_for(lambda: scrape(port)[sent] >= before[sent] + 1, 10, what="the sent reply counted")
        after = scrape(port)
        assert after[answered] == before[answered] + 1
        assert after[("wagate_runner_heartbeat_timestamp_seconds", ())] > 0

        # the same count, as the interval's sum, in CloudWatch; and the operator sees the runner
        wait_for(lambda: _cloudwatch_sum(stack, "MessagesAnswered") >= answered_cw + 1, 15, what="CloudWatch")
        _fleet, seen = fleet_runner(operator, runner_id)
        assert seen["alive"] and seen["active_sessions"] == 1 and seen["browser_restarts"] == 0
    finally:
        runners.top_up()
