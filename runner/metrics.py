"""What a runner counts for its operator, in one place: served as Prometheus text on
`RUNNER_METRICS_PORT` (prometheus_client, a registry of the runner's own) and published to
CloudWatch as per-interval sums by `runner/platform.py`.

Counters (since the runner started; CloudWatch gets what each interval added):
- `wagate_messages_answered_total`: customers' messages whose chatbot replies were stored;
- `wagate_messages_sent_total`: messages sent in WhatsApp Web;
- `wagate_messages_failed_total{code}`: messages failed, by their stable error code;
- `wagate_chatbot_failures_total{code}`: chatbot calls that failed after their retries;
- `wagate_session_failures_total{code}`: sessions that ended `failed`;
- `wagate_browser_restarts_total`: Chromium relaunched after it died.
Gauges (read when scraped): `wagate_sessions{status}` held by this runner, `wagate_runner_capacity`,
`wagate_runner_heartbeat_timestamp_seconds` (the last heartbeat the database took).
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from wagate.status import SessionStatus

log = logging.getLogger("runner.metrics")

# CloudWatch names of the counters (namespace Wagate, dimension Stage), for the CDK app's alarms.
CLOUDWATCH_COUNTERS = {
    "messages_answered": "MessagesAnswered",
    "messages_sent": "MessagesSent",
    "messages_failed": "MessagesFailed",
    "chatbot_failures": "ChatbotFailures",
    "session_failures": "SessionFailures",
    "browser_restarts": "BrowserRestarts",
}
HEARTBEAT_METRIC = "RunnerHeartbeats"  # 1 per runner per interval: no data means no runner reports


class _HeldSessions(Collector):
    """`wagate_sessions{status}` and the capacity, read from the runner when scraped."""

    def __init__(self, statuses: Callable[[], Iterable[str]], capacity: int) -> None:
        self._statuses = statuses
        self._capacity = capacity

    def collect(self):
        held = GaugeMetricFamily(
            "wagate_sessions", "Sessions this runner holds, by status", labels=["status"]
        )
        counts = Tally(str(status) for status in self._statuses())
        for status in SessionStatus:
            held.add_metric([status.value], counts.get(status.value, 0))
        yield held
        yield GaugeMetricFamily(
            "wagate_runner_capacity", "Sessions this runner may hold", value=self._capacity
        )


class RunnerMetrics:
    def __init__(self, *, runner_id: str = "", capacity: int = 0) -> None:
        self.runner_id = runner_id
        self.registry = CollectorRegistry()
        self.totals: Tally[str] = Tally()  # the counters' sums, for CloudWatch's deltas
        self._published: Tally[str] = Tally()
        self._server = None
        labels = {"registry": self.registry}
        self._answered = Counter(
            "wagate_messages_answered", "Messages whose chatbot replies were stored", **labels
        )
        self._sent = Counter("wagate_messages_sent", "Messages sent in WhatsApp Web", **labels)
        self._failed = Counter("wagate_messages_failed", "Messages failed, by error code", ["code"], **labels)
        self._bot_failed = Counter(
            "wagate_chatbot_failures", "Chatbot calls failed, by code", ["code"], **labels
        )
        self._session_failed = Counter(
            "wagate_session_failures", "Sessions failed, by code", ["code"], **labels
        )
        self._browser_restarts = Counter(
            "wagate_browser_restarts", "Chromium relaunched after dying", **labels
        )
        self._heartbeat = Gauge(
            "wagate_runner_heartbeat_timestamp_seconds", "When the database last took a heartbeat", **labels
        )
        self.capacity = capacity

    # ------------------------------------------------------------------ counting
    def message_answered(self) -> None:
        self._answered.inc()
        self.totals["messages_answered"] += 1

    def message_sent(self) -> None:
        self._sent.inc()
        self.totals["messages_sent"] += 1

    def message_failed(self, code: str | None) -> None:
        self._failed.labels(code or "unknown").inc()
        self.totals["messages_failed"] += 1

    def chatbot_failed(self, code: str | None) -> None:
        self._bot_failed.labels(code or "unknown").inc()
        self.totals["chatbot_failures"] += 1

    def session_failed(self, code: str | None) -> None:
        self._session_failed.labels(code or "unknown").inc()
        self.totals["session_failures"] += 1

    def browser_restarted(self) -> None:
        self._browser_restarts.inc()
        self.totals["browser_restarts"] += 1

    def heartbeat(self) -> None:
        self._heartbeat.set(time.time())

    # ------------------------------------------------------------------ reading
    def unpublished(self) -> Mapping[str, int]:
        """What each counter added since the last call (CloudWatch's per-interval sums)."""
        deltas = {name: self.totals[name] - self._published[name] for name in CLOUDWATCH_COUNTERS}
        self._published = Tally(self.totals)
        return deltas

    def watch_sessions(self, statuses: Callable[[], Iterable[str]]) -> None:
        self.registry.register(_HeldSessions(statuses, self.capacity))

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Serve `/metrics` (Prometheus text) on host:port in a thread; the port bound (0: any free)."""
        self._server, _thread = start_http_server(port, addr=host, registry=self.registry)
        bound = self._server.server_address[1]
        log.info("metrics served", extra={"runner_id": self.runner_id, "port": bound, "host": host})
        return bound

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
