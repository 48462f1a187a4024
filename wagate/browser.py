"""How every wagate process launches Chromium.

Playwright's own browser download is not always possible; the system Chromium (Debian's
`chromium`) works as well. `CHROMIUM_PATH` selects the executable; empty means Playwright's own.
"""

from __future__ import annotations

import os
import shutil

CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
)


def chromium_executable() -> str | None:
    """The Chromium to launch: `CHROMIUM_PATH`, else the system one, else Playwright's (None)."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured is not None:
        return configured or None
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


def chromium_launch_options(*, headless: bool = True, extra_args: tuple[str, ...] = ()) -> dict:
    """Keyword arguments for `playwright.chromium.launch(...)`."""
    options: dict = {"headless": headless, "args": [*CHROMIUM_FLAGS, *extra_args]}
    executable = chromium_executable()
    if executable:
        options["executable_path"] = executable
    return options
