"""python -m runner: one runner of the fleet (settings from the environment; see README)."""

from __future__ import annotations

import asyncio
import os
import sys

from runner.service import Runner
from runner.settings import RunnerSettings
from wagate import logs
from wagate.errors import ConfigError


def main() -> int:
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"))
    try:
        settings = RunnerSettings.from_env()
    except ConfigError as exc:
        print(f"runner: {exc}", file=sys.stderr)
        return 2
    with asyncio.Runner(loop_factory=_loop_factory()) as loop:
        return loop.run(Runner(settings).run())


def _loop_factory():
    """uvloop when installed (a few percent less CPU per message for the runner), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    sys.exit(main())
