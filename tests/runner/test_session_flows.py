"""What a dashboard user does with a session, end to end through the public API."""

from __future__ import annotations

import time

import httpx

from tests.e2e import ApiUser, Simulator, fresh_number, wait_for


def _reply_rows(user: ApiUser, session_id: str, status: str) -> list[dict]:
    return [m for m in user.messages(session_id) if m["direction"] == "outbound" and m["status"] == status]


def test_pairing_code_links_without_a_qr(simulator: Simulator, runners, user: ApiUser) -> None:
    phone = fresh_number()
    created = user.create_session(phone_number=phone)
    ready = user.wait_status(created["id"], "qr_ready")
    code = ready["pairing_code"]
    assert code and len(code.replace("-", "")) == 8
    assert ready["qr_code"] is None
    response = simulator.post("/control/pair", {"code": code, "phone": phone})
    assert response.status_code == 200, response.text
    connected = user.wait_status(created["id"], "connected")
    assert connected["phone_number"] == phone
    assert connected["pairing_code"] is None


def test_send_through_the_api_reaches_the_customer(simulator: Simulator, runners, user: ApiUser) -> None:
    session, _phone = user.link(simulator)
    customer = fresh_number("4917")
    response = user.http.post(
        "/api/messages/send",
        json={"session_id": session["id"], "to": customer, "text": "Your order has shipped"},
    )
    assert response.status_code == 202, response.text
    message = response.json()["message"]
    assert message["status"] == "queued"
    wait_for(lambda: "Your order has shipped" in simulator.texts_received(customer), what="delivery")
    sent = wait_for(lambda: _reply_rows(user, session["id"], "sent"), what="the row marked sent")
    assert [m["id"] for m in sent] == [message["id"]]
    # The customer's phone receives and reads it: the stored ack follows.
    wait_for(lambda: (_reply_rows(user, session["id"], "sent")[0]["ack"] or 0) >= 2, what="delivery ack")


def test_a_number_not_on_whatsapp_fails_with_a_reason(
    simulator: Simulator, faults, runners, user: ApiUser
) -> None:
    session, _phone = user.link(simulator)
    nobody = fresh_number("4916")
    faults.post("/control/faults/absent", {"numbers": [nobody]})
    response = user.http.post(
        "/api/messages/send", json={"session_id": session["id"], "to": nobody, "text": "hi"}
    )
    assert response.status_code == 202
    failed = wait_for(lambda: _reply_rows(user, session["id"], "failed"), what="the send to fail")
    assert "not on WhatsApp" in failed[0]["error"]
    assert simulator.received(nobody) == []


def test_disconnect_logs_the_device_out(simulator: Simulator, runners, user: ApiUser) -> None:
    session, phone = user.link(simulator)
    response = user.http.post("/api/sessions/disconnect", json={"session_id": session["id"]})
    assert response.status_code == 202, response.text
    ended = user.wait_status(session["id"], "disconnected")
    assert ended["qr_code"] is None

    def unlinked() -> bool:
        devices = httpx.get(f"{simulator.url}/control/devices", timeout=5).json()
        items = devices["devices"] if isinstance(devices, dict) else devices
        return not any(d.get("phone") == phone for d in items)

    wait_for(unlinked, what="the simulated phone to lose the linked device")


def test_phone_unlinking_the_device_means_logged_out(simulator: Simulator, runners, user: ApiUser) -> None:
    session, phone = user.link(simulator)
    assert simulator.post("/control/unlink", {"phone": phone}).status_code == 200
    logged_out = user.wait_status(session["id"], "logged_out")
    assert "unlinked" in logged_out["last_error"]
    # No retry loop: the session stays logged out and no runner holds it.
    held_by = "select runner_id from whatsapp_web_sessions where id = %s"
    wait_for(lambda: user.stack.sql(held_by, (session["id"],)) == [(None,)], 15, what="the session released")
    time.sleep(2)
    assert user.stack.sql(held_by, (session["id"],)) == [(None,)]
    assert user.session(session["id"])["status"] == "logged_out"


def test_delete_erases_the_session_and_logs_out(simulator: Simulator, runners, user: ApiUser) -> None:
    session, phone = user.link(simulator)
    response = user.http.delete(f"/api/sessions/{session['id']}", params={"delete_messages": "true"})
    assert response.status_code == 204, response.text
    assert user.http.get(f"/api/sessions/{session['id']}").status_code == 404

    def unlinked() -> bool:
        devices = httpx.get(f"{simulator.url}/control/devices", timeout=5).json()
        items = devices["devices"] if isinstance(devices, dict) else devices
        return not any(d.get("phone") == phone for d in items)

    wait_for(unlinked, what="the deleted session's device to be logged out")


def test_refs_running_out_then_restart_gives_new_codes(
    simulator: Simulator, faults, runners, user: ApiUser
) -> None:
    created = user.create_session()
    user.wait_status(created["id"], "qr_ready")
    first_qr = user.qr_string(created["id"])
    faults.post("/control/faults/refs_exhausted")
    expired = user.wait_status(created["id"], "qr_expired")
    assert expired["qr_code"] is None
    assert user.http.get(f"/api/sessions/{created['id']}/qr").status_code in (404, 410)

    assert user.http.post(f"/api/sessions/{created['id']}/restart").status_code == 202
    user.wait_status(created["id"], "qr_ready")
    second_qr = user.qr_string(created["id"])
    assert second_qr != first_qr
    phone = fresh_number()
    simulator.scan(second_qr, phone)
    assert user.wait_status(created["id"], "connected")["phone_number"] == phone


def test_two_runners_many_sessions_each_command_reaches_its_holder(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    linked = [user.link(simulator) for _ in range(4)]
    holders = {
        row[0]
        for row in stack.sql(
            "select runner_id from whatsapp_web_sessions where id = any(%s::uuid[])",
            ([s["id"] for s, _ in linked],),
        )
    }
    assert None not in holders
    customers = []
    for session, _phone in linked:
        customer = fresh_number("4917")
        customers.append(customer)
        response = user.http.post(
            "/api/messages/send",
            json={"session_id": session["id"], "to": customer, "text": f"for {customer}"},
        )
        assert response.status_code == 202
    for customer in customers:
        wait_for(
            lambda c=customer: simulator.texts_received(c) == [f"for {c}"], what=f"delivery to {customer}"
        )


def test_replying_marks_the_customers_message_read_after_showing_typing(
    simulator: Simulator, runners, user: ApiUser
) -> None:
    _session, phone = user.link(simulator)
    customer = fresh_number("4917")
    message_id = simulator.send(customer, phone, "Is the shop open?")
    wait_for(lambda: "You said: Is the shop open?" in simulator.texts_received(customer), what="the reply")

    def ack_of_customer_message() -> int:
        logged = simulator.http.get("/control/messages").json()
        return next(m["ack"] for m in logged if m["id"] == message_id)

    wait_for(lambda: ack_of_customer_message() == 3, 10, what="blue ticks on the customer's message")
    presence = simulator.http.get("/control/presence", params={"number": customer}).json()
    assert [(p["from"], p["state"]) for p in presence] == [(phone, "composing")], "typing… shown first"


def test_deleting_or_restarting_a_session_while_it_starts_leaves_nothing_behind(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    """The user clicks Connect, then cancels (or clicks again) before the QR shows."""
    deleted = user.create_session()
    assert user.http.delete(f"/api/sessions/{deleted['id']}").status_code == 204
    restarted = user.create_session()
    assert user.http.post(f"/api/sessions/{restarted['id']}/restart").status_code == 202
    ready = user.wait_status(restarted["id"], "qr_ready")
    assert ready["qr_code"]
    assert user.http.get(f"/api/sessions/{deleted['id']}").status_code == 404

    def no_runner_holds_the_deleted_one() -> bool:
        # Heartbeats report what each runner holds: only the restarted session, on one runner.
        held = stack.sql(
            "select coalesce(sum(active_sessions), 0) from whatsapp_web_runners where runner_id = any(%s)",
            (runners.alive(),),
        )[0][0]
        owned = stack.sql(
            "select count(*) from whatsapp_web_sessions where runner_id = any(%s)", (runners.alive(),)
        )[0][0]
        return held == owned

    wait_for(no_runner_holds_the_deleted_one, 20, what="the deleted session's page closed")
    assert user.http.delete(f"/api/sessions/{restarted['id']}").status_code == 204
