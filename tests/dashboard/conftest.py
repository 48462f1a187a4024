"""Fixtures for the dashboard's tests: the demo app as the local stack serves it (`DASHBOARD_URL`:
dashboard/dist and a generated /config.js), built first when it is missing or older than its
sources, so the tests always drive the current code. The simulator and the runners on it are the
session-wide `simulator` and `runners` of tests/conftest.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from devstack.testing import StackHandle

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
DIST = DASHBOARD / "dist"


def _newest_mtime(paths: list[Path]) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def _npm(npm: str, *args: str) -> None:
    try:
        subprocess.run([npm, *args], cwd=DASHBOARD, check=True, capture_output=True, text=True, timeout=600)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"npm {' '.join(args)} failed in {DASHBOARD}:\n{(exc.stdout + exc.stderr)[-3000:]}")


def build_dashboard() -> None:
    """`npm ci` (when node_modules is older than the lock file) and `npm run build` (when dist is
    older than the sources): what `make dashboard` does."""
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


@pytest.fixture(scope="session")
def dashboard_url(stack: StackHandle) -> str:
    """The demo app on the running stack, signed in as its local user (make dev's :8080)."""
    build_dashboard()
    return stack.env["DASHBOARD_URL"] + "/"
