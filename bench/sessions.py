"""Acting as the dashboard's users (the public API) and as the phones (the simulator's control
API): create sessions, scan their QR codes, wait for statuses. Small copies of tests/e2e.py's
helpers, so bench/ does not import the test suites."""

from __future__ import annotations

import itertools
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from devstack.testing import StackHandle
from simulator.qr import decode_qr_png

_phones = itertools.count(random.randrange(10_000, 900_000) * 100)


def fresh_phone(prefix: str = "4917") -> str:
    return f"{prefix}{next(_phones):08d}"


class BenchTimeout(RuntimeError):
    pass


class Phones:
    """The simulator's control API: the phones that scan, the customers that write."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=15)

    def scan(self, qr: str, phone: str) -> None:
        response = self.http.post("/control/scan", json={"qr": qr, "phone": phone, "name": "Bench Shop"})
        if response.status_code != 200:
            raise RuntimeError(f"scan failed: {response.status_code} {response.text}")

    def send(self, customer: str, to: str, text: str) -> dict:
        response = self.http.post("/control/messages", json={"from": customer, "to": to, "text": text})
        response.raise_for_status()
        return response.json()

    def messages(self) -> list[dict]:
        response = self.http.get("/control/messages")
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.http.close()


@dataclass
class BenchSession:
    id: str
    api: httpx.Client
    phone: str | None = None


class Dashboard:
    """Users of the public API; each user holds at most `per_user` sessions (the API's limit is 20)."""

    def __init__(self, stack: StackHandle, per_user: int = 10) -> None:
        self.stack = stack
        self.per_user = per_user
        self._clients: list[httpx.Client] = []
        self._count = 0

    def _client(self) -> httpx.Client:
        if self._count % self.per_user == 0:
            _user_id, token = self.stack.create_user()
            self._clients.append(
                httpx.Client(
                    base_url=self.stack.api_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
                )
            )
        self._count += 1
        return self._clients[-1]

    def create(self) -> BenchSession:
        client = self._client()
        response = client.post("/api/sessions/create", json={"chatbot_id": str(uuid.uuid4())})
        if response.status_code != 201:
            raise RuntimeError(f"create failed: {response.status_code} {response.text}")
        return BenchSession(response.json()["id"], client)

    def get(self, session: BenchSession) -> dict:
        response = session.api.get(f"/api/sessions/{session.id}")
        response.raise_for_status()
        return response.json()

    def delete(self, session: BenchSession) -> None:
        session.api.delete(f"/api/sessions/{session.id}").raise_for_status()

    def close(self) -> None:
        for client in self._clients:
            client.close()


def statuses(stack: StackHandle, ids: list[str]) -> dict[str, dict]:
    """id -> {status, runner_id, qr_code, last_error, connected_at (unix seconds)} (one query)."""
    rows = stack.sql(
        "select id::text, status, runner_id, qr_code, last_error, extract(epoch from connected_at)::float8"
        " from public.whatsapp_web_sessions where id = any(%s::uuid[])",
        (ids,),
    )
    keys = ("status", "runner_id", "qr_code", "last_error", "connected_at")
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}


def wait_all(
    stack: StackHandle,
    ids: list[str],
    wanted: set[str],
    *,
    timeout_s: float,
    fail_on: frozenset[str] = frozenset({"failed", "logged_out", "qr_expired"}),
    interval_s: float = 0.1,
    runner_id: str | None = None,
) -> dict[str, dict]:
    """Poll the database until every session is in `wanted` (and held by `runner_id` if given)."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = statuses(stack, ids)
        bad = {i: r for i, r in rows.items() if r["status"] in fail_on}
        if bad:
            first = next(iter(bad.values()))
            raise RuntimeError(f"{len(bad)} session(s) {first['status']}: {first['last_error']}")
        done = [
            r
            for r in rows.values()
            if r["status"] in wanted and (runner_id is None or r["runner_id"] == runner_id)
        ]
        if len(done) == len(ids):
            return rows
        if time.monotonic() > deadline:
            counts: dict[str, int] = {}
            for r in rows.values():
                counts[r["status"]] = counts.get(r["status"], 0) + 1
            raise BenchTimeout(f"after {timeout_s:.0f} s {len(done)}/{len(ids)} sessions {wanted}: {counts}")
        time.sleep(interval_s)


def link_sessions(
    stack: StackHandle,
    dashboard: Dashboard,
    phones: Phones,
    count: int,
    *,
    batch: int = 10,
    timeout_s: float = 120.0,
) -> list[BenchSession]:
    """Create `count` sessions through the API and link each with its own phone, `batch` at a time."""
    linked: list[BenchSession] = []
    with ThreadPoolExecutor(max_workers=batch) as pool:
        while len(linked) < count:
            size = min(batch, count - len(linked))
            created = list(pool.map(lambda _: dashboard.create(), range(size)))
            ids = [s.id for s in created]
            rows = wait_all(stack, ids, {"qr_ready"}, timeout_s=timeout_s)

            def scan(session: BenchSession, rows: dict = rows) -> None:
                session.phone = fresh_phone()
                phones.scan(decode_qr_png(rows[session.id]["qr_code"]), session.phone)

            list(pool.map(scan, created))
            wait_all(stack, ids, {"connected"}, timeout_s=timeout_s)
            linked.extend(created)
    return linked
