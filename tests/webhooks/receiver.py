"""A real webhook receiver on 127.0.0.1, as an app's backend would run one: every request is
verified with the `standardwebhooks` package against the endpoint's secret(s); what it accepted,
and every attempt it saw, are kept for the tests to read. It can answer 500, answer late (past
the dispatcher's deadline), or be down altogether (its port closed) and come back on the same URL."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from devstack.stack import free_port


@dataclass
class Seen:
    """One request: when it arrived, its `webhook-id`, whether its signature verified, what it got."""

    at: float
    webhook_id: str
    verified: bool
    answered: int | None  # None: answered too late (the dispatcher had given up)
    body: dict | None = None
    signatures: int = 0
    raw: bytes = b""  # the request as it came, to verify again
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    secrets: list[str] = field(default_factory=list)
    status: int = 200  # what to answer
    delay_s: float = 0.0  # how long to hold each request before answering
    failures_left: int = 0  # answer 500 to this many requests first
    seen: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.time()
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified, body = receiver._verify(raw, headers)
                status = receiver._answer()
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                seen = Seen(arrived, headers.get("webhook-id", ""), verified, status, body,
                            len(headers.get("webhook-signature", "").split()), raw, headers)  # fmt: skip
                with receiver._lock:
                    receiver.seen.append(seen)
                try:
                    self.send_response(status if verified else 401)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:  # the dispatcher hung up first (its deadline)
                    seen.answered = None

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port is closed, connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _verify(self, raw: bytes, headers: dict[str, str]) -> tuple[bool, dict | None]:
        for secret in self.secrets:
            try:
                return True, Webhook(secret).verify(raw, headers)
            except WebhookVerificationError:
                continue
        try:
            return False, json.loads(raw)
        except ValueError:
            return False, None

    def _answer(self) -> int:
        with self._lock:
            if self.failures_left > 0:
                self.failures_left -= 1
                return 500
        return self.status

    # ------------------------------------------------------------------ what it saw
    def accepted(self) -> list[Seen]:
        """Requests verified and answered 2xx in time: delivered."""
        with self._lock:
            return [s for s in self.seen if s.verified and s.answered is not None and 200 <= s.answered < 300]

    def accepted_of(self, event_type: str) -> list[dict]:
        return [s.body for s in self.accepted() if s.body and s.body["type"] == event_type]

    def attempts_of(self, webhook_id: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.webhook_id == webhook_id]
