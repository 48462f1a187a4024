"""A runner opens a few sessions at a time, each until it settles, and opens a saved login that
failed to load again instead of failing it. The session is replaced by a stand-in here (to count
how many open at once); the real path runs in every end-to-end test that opens a session,
`tests/reliability/test_whatsapp_faults.py::test_whatsapp_web_not_loading_at_a_restore_is_retried_
not_failed`, and `python -m bench soak` (a SIGTERM'd runner's 25 sessions taken over at once)."""

from __future__ import annotations

import asyncio

import pytest

import runner.service as service
from runner.settings import RunnerSettings
from wagate.status import SessionStatus

ENV = {
    "SUPABASE_URL": "http://127.0.0.1:9",
    "SUPABASE_SERVICE_ROLE_KEY": "not-used",
    "WAGATE_START_QUEUE_URL": "http://127.0.0.1:9/000000000000/start",
    "WAGATE_CHECKPOINT_BUCKET": "not-used",
    "CHECKPOINT_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "SUPABASE_ANON_KEY": "not-used",
    "AVATAR_CHAT_SIGNING_SECRET": "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "OPEN_CONCURRENCY": "2",
    "WA_LOAD_TIMEOUT_S": "5",
}


class StandInSession:
    """Opens in 50 ms, settles 100 ms later (a QR or a login); `broken` ids fail to open."""

    opening = 0
    most_at_once = 0
    broken: set[str] = set()

    def __init__(self, row: dict, deps, *, on_closed=None, on_lost=None) -> None:
        self.id = row["id"]
        self.restoring = row.get("status") == "connected"
        self.closed = False
        self.status = SessionStatus.PENDING
        self.settled = asyncio.Event()
        self.failed: str | None = None
        self.log_extra = {"session_id": self.id}

    async def start(self) -> None:
        cls = type(self)
        cls.opening += 1
        cls.most_at_once = max(cls.most_at_once, cls.opening)
        await asyncio.sleep(0.05)
        if self.id in cls.broken:
            cls.opening -= 1
            raise RuntimeError("Timeout 5000ms exceeded")

        async def settle() -> None:
            await asyncio.sleep(0.1)
            self.status = SessionStatus.CONNECTED
            cls.opening -= 1
            self.settled.set()

        asyncio.get_running_loop().create_task(settle())

    async def fail(self, failure) -> None:
        self.failed = failure.message
        self.closed = True


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> service.Runner:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(service, "WhatsAppSession", StandInSession)
    StandInSession.opening = StandInSession.most_at_once = 0
    StandInSession.broken = set()
    return service.Runner(RunnerSettings.from_env(ENV))


def test_sessions_open_a_few_at_a_time_each_until_it_settles(runner: service.Runner) -> None:
    rows = [{"id": f"s{i}", "epoch": 1, "status": "connected"} for i in range(7)]

    async def open_all() -> None:
        await asyncio.gather(*(runner._open_session(row) for row in rows))

    asyncio.run(open_all())
    assert StandInSession.most_at_once == 2, "OPEN_CONCURRENCY sessions open at once, no more"
    assert all(runner.sessions[r["id"]].status == SessionStatus.CONNECTED for r in rows)
    assert runner._opening == 0


def test_a_saved_login_that_fails_to_open_is_opened_again_a_new_one_fails(runner: service.Runner) -> None:
    StandInSession.broken = {"restore", "fresh"}
    reopened: list[tuple[str, str]] = []

    async def reopen(session, reason: str) -> None:
        reopened.append((session.id, reason))

    runner._reopen = reopen  # type: ignore[method-assign]

    async def open_both() -> None:
        await runner._open_session({"id": "restore", "epoch": 3, "status": "connected"})
        await runner._open_session({"id": "fresh", "epoch": 1, "status": "pending"})

    asyncio.run(open_both())
    assert reopened == [("restore", "WhatsApp Web could not be opened")]
    assert runner.sessions["restore"].failed is None
    # what the owner reads: plain words (Playwright's own message goes to the log only)
    assert (
        runner.sessions["fresh"].failed
        == "WhatsApp Web could not be opened; restart the session to try again"
    )
