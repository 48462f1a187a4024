"""Which Chromium a runner launches: `CHROMIUM_PATH` when set (empty: Playwright's own), else
Debian's headless shell when installed (a browser context costs about a tenth of the CPU of the
full browser's headless mode: `python -m bench browsers`), else the system Chromium. The other
processes (the tests' and the dashboard's browsers) use the full Chromium. The runner's real
browser process is checked in tests/reliability/test_browser_faults.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from wagate.browser import HEADLESS_SHELL, chromium_executable, chromium_launch_options

INSTALLED = Path(HEADLESS_SHELL).exists()


def test_a_configured_path_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", "/opt/google/chrome/chrome")
    assert chromium_executable(headless_shell=True) == "/opt/google/chrome/chrome"
    assert chromium_launch_options(headless_shell=True)["executable_path"] == "/opt/google/chrome/chrome"
    monkeypatch.setenv("CHROMIUM_PATH", "")
    assert chromium_executable(headless_shell=True) is None
    assert "executable_path" not in chromium_launch_options(headless_shell=True)


@pytest.mark.skipif(not INSTALLED, reason="Debian's chromium-headless-shell is not installed (make system)")
def test_runners_prefer_the_headless_shell_the_rest_the_full_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    assert chromium_launch_options(headless_shell=True)["executable_path"] == HEADLESS_SHELL
    assert chromium_launch_options()["executable_path"] == "/usr/bin/chromium"
    # a headed browser (debugging a runner) is never the headless shell
    assert chromium_launch_options(headless=False, headless_shell=True)["executable_path"] != HEADLESS_SHELL
