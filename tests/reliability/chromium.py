"""Reaching a runner's Chromium from outside, as faults do: its processes through /proc, and its
DevTools protocol through the port a wrapper executable opens (`debug_wrapper`), so a test can
crash one session's page or close its browser context under the runner."""

from __future__ import annotations

import itertools
import json
import os
import stat
from pathlib import Path

from websockets.sync.client import connect

from wagate.browser import chromium_executable


def debug_wrapper(directory: Path) -> Path:
    """An executable for CHROMIUM_PATH: the runners' own Chromium with a DevTools port (chosen by
    Chromium, written to DevToolsActivePort in its profile). Only the tests' runners use it."""
    chromium = chromium_executable(headless_shell=True)
    assert chromium, "the reliability suite drives Debian's Chromium (apt-get install chromium)"
    wrapper = directory / "chromium-devtools"
    wrapper.write_text(f'#!/bin/sh\nexec {chromium} --remote-debugging-port=0 "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


def _parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def descendants(root: int) -> list[int]:
    parents = {int(p): _parent_of(int(p)) for p in os.listdir("/proc") if p.isdigit()}
    found, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        children = [pid for pid, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def browser_pid(runner_pid: int) -> int | None:
    """The runner's Chromium browser process (not a renderer, GPU or utility process)."""
    for pid in descendants(runner_pid):
        argv = _cmdline(pid)
        if argv and "chromium" in Path(argv[0]).name and not any(a.startswith("--type=") for a in argv):
            return pid
    return None


class DevTools:
    """A minimal Chrome DevTools Protocol client on the browser endpoint (flat sessions)."""

    def __init__(self, browser: int) -> None:
        profile = next(a.split("=", 1)[1] for a in _cmdline(browser) if a.startswith("--user-data-dir="))
        port, path = (Path(profile) / "DevToolsActivePort").read_text().split()[:2]
        self._ws = connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=10)
        self._ids = itertools.count(1)

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._ws.close()

    def send(self, method: str, session: str | None = None, **params: object) -> int:
        message_id = next(self._ids)
        frame: dict = {"id": message_id, "method": method, "params": params}
        if session:
            frame["sessionId"] = session
        self._ws.send(json.dumps(frame))
        return message_id

    def call(self, method: str, session: str | None = None, **params: object) -> dict:
        message_id = self.send(method, session, **params)
        while True:
            frame = json.loads(self._ws.recv(timeout=15))
            if frame.get("id") == message_id:
                assert "error" not in frame, f"{method}: {frame['error']}"
                return frame["result"]

    def whatsapp_page(self, phone: str) -> tuple[dict, str]:
        """The page target logged in as `phone` and a DevTools session attached to it."""
        targets = self.call("Target.getTargets")["targetInfos"]
        for target in (t for t in targets if t["type"] == "page"):
            attached = self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
            session = attached["sessionId"]
            result = self.call(
                "Runtime.evaluate",
                session,
                expression="localStorage.getItem('last-wid-md') || ''",
                returnByValue=True,
            )
            if f'"{phone}:' in str(result["result"].get("value")):
                return target, session
            self.call("Target.detachFromTarget", sessionId=session)
        raise AssertionError(f"no page of this browser is logged in as {phone}")

    def crash(self, session: str) -> None:
        """Page.crash kills the page's renderer; no answer comes back from a dead target."""
        self.send("Page.crash", session)

    def close_context(self, browser_context_id: str) -> None:
        self.call("Target.disposeBrowserContext", browserContextId=browser_context_id)
