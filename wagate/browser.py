"""How every wagate process launches Chromium.

Playwright's own browser download is not always possible; the system Chromium (Debian's
`chromium`) works as well. `CHROMIUM_PATH` selects the executable; empty means Playwright's own.

Runners prefer Debian's `chromium-headless-shell` (the same release, built as the headless shell
that Playwright's own headless Chromium is too, as in the runner's container image): a browser
context with a page costs about a tenth of the CPU the full browser's new headless mode spends
(`python -m bench browsers`), which is what bounds how fast a dead runner's sessions come back.
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
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"  # Debian's chromium-headless-shell


def chromium_executable(*, headless_shell: bool = False) -> str | None:
    """The Chromium to launch: `CHROMIUM_PATH`, else (with `headless_shell`, the runners) Debian's
    headless shell when installed, else the system Chromium, else Playwright's (None)."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured is not None:
        return configured or None
    candidates = (HEADLESS_SHELL,) if headless_shell else ()
    for candidate in (*candidates, "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


def chromium_launch_options(
    *, headless: bool = True, extra_args: tuple[str, ...] = (), headless_shell: bool = False
) -> dict:
    """Keyword arguments for `playwright.chromium.launch(...)`."""
    options: dict = {"headless": headless, "args": [*CHROMIUM_FLAGS, *extra_args]}
    executable = chromium_executable(headless_shell=headless_shell and headless)
    if executable:
        options["executable_path"] = executable
    return options
