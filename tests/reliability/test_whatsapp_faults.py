"""WhatsApp (the simulator) failing under a live session: the connection dropped and restored,
CONFLICT (the login opened elsewhere), WhatsApp Web not loading while a saved login is restored,
a restored page taking messages before the bridge listens, and a flood of 1,000 inbound messages.
Covered elsewhere: the phone unlinking the device (tests/runner/test_session_flows.py::
test_phone_unlinking_the_device_means_logged_out), a module missing after a WhatsApp Web update
and duplicate events (tests/runner/test_runner_faults.py::test_a_missing_module_fails_the_session_
naming_it, ::test_duplicate_add_events_are_stored_and_answered_once)."""

from __future__ import annotations

from devstack.testing import StackHandle
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from tests.reliability.checks import assert_answered_once
from tests.reliability.conftest import RUNNER_SETTINGS, epoch_of


def test_connection_dropped_and_restored(
    stack: StackHandle, simulator: Simulator, faults: Simulator, linked, user: ApiUser
) -> None:
    session, phone = linked()
    customer = fresh_number("4917")
    assert faults.post("/control/faults/drop", {"phone": phone}).status_code == 200
    offline = user.wait_status(session["id"], "disconnected")
    assert "reconnecting" in offline["last_error"], "the dashboard says what is going on"
    simulator.send(customer, phone, "while you were offline")  # WhatsApp keeps it for the device
    assert faults.post("/control/faults/restore", {"phone": phone}).status_code == 200
    back = user.wait_status(session["id"], "connected")
    assert back["last_error"] is None
    simulator.send(customer, phone, "and now")
    assert_answered_once(stack, simulator, session["id"], customer, ["while you were offline", "and now"])


def test_conflict_the_lease_holder_takes_the_session_back(
    stack: StackHandle, simulator: Simulator, faults: Simulator, linked, user: ApiUser
) -> None:
    """Only a copy of the session's own login can be open elsewhere (a runner that lost it): the
    runner holding the lease takes over (whatsapp-web.js `takeoverOnConflict`), anyone else lets go."""
    session, phone = linked()
    epoch = epoch_of(stack, session["id"])
    customer = fresh_number("4917")
    response = faults.post("/control/faults/conflict", {"phone": phone})
    assert response.status_code == 200 and response.json()["pages"] == 1
    simulator.send(customer, phone, "during the conflict")  # delivered once the page is back
    assert_answered_once(stack, simulator, session["id"], customer, ["during the conflict"])
    now = user.wait_status(session["id"], "connected")
    assert now["last_error"] is None
    assert epoch_of(stack, session["id"]) == epoch, "the same owner, no restart"


def test_whatsapp_web_not_loading_at_a_restore_is_retried_not_failed(
    stack: StackHandle, simulator: Simulator, faults: Simulator, linked, user: ApiUser
) -> None:
    """A saved login whose WhatsApp Web does not load within WA_LOAD_TIMEOUT_S (here: the page
    hangs; in production, a machine restoring many sessions, or WhatsApp slow) is opened again
    from its checkpoint, not `failed` with its customers waiting; once WhatsApp Web loads it is
    back without a QR and answers."""
    session, phone = linked()
    bucket, prefix = stack.env["WAGATE_CHECKPOINT_BUCKET"], f"checkpoints/{session['id']}/"
    wait_for(
        lambda: stack.s3().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents"),
        20,
        what="the first checkpoint",
    )
    epoch = epoch_of(stack, session["id"])
    assert faults.post("/control/faults/stall", {"enabled": True}).json()["stall_loads"] is True
    assert user.http.post(f"/api/sessions/{session['id']}/restart").status_code == 202

    def reopened() -> bool:
        now = user.http.get(f"/api/sessions/{session['id']}").json()
        assert now["status"] not in ("failed", "qr_ready"), f"gave up or asked for a QR: {now}"
        return epoch_of(stack, session["id"]) >= epoch + 2  # the restart's epoch, then a reopen's

    timeout_s = float(RUNNER_SETTINGS["WA_LOAD_TIMEOUT_S"]) + 25
    wait_for(reopened, timeout_s, what="the stalled restore opened again")
    faults.post("/control/faults/stall", {"enabled": False})
    back = user.wait_status(session["id"], "connected", timeout_s=60)
    assert back["qr_code"] is None
    customer = fresh_number("4917")
    simulator.send(customer, phone, "are you back?")
    assert_answered_once(stack, simulator, session["id"], customer, ["are you back?"])


def test_what_a_restored_page_takes_before_the_bridge_listens_is_answered(
    stack: StackHandle, simulator: Simulator, faults: Simulator, linked, user: ApiUser
) -> None:
    """A saved login goes online as WhatsApp Web loads and takes what WhatsApp held for it, which
    WhatsApp will not deliver again. Here the page publishes its globals (which the bridge waits
    for) only once it has taken its backlog: the bridge reports what the page took before it
    could listen. (The race behind a message lost after a browser restart, once in CI.)"""
    session, phone = linked()
    customer = fresh_number("4917")
    epoch = epoch_of(stack, session["id"])
    assert faults.post("/control/faults/stall", {"enabled": True}).status_code == 200
    assert user.http.post(f"/api/sessions/{session['id']}/restart").status_code == 202
    # Claimed again once the old page is closed; the new one hangs loading: no page online.
    wait_for(lambda: epoch_of(stack, session["id"]) > epoch, 30, what="the restart's new epoch")
    simulator.send(customer, phone, "while no page was online")  # WhatsApp holds it
    assert faults.post("/control/faults/late_globals", {"enabled": True}).json()["late_globals"]
    faults.post("/control/faults/stall", {"enabled": False})
    user.wait_status(session["id"], "connected", timeout_s=60)
    simulator.send(customer, phone, "and after")
    assert_answered_once(stack, simulator, session["id"], customer, ["while no page was online", "and after"])


def test_a_flood_of_1000_messages_to_one_session(stack: StackHandle, simulator: Simulator, linked) -> None:
    """1,000 messages from 20 customers, interleaved: all stored once, all answered once, each
    chat in order (chats run concurrently; SEND_RATE_PER_S is set high for this suite)."""
    session, phone = linked()
    customers = [fresh_number("4917") for _ in range(20)]
    texts = {customer: [f"message {i:02d} from {customer}" for i in range(50)] for customer in customers}
    for i in range(50):
        for customer in customers:
            simulator.send(customer, phone, texts[customer][i])
    for customer in customers:
        assert_answered_once(stack, simulator, session["id"], customer, texts[customer], timeout_s=240)
    [(stored,)] = stack.sql(
        "select count(*) from whatsapp_web_messages where session_id = %s and direction = 'inbound'",
        (session["id"],),
    )
    assert stored == 1000
