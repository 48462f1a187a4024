"""End-to-end helpers: the phone and customers (the simulator's control API), a dashboard user
(the public API), waiting, and reading QR images. The fixtures built on them are in
tests/conftest.py."""

from __future__ import annotations

import base64
import itertools
import os
import signal
import time
import uuid
from collections.abc import Callable

import httpx
import zxingcpp
from PIL import Image

from bench.procmem import kill_tree
from devstack.testing import StackHandle

_numbers = itertools.count(1)


def fresh_number(prefix: str = "49151") -> str:
    return f"{prefix}{int(time.time()) % 100000:05d}{next(_numbers):04d}"


def decode_qr_png(png: bytes) -> str:
    import io

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "the QR image could not be decoded"
    return results[0].text


def wait_for(
    check: Callable[[], object], timeout_s: float = 30.0, interval_s: float = 0.2, what: str = ""
) -> object:
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what or check}; last: {last!r}")


def session_log_lines(stack: StackHandle, session_id: str, last: int = 40) -> list[str]:
    """What the runners logged about a session (for a failure message: CI keeps no state dir)."""
    lines = []
    for path in sorted(stack.paths.log_dir.glob("runner-*.log")):
        text = path.read_text(errors="replace")
        lines += [f"{path.stem}: {line[:300]}" for line in text.splitlines() if session_id in line]
    return sorted(lines, key=lambda line: line.split('"ts": "', 1)[-1][:24])[-last:]


class Simulator:
    """The phone and the customers (the simulator's control API)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def scan(self, qr: str, phone: str, name: str = "Test Shop") -> dict:
        response = self.http.post("/control/scan", json={"qr": qr, "phone": phone, "name": name})
        assert response.status_code == 200, response.text
        return response.json()

    def send(
        self, customer: str, to: str, text: str | None, name: str = "Customer", **options: object
    ) -> str:
        """A customer's message; `options`: addressing ("lid"), phone_visible, type, caption,
        ciphertext_ms, ephemeral_s (simulator/README.md)."""
        response = self.http.post(
            "/control/messages", json={"from": customer, "to": to, "text": text, "name": name, **options}
        )
        assert response.status_code in (200, 201), response.text
        return response.json()["id"]

    def received(self, number: str) -> list[dict]:
        response = self.http.get("/control/messages", params={"number": number})
        assert response.status_code == 200, response.text
        body = response.json()
        return body["messages"] if isinstance(body, dict) else body

    def texts_received(self, number: str) -> list[str]:
        return [m["text"] for m in self.received(number)]

    def post(self, path: str, body: dict | None = None) -> httpx.Response:
        return self.http.post(path, json=body or {})


class ApiUser:
    """One dashboard user, acting through the public API."""

    def __init__(self, stack: StackHandle) -> None:
        self.stack = stack
        self.user_id, token = stack.create_user()
        self.token = token
        self.http = httpx.Client(
            base_url=stack.api_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
        )

    def create_session(self, **body: object) -> dict:
        response = self.http.post("/api/sessions/create", json={"chatbot_id": str(uuid.uuid4()), **body})
        assert response.status_code == 201, response.text
        return response.json()

    def delete_all_sessions(self) -> None:
        try:
            listed = self.http.get("/api/sessions")
            body = listed.json() if listed.status_code == 200 else {}
            rows = body.get("sessions", []) if isinstance(body, dict) else body
            for row in rows:
                self.http.delete(f"/api/sessions/{row['id']}")
        except httpx.HTTPError:
            pass  # the stack of a test that took it down

    def session(self, session_id: str) -> dict:
        response = self.http.get(f"/api/sessions/{session_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_status(self, session_id: str, *statuses: str, timeout_s: float = 45.0) -> dict:
        def reached() -> dict | None:
            session = self.session(session_id)
            return session if session["status"] in statuses else None

        return wait_for(reached, timeout_s, what=f"session {session_id} to become {statuses}")  # type: ignore[return-value]

    def qr_string(self, session_id: str) -> str:
        response = self.http.get(f"/api/sessions/{session_id}/qr")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/png")
        return decode_qr_png(response.content)

    def messages(self, session_id: str) -> list[dict]:
        response = self.http.get(f"/api/sessions/{session_id}/messages", params={"limit": 200})
        assert response.status_code == 200, response.text
        body = response.json()
        return body["messages"] if isinstance(body, dict) else body

    def link(self, sim: Simulator, phone: str | None = None, **body: object) -> tuple[dict, str]:
        """Create a session (with `body`'s fields), scan its QR with a phone, wait until connected."""
        phone = phone or fresh_number()
        return self.connect(self.create_session(**body), sim, phone), phone

    def connect(self, created: dict, sim: Simulator, phone: str) -> dict:
        """Scan a created session's QR with `phone`; the session once connected."""
        ready = self.wait_status(created["id"], "qr_ready")
        assert ready["qr_code"], "a qr_ready session shows its QR"
        assert base64.b64decode(ready["qr_code"])[:8] == b"\x89PNG\r\n\x1a\n"
        sim.scan(self.qr_string(created["id"]), phone)
        return self.wait_status(created["id"], "connected")


RUNNER_SETTINGS = {
    "LEASE_TTL_SECONDS": "6",
    "SEND_RATE_PER_S": "20",
    "BOT_TIMEOUT_S": "2",
    "BOT_ATTEMPTS": "2",
    "WA_LOAD_TIMEOUT_S": "45",
    "COMMAND_MAX_RECEIVES": "3",
    "BOT_PROFILE_TTL_S": "1",  # a rotated secret or a changed owner shows within a second
    "WA_MODULES_WAIT_S": "8",  # a module really missing fails a session after this
    "CIPHERTEXT_WAIT_S": "3",  # an undecrypted message waits this long before it is failed
}


class Fleet:
    """The runners of a test stack, on one simulator: start more, find who holds a session, kill
    one (SIGTERM or SIGKILL, as ECS or a lost machine would), and top the fleet up again."""

    def __init__(self, stack, wa_web_url: str, size: int, **settings: str) -> None:
        self.stack = stack
        self.wa_web_url = wa_web_url
        self.size = size
        self.settings = {**RUNNER_SETTINGS, **settings}
        self.processes: dict[str, object] = {}

    def start(self, count: int = 1, **settings: str) -> list[str]:
        started = []
        for _ in range(count):
            proc = self.stack.start_runner(self.wa_web_url, **{**self.settings, **settings})
            runner_id = proc.spec.env["RUNNER_ID"]
            self.processes[runner_id] = proc
            started.append(runner_id)
        return started

    def alive(self) -> list[str]:
        return [rid for rid, proc in self.processes.items() if proc.popen.poll() is None]

    def holder(self, session_id: str) -> str | None:
        rows = self.stack.sql("select runner_id from whatsapp_web_sessions where id = %s", (session_id,))
        return rows[0][0] if rows else None

    def kill(self, runner_id: str, sig: int = signal.SIGKILL, wait_s: float = 60.0) -> int:
        """Signal a runner and wait for it to exit; its exit code. SIGKILL goes to its whole process
        tree at once (Playwright's driver, Chromium), as when ECS kills the task or the machine is
        lost; SIGTERM to the runner alone, as ECS stops a task."""
        proc = self.processes[runner_id]
        if sig == signal.SIGKILL:
            kill_tree(proc.pid)
        else:
            os.kill(proc.pid, sig)
        return proc.popen.wait(wait_s)

    def top_up(self) -> None:
        missing = self.size - len(self.alive())
        if missing > 0:
            self.start(missing)
