"""The operator's figures as plain functions: a runner's liveness by its heartbeat window, failures
folded per hour, the counters' per-interval deltas for CloudWatch, RUNNER_METRICS_PORT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runner.metrics import CLOUDWATCH_COUNTERS, HEARTBEAT_METRIC, RunnerMetrics
from runner.platform import PlatformReporter
from runner.settings import _metrics_port
from wagate.admin_api import failures_by_hour, runner_view
from wagate.errors import ConfigError

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age_s", "alive"), [(0, True), (19.9, True), (20, True), (20.1, False), (600, False)]
)
def test_a_runner_is_alive_within_its_heartbeat_window(age_s: float, alive: bool) -> None:
    row = {"runner_id": "r1", "capacity": 5, "heartbeat_at": (NOW - timedelta(seconds=age_s)).isoformat()}
    view = runner_view(row, NOW, 20)
    assert view["alive"] is alive and view["heartbeat_age_s"] == round(age_s, 1)
    assert view["browser_restarts"] == 0


def test_failures_fold_into_one_entry_per_hour_in_order() -> None:
    rows = [
        {"hour": "2026-12-10T11:00:00+00:00", "source": "message", "code": "send_failed", "failures": 2},
        {"hour": "2026-12-10T09:00:00+00:00", "source": "session", "code": "load_timeout", "failures": 1},
        {"hour": "2026-12-10T11:00:00+00:00", "source": "session", "code": "load_timeout", "failures": 3},
    ]
    assert failures_by_hour(rows) == [
        {"hour": "2026-12-10T09:00:00+00:00", "sessions": {"load_timeout": 1}, "messages": {}},
        {
            "hour": "2026-12-10T11:00:00+00:00",
            "sessions": {"load_timeout": 3},
            "messages": {"send_failed": 2},
        },
    ]


def test_cloudwatch_gets_what_each_interval_added() -> None:
    metrics = RunnerMetrics(runner_id="r1", capacity=3)
    metrics.message_answered()
    metrics.message_failed("send_failed")
    metrics.message_failed(None)
    assert metrics.unpublished()["messages_failed"] == 2
    metrics.chatbot_failed("chatbot_timeout")
    added = metrics.unpublished()
    assert added == {name: 0 for name in CLOUDWATCH_COUNTERS} | {"chatbot_failures": 1}

    reporter = PlatformReporter({"WAGATE_STAGE": "test", "WAGATE_METRICS": "0"})
    data = {d["MetricName"]: d for d in reporter.metric_data(2, added)}
    assert data["ActiveSessions"]["Value"] == 2 and data[HEARTBEAT_METRIC]["Value"] == 1
    assert data["ChatbotFailures"]["Value"] == 1 and data["MessagesFailed"]["Value"] == 0
    assert all(d["Dimensions"] == [{"Name": "Stage", "Value": "test"}] for d in data.values())


@pytest.mark.parametrize(("raw", "port"), [("", None), ("0", 0), ("9464", 9464)])
def test_the_metrics_port_is_off_unless_set(raw: str, port: int | None) -> None:
    assert _metrics_port({"RUNNER_METRICS_PORT": raw}) == port


def test_a_bad_metrics_port_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="RUNNER_METRICS_PORT"):
        _metrics_port({"RUNNER_METRICS_PORT": "70000"})
