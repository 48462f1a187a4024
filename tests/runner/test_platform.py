"""What a runner tells its platform: `ActiveSessions` in CloudWatch (moto's server, the real API
shape) for the sessions-per-runner autoscaling, ECS task scale-in protection while it holds a
session, and its queues encrypted at rest.

The ECS agent's task-protection endpoint cannot run outside ECS: a small HTTP server in this test
stands in for it and records what the runner asked for (the documented request shape)."""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devstack.testing import StackHandle
from tests.e2e import ApiUser, Fleet, Simulator, wait_for


class _Agent(BaseHTTPRequestHandler):
    calls: list[dict] = []

    def do_PUT(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append({"path": self.path, **body})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"protection": {"ProtectionEnabled": true}}')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def ecs_agent():
    _Agent.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Agent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1", _Agent.calls
    server.shutdown()


def _datapoints(stack: StackHandle) -> list[dict]:
    now = datetime.now(UTC)
    return stack._boto("cloudwatch").get_metric_statistics(
        Namespace="Wagate",
        MetricName="ActiveSessions",
        Dimensions=[{"Name": "Stage", "Value": stack.env["WAGATE_STAGE"]}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum", "Minimum"],
    )["Datapoints"]


def test_a_runner_reports_sessions_and_is_protected_while_it_holds_one(
    stack: StackHandle, simulator: Simulator, runners: Fleet, user: ApiUser, ecs_agent
) -> None:
    agent_uri, calls = ecs_agent
    # This runner alone takes the next session: the others stop cleanly first (topped up after).
    for runner_id in runners.alive():
        assert runners.kill(runner_id, signal.SIGTERM) == 0
    # Sessions earlier tests left behind were just released: ended here, so this runner takes none.
    stack.sql(
        "update whatsapp_web_sessions set status = 'disconnected', runner_id = null"
        " where status in ('pending', 'starting', 'qr_ready', 'authenticating', 'connected')"
    )
    try:
        (runner_id,) = runners.start(
            1, ECS_AGENT_URI=agent_uri, METRICS_INTERVAL_S="1", HEARTBEAT_INTERVAL_S="1"
        )
        ((queue_url,),) = stack.sql(
            "select queue_url from whatsapp_web_runners where runner_id = %s", (runner_id,)
        )
        for url in (queue_url, f"{queue_url}-dlq"):
            attributes = stack.sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            assert attributes.get("SqsManagedSseEnabled") == "true", url

        session, _phone = user.link(simulator)
        assert runners.holder(session["id"]) == runner_id
        wait_for(lambda: calls and calls[-1]["ProtectionEnabled"], 15, what="protection on")
        assert calls[-1] == {
            "path": "/v1/task-protection/v1/state",
            "ProtectionEnabled": True,
            "ExpiresInMinutes": 60,
        }
        wait_for(lambda: any(p["Maximum"] >= 1 for p in _datapoints(stack)), 15, what="ActiveSessions >= 1")

        assert user.http.delete(f"/api/sessions/{session['id']}").status_code == 204
        wait_for(lambda: calls[-1]["ProtectionEnabled"] is False, 15, what="protection off")
        assert calls[-1] == {"path": "/v1/task-protection/v1/state", "ProtectionEnabled": False}
        assert runners.kill(runner_id, signal.SIGTERM) == 0
        assert any(p["Minimum"] == 0 for p in _datapoints(stack))
    finally:
        runners.top_up()
