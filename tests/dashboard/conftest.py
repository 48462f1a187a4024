"""Fixtures for the dashboard's end-to-end test: the built demo app served over HTTP, and the
simulator (in place of WhatsApp) with a runner on it, against the shared `stack` fixture.

`sim` and its runner live for this module only, and are stopped before the next one starts:
runners take sessions from one shared start queue, so a runner on another simulator that is
alive at the same time could claim this test's session (and the other way round). When the
suite gets a single session-wide simulator and fleet in tests/conftest.py, `sim` here should
become that simulator's control client, and this runner go.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.testing import StackHandle
from simulator.testing import SimulatorControl, SimulatorProcess

DIST = Path(__file__).resolve().parents[2] / "dashboard" / "dist"

# Fast enough for a test, slow enough for a browser to show and screenshot a code.
SIMULATOR_SETTINGS = {
    "ref_first_ms": 20_000,
    "ref_next_ms": 10_000,
    "ref_count": 3,
    "ack_delivered_ms": 100,
    "ack_read_ms": 300,
    "sync_ms": 100,
    "reconnect_ms": 300,
}
RUNNER_SETTINGS = {
    "LEASE_TTL_SECONDS": "6",
    "SEND_RATE_PER_S": "20",
    "BOT_TIMEOUT_S": "5",
    "BOT_ATTEMPTS": "2",
    "WA_LOAD_TIMEOUT_S": "30",
}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def dashboard_url() -> Iterator[str]:
    """The built demo app (dashboard/dist) on a free port; tests answer /config.js themselves."""
    if not (DIST / "index.html").exists():
        pytest.fail(f"{DIST} is missing: build the dashboard first (cd dashboard && npm ci && npm run build)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(DIST)))
    thread = threading.Thread(target=server.serve_forever, name="dashboard-static", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def sim(stack: StackHandle) -> Iterator[SimulatorControl]:
    """The simulator's control API (`scan`, `send_message`, `received`), with one runner on it."""
    log_path = stack.paths.log_dir / "simulator-dashboard.log"
    with SimulatorProcess(log_path=log_path, **SIMULATOR_SETTINGS) as process:
        runner = stack.start_runner(process.url, **RUNNER_SETTINGS)
        try:
            yield process.control
        finally:
            stack.runners.stop(runner)
