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
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.testing import StackHandle
from simulator.testing import SimulatorControl, SimulatorProcess

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
DIST = DASHBOARD / "dist"

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


def _newest_mtime(paths: list[Path]) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def _npm(npm: str, *args: str) -> None:
    try:
        subprocess.run([npm, *args], cwd=DASHBOARD, check=True, capture_output=True, text=True, timeout=600)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"npm {' '.join(args)} failed in {DASHBOARD}:\n{(exc.stdout + exc.stderr)[-3000:]}")


def build_dashboard() -> None:
    """`npm ci` (when node_modules is older than the lock file) and `npm run build` (when dist is
    older than the sources), so the test always drives the current code."""
    lock = DASHBOARD / "package-lock.json"
    sources = [lock, DASHBOARD / "index.html", DASHBOARD / "vite.config.ts", DASHBOARD / "tsconfig.json"]
    sources += [*DASHBOARD.glob("src/**/*"), *DASHBOARD.glob("public/**/*")]
    built = DIST / "index.html"
    if built.exists() and built.stat().st_mtime >= _newest_mtime(sources):
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: the dashboard needs Node >= 20.19 and npm to build")
    installed = DASHBOARD / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        _npm(npm, "ci", "--no-audit", "--no-fund")
    _npm(npm, "run", "build")


@pytest.fixture(scope="module")
def dashboard_url() -> Iterator[str]:
    """The built demo app (dashboard/dist) on a free port; tests answer /config.js themselves."""
    build_dashboard()
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
