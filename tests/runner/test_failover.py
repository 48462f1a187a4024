"""Sessions survive restarts and runner loss without a new QR, and without losing or repeating a
message: the real stack, two (or three) runners in Debian's Chromium, the simulator as WhatsApp.

Every conversation is checked at both ends: each customer message is stored once and answered
once in the database, and the customer receives each reply exactly once."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import pytest

from devstack.testing import StackHandle
from runner.checkpoint import object_key
from tests.e2e import ApiUser, Fleet, Simulator, fresh_number, session_log_lines, wait_for


@pytest.fixture
def fleet(runners: Fleet):
    yield runners
    runners.top_up()


def checkpoint_keys(stack: StackHandle, session_id: str) -> list[str]:
    listed = stack.s3().list_objects_v2(
        Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Prefix=f"checkpoints/{session_id}/"
    )
    return [item["Key"] for item in listed.get("Contents", [])]


def link_with_checkpoint(user: ApiUser, simulator: Simulator, stack: StackHandle) -> tuple[dict, str]:
    session, phone = user.link(simulator)
    wait_for(lambda: checkpoint_keys(stack, session["id"]), 20, what="the first checkpoint")
    return session, phone


def wait_reply_in_flight(stack: StackHandle, session_id: str) -> None:
    wait_for(
        lambda: stack.sql(
            "select 1 from whatsapp_web_messages where session_id = %s and status = 'replying'",
            (session_id,),
        ),
        15,
        what="a reply in flight",
    )


def session_row(stack: StackHandle, session_id: str) -> dict:
    (row,) = stack.sql(
        "select status, runner_id, epoch, last_error, qr_code from whatsapp_web_sessions where id = %s",
        (session_id,),
    )
    return dict(zip(("status", "runner_id", "epoch", "last_error", "qr_code"), row, strict=True))


def wait_connected_elsewhere(
    stack: StackHandle, session_id: str, old_runner: str, timeout_s: float = 90
) -> dict:
    """Connected on another runner; never showing a QR code on the way. (Generous: the lease
    expires within seconds, but a loaded CI machine opens pages slowly.)"""
    rows: list[dict] = []

    def moved() -> dict | None:
        row = session_row(stack, session_id)
        if not rows or rows[-1] != row:
            rows.append(row)
        assert row["qr_code"] is None and row["status"] != "qr_ready", f"a new QR was asked for: {row}"
        ok = row["status"] == "connected" and row["runner_id"] not in (None, old_runner)
        return row if ok else None

    try:
        return wait_for(moved, timeout_s, what=f"session {session_id} connected on another runner")  # type: ignore[return-value]
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; the session's rows on the way: {rows}; its runner log lines:\n"
            + "\n".join(session_log_lines(stack, session_id))
        ) from None


def assert_each_answered_once(
    stack: StackHandle, simulator: Simulator, session_id: str, customer: str, texts: list[str]
) -> None:
    """Every inbound text stored once and `replied` with one reply `sent`; the customer got each
    echo exactly once."""
    expected = [f"You said: {t}" for t in texts]

    def all_delivered() -> bool:
        got = Counter(simulator.texts_received(customer))
        return all(got[e] >= 1 for e in expected)

    try:
        wait_for(all_delivered, 45, what="every reply at the customer")
    except AssertionError as exc:
        rows = stack.sql(
            "select direction, content, status, error, created_at from whatsapp_web_messages"
            " where session_id = %s order by created_at",
            (session_id,),
        )
        raise AssertionError(
            f"{exc}; the customer got {simulator.texts_received(customer)}; the session's messages:"
            f" {rows}; its runner log lines:\n" + "\n".join(session_log_lines(stack, session_id, 60))
        ) from None
    time.sleep(1.0)  # a duplicate would arrive right behind
    got = Counter(simulator.texts_received(customer))
    assert {e: got[e] for e in expected} == {e: 1 for e in expected}, (
        f"duplicates or losses at the customer: {got}"
    )
    rows = stack.sql(
        "select content, status, (select count(*) from whatsapp_web_messages r where r.reply_to = m.id"
        " and r.status in ('sent','delivered','read')) from whatsapp_web_messages m"
        " where m.session_id = %s and m.direction = 'inbound' and m.from_number = %s",
        (session_id, customer),
    )
    stored = Counter(content for content, _, _ in rows)
    assert {t: stored[t] for t in texts} == {t: 1 for t in texts}, f"inbound not stored exactly once: {rows}"
    assert all(status == "replied" and replies == 1 for _, status, replies in rows), rows


def test_restart_reconnects_from_the_checkpoint_without_a_qr(
    stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser
) -> None:
    session, phone = link_with_checkpoint(user, simulator, stack)
    before = session_row(stack, session["id"])
    assert user.http.post(f"/api/sessions/{session['id']}/restart").status_code == 202

    def reconnected() -> dict | None:
        row = session_row(stack, session["id"])
        assert row["status"] != "qr_ready", f"restart asked for a new QR: {row}"
        return row if row["status"] == "connected" and row["epoch"] > before["epoch"] else None

    wait_for(reconnected, 45, what="the restarted session connected again")
    devices = [d for d in simulator.http.get("/control/devices").json() if d["phone"] == phone]
    assert len(devices) == 1, "the same linked device, not a new one"
    customer = fresh_number("4917")
    simulator.send(customer, phone, "after the restart")
    assert_each_answered_once(stack, simulator, session["id"], customer, ["after the restart"])


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_a_runner_lost_mid_conversation_hands_its_session_over_without_a_qr(
    sig: int, stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser, bot
) -> None:
    session, phone = link_with_checkpoint(user, simulator, stack)
    holder = fleet.holder(session["id"])
    assert holder in fleet.alive()
    customer = fresh_number("4917")
    bot(delay_ms=800)  # replies are in flight when the runner goes
    texts = [f"question {i}" for i in range(3)]
    for text in texts:
        simulator.send(customer, phone, text)
    wait_reply_in_flight(stack, session["id"])
    code = fleet.kill(holder, sig)
    if sig == signal.SIGTERM:
        assert code == 0, "a stopped runner exits cleanly"
    # While nobody holds the session: customers keep writing (delivered on reconnect, as WhatsApp
    # does), and the user sends through the API (the row waits `queued` for the next owner).
    late = ["sent while the runner was gone"]
    simulator.send(customer, phone, late[0])
    sent = user.http.post(
        "/api/messages/send", json={"session_id": session["id"], "to": customer, "text": "from the dashboard"}
    )
    assert sent.status_code == 202, sent.text
    wait_connected_elsewhere(stack, session["id"], holder)
    assert_each_answered_once(stack, simulator, session["id"], customer, texts + late)
    wait_for(
        lambda: "from the dashboard" in simulator.texts_received(customer), 30, what="the queued message"
    )
    time.sleep(0.5)
    assert simulator.texts_received(customer).count("from the dashboard") == 1
    assert session_row(stack, session["id"])["last_error"] is None


def test_a_runner_stopped_in_a_stream_of_messages_loses_none(
    stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser
) -> None:
    """SIGTERM while customers keep writing: the page confirms each message to WhatsApp as it takes
    it, so the runner must store every message its page took before it let go; the rest WhatsApp
    delivers to the next owner. Each one stored once and answered once."""
    session, phone = link_with_checkpoint(user, simulator, stack)
    holder = fleet.holder(session["id"])
    customers = [fresh_number("4917") for _ in range(3)]
    texts = {c: [f"stream {i:02d} from {c}" for i in range(20)] for c in customers}

    def write() -> None:
        for i in range(20):
            for customer in customers:
                simulator.send(customer, phone, texts[customer][i])
                time.sleep(0.02)

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(1.0)
    assert fleet.kill(holder, signal.SIGTERM) == 0, "a stopped runner exits cleanly"
    writer.join(30)
    wait_connected_elsewhere(stack, session["id"], holder)
    for customer in customers:
        assert_each_answered_once(stack, simulator, session["id"], customer, texts[customer])


def test_a_runner_killed_while_restoring_leaves_the_session_to_a_third(
    stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser
) -> None:
    fleet.start(1)  # three runners: the holder, the one killed while restoring, the survivor
    session, phone = link_with_checkpoint(user, simulator, stack)
    first = fleet.holder(session["id"])
    fleet.kill(first)
    second = wait_for(
        lambda: (fleet.holder(session["id"]) not in (None, first)) and fleet.holder(session["id"]),
        30,
        what="another runner claiming the session",
    )
    if session_row(stack, session["id"])["status"] != "connected":  # still restoring: kill it there
        fleet.kill(second)
    else:  # restored too fast to catch in the act: lose this one as well, connected
        fleet.kill(second)
    row = wait_connected_elsewhere(stack, session["id"], second, timeout_s=60)
    assert row["runner_id"] != first
    customer = fresh_number("4917")
    simulator.send(customer, phone, "still there?")
    assert_each_answered_once(stack, simulator, session["id"], customer, ["still there?"])


def test_unusable_checkpoints_ask_for_a_new_qr_with_the_reason(
    stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser
) -> None:
    """Missing, corrupted, sealed with another key: each session shows a QR and says why, in a
    stable code and plain words; the detail (which epoch, what was wrong) is in the runner's log."""
    from runner.checkpoint import Sealer

    damages = ["missing", "corrupted", "other key"]
    sessions = {damage: link_with_checkpoint(user, simulator, stack)[0] for damage in damages}
    for runner_id in fleet.alive():  # no checkpoint on the way out: the damaged ones are what's found
        fleet.kill(runner_id)
    s3, bucket = stack.s3(), stack.env["WAGATE_CHECKPOINT_BUCKET"]
    for damage, session in sessions.items():
        (key,) = checkpoint_keys(stack, session["id"])
        blob = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if damage == "missing":
            s3.delete_object(Bucket=bucket, Key=key)
        elif damage == "corrupted":
            s3.put_object(Bucket=bucket, Key=key, Body=blob[:-40] + bytes(40))
        else:
            epoch = int(key.rsplit("-", 1)[1].split(".")[0])
            other = Sealer(static_key=bytes(range(32)))
            sealed = other.seal(b"{}", session_id=session["id"], epoch=epoch, strategy="context")
            s3.put_object(Bucket=bucket, Key=object_key(session["id"], epoch), Body=sealed)
    fleet.top_up()
    codes = {
        "missing": "checkpoint_missing",
        "corrupted": "checkpoint_unreadable",
        "other key": "checkpoint_unreadable",
    }
    logged = {
        "missing": "checkpoint missing",
        "corrupted": "corrupted",
        "other key": "encrypted with another key",
    }
    for damage, session in sessions.items():
        ready = user.wait_status(session["id"], "qr_ready", timeout_s=45)
        assert ready["last_error_code"] == codes[damage], ready
        assert "scan a new QR code" in ready["last_error"]
        assert "epoch" not in ready["last_error"] and "checkpoints/" not in ready["last_error"]
        assert any(logged[damage] in line for line in session_log_lines(stack, session["id"], 400)), damage
    # They stay there (no crash loop): each keeps its QR and a live runner.
    time.sleep(3)
    for session in sessions.values():
        row = session_row(stack, session["id"])
        assert row["status"] == "qr_ready" and row["runner_id"] in fleet.alive(), row


def test_deleting_a_session_erases_its_checkpoints(
    stack: StackHandle, simulator: Simulator, fleet: Fleet, user: ApiUser
) -> None:
    session, _phone = link_with_checkpoint(user, simulator, stack)
    assert user.http.delete(f"/api/sessions/{session['id']}").status_code == 204

    def erased() -> bool:
        versions = stack.s3().list_object_versions(
            Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Prefix=f"checkpoints/{session['id']}/"
        )
        queued = stack.sql("select 1 from public.wagate_erasures where session_id = %s", (session["id"],))
        return not versions.get("Versions") and not versions.get("DeleteMarkers") and not queued

    wait_for(erased, what="the runner to log the device out and erase every version")


def test_the_whole_stack_restarted_brings_sessions_back_without_a_qr(tmp_state, simulator: Simulator) -> None:
    """`make down` then `make up`: runners checkpoint on the way down, the bucket is kept on disk,
    and the next runners restore every session (WhatsApp itself, the simulator, stays up)."""
    settings = {"WA_WEB_URL": simulator.url + "/", "LEASE_TTL_SECONDS": "6", "SEND_RATE_PER_S": "20"}
    first = StackHandle(tmp_state, extra_args=("--runners", "2"), env=settings).start()
    try:
        user = ApiUser(first)
        sessions = [link_with_checkpoint(user, simulator, first) for _ in range(2)]
    finally:
        first.stop()
    second = StackHandle(tmp_state, extra_args=("--runners", "2"), env=settings).start()
    try:
        user.stack = second
        user.http.base_url = second.api_url
        for session, phone in sessions:
            wait_connected_elsewhere(second, session["id"], old_runner="", timeout_s=60)
            customer = fresh_number("4917")
            simulator.send(customer, phone, "after make up")
            assert_each_answered_once(second, simulator, session["id"], customer, ["after make up"])
    finally:
        second.stop()
