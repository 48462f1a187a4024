"""Tenants' chatbot endpoints, played by real local HTTP servers (tests/security and `bench
isolation`): one that records every request it gets and answers as told, and one that drips its
answer a byte at a time and never finishes (the slow-loris endpoint a hostile tenant would point
wagate at). Loopback only."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class RecordingEndpoint:
    """Answers each POST with the next of `statuses` (then 200), the body `{"replies": [...]}`;
    `calls` holds every request: its headers (lower-case names), raw head and body."""

    def __init__(
        self,
        statuses: list[int] | None = None,
        reply: str = "answered by my own bot",
        replies: list[dict[str, Any]] | None = None,
    ) -> None:
        self.calls: list[dict[str, Any]] = []
        self.statuses = deque(statuses or [])
        self.reply = reply
        self.replies = replies  # answered instead of `reply` when given (files, several messages)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.calls.append(
                    {
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "head": f"{self.requestline}\r\n{self.headers}",
                        "body": body,
                        "path": self.path,
                    }
                )
                status = outer.statuses.popleft() if outer.statuses else 200
                items = outer.replies if outer.replies is not None else [{"text": outer.reply}]
                answer = json.dumps({"replies": items}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/chatbot"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class DripEndpoint:
    """Accepts every POST, sends `200` and headers, then one byte every `every_s` seconds for
    `for_s` seconds: an answer that never completes in time, holding its connection. Counts the
    connections it holds at once."""

    def __init__(self, every_s: float = 0.5, for_s: float = 60.0) -> None:
        self.every_s = every_s
        self.for_s = for_s
        self.open = 0
        self.most_open = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with outer._lock:
                    outer.requests += 1
                    outer.open += 1
                    outer.most_open = max(outer.most_open, outer.open)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    deadline = time.monotonic() + outer.for_s
                    while time.monotonic() < deadline and not outer._stop.is_set():
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(outer.every_s)
                except OSError:
                    pass  # the caller gave up (its deadline): what we want to see
                finally:
                    with outer._lock:
                        outer.open -= 1
                self.close_connection = True

            def log_message(self, *_args: object) -> None:
                pass

        self.server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/chatbot"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> DripEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
