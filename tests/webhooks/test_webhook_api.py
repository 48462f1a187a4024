"""The webhook API: create (the secret shown once), list, get, change, delete, rotate, test,
deliveries and retry; every bad input a 4xx with a stable code and nothing written; another user's
endpoint and deliveries answer 404 as if they did not exist, and cannot be changed."""

from __future__ import annotations

import uuid

import pytest

from devstack.testing import StackHandle
from tests.e2e import ApiUser, wait_for
from tests.webhooks.conftest import deliveries
from tests.webhooks.receiver import Receiver


def _count(stack: StackHandle, user: ApiUser) -> int:
    return stack.sql("select count(*) from public.wagate_webhooks where user_id = %s", (user.user_id,))[0][0]


def test_create_shows_the_secret_once_and_never_again(user: ApiUser, receiver: Receiver) -> None:
    response = user.http.post(
        "/api/webhooks", json={"url": receiver.url, "events": ["message.received"], "description": "CRM"}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["enabled"] and created["ordered"]
    assert created["events"] == ["message.received"] and created["description"] == "CRM"
    listed = user.http.get("/api/webhooks").json()["webhooks"]
    assert [w["id"] for w in listed] == [created["id"]]
    fetched = user.http.get(f"/api/webhooks/{created['id']}").json()
    assert "secret" not in fetched and "secret" not in listed[0]
    assert created["secret"] not in str(listed) + str(fetched)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data", "events": ["message.received"]}, 400,
         "endpoint_not_allowed"),
        ({"url": "https://user:pw@example.com/hook", "events": ["message.received"]}, 400, "invalid_field"),
        ({"url": "ftp://example.com/hook", "events": ["message.received"]}, 400, "invalid_field"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["message.exploded"]}, 400, "unknown_event_type"),
        ({"url": "http://127.0.0.1:9/hook", "events": []}, 400, "invalid_field"),
        ({"url": "http://127.0.0.1:9/hook"}, 400, "missing_field"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["ping"]}, 400, "unknown_event_type"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["session.status"], "secret": "whsec_mine"}, 400,
         "unknown_field"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["session.status"], "session_id": str(uuid.uuid4()),
          "chatbot_id": str(uuid.uuid4())}, 400, "invalid_body"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["session.status"], "session_id": str(uuid.uuid4())},
         404, "session_not_found"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["session.status"], "chatbot_id": str(uuid.uuid4())},
         404, "chatbot_not_found"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["session.status"], "description": "x" * 501}, 400,
         "invalid_field"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_its_code_and_nothing_written(
    stack: StackHandle, user: ApiUser, body: dict, status: int, code: str
) -> None:
    response = user.http.post("/api/webhooks", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert _count(stack, user) == 0


def test_the_metadata_address_is_refused_with_the_reason(user: ApiUser) -> None:
    response = user.http.post(
        "/api/webhooks", json={"url": "http://169.254.169.254/", "events": ["session.status"]}
    )
    error = response.json()["error"]
    assert response.status_code == 400 and error["code"] == "endpoint_not_allowed"
    assert "not allowed" in error["message"]


def test_more_endpoints_than_the_limit_is_409(stack: StackHandle, user: ApiUser) -> None:
    for i in range(10):
        made = user.http.post(
            "/api/webhooks", json={"url": f"http://127.0.0.1:9/{i}", "events": ["session.status"]}
        )
        assert made.status_code == 201, made.text
    over = user.http.post("/api/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["session.status"]})
    assert over.status_code == 409 and over.json()["error"]["code"] == "too_many_webhooks"
    assert _count(stack, user) == 10


def test_change_disable_and_delete(user: ApiUser, receiver: Receiver, hook) -> None:
    webhook = hook(["session.status"])
    changed = user.http.patch(
        f"/api/webhooks/{webhook['id']}",
        json={"events": ["message.received", "message.failed"], "description": None, "ordered": False},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["events"] == ["message.received", "message.failed"] and body["ordered"] is False
    off = user.http.patch(f"/api/webhooks/{webhook['id']}", json={"enabled": False}).json()
    assert off["enabled"] is False and off["disabled_reason"] == "disabled by its owner"
    bad = user.http.patch(f"/api/webhooks/{webhook['id']}", json={"url": "http://169.254.169.254/"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "endpoint_not_allowed"
    assert user.http.get(f"/api/webhooks/{webhook['id']}").json()["url"] == receiver.url
    assert user.http.delete(f"/api/webhooks/{webhook['id']}").status_code == 204
    assert user.http.get(f"/api/webhooks/{webhook['id']}").status_code == 404


def test_a_test_event_arrives_and_a_rotated_secret_overlaps(user: ApiUser, receiver: Receiver, hook) -> None:
    webhook = hook(["session.status"])
    old_secret = receiver.secrets[0]
    sent = user.http.post(f"/api/webhooks/{webhook['id']}/test")
    assert sent.status_code == 202 and sent.json()["type"] == "ping"
    ping = wait_for(lambda: receiver.accepted_of("ping"), 20, what="the ping")[0]
    assert ping["id"] == sent.json()["event_id"] and ping["user_id"] == user.user_id
    assert ping["data"]["webhook_id"] == webhook["id"]

    rotated = user.http.post(f"/api/webhooks/{webhook['id']}/rotate-secret").json()
    assert rotated["secret"] != old_secret and rotated["previous_secret_valid_until"]
    receiver.secrets[:] = [rotated["secret"]]  # a receiver that only knows the new secret
    user.http.post(f"/api/webhooks/{webhook['id']}/test")
    wait_for(lambda: len(receiver.accepted_of("ping")) == 2, 20, what="the second ping, new secret")
    receiver.secrets[:] = [old_secret]  # and one that still has the old one, during the overlap
    user.http.post(f"/api/webhooks/{webhook['id']}/test")
    wait_for(lambda: len(receiver.accepted_of("ping")) == 3, 20, what="the third ping, old secret")
    assert receiver.seen[-1].signatures == 2, "two signatures while the overlap lasts"
    rows = deliveries(user, webhook["id"])
    assert [d["status"] for d in rows] == ["delivered"] * 3 and rows[0]["event_type"] == "ping"
    assert rows[0]["attempt_log"][0]["status_code"] == 200


def test_deliveries_page_with_a_cursor(user: ApiUser, receiver: Receiver, hook) -> None:
    webhook = hook(["session.status"])
    for _ in range(5):
        user.http.post(f"/api/webhooks/{webhook['id']}/test")
    wait_for(lambda: len(receiver.accepted_of("ping")) == 5, 20, what="five pings")
    first = user.http.get(f"/api/webhooks/{webhook['id']}/deliveries", params={"limit": 3}).json()
    assert len(first["deliveries"]) == 3 and first["next_cursor"]
    second = user.http.get(
        f"/api/webhooks/{webhook['id']}/deliveries", params={"limit": 3, "before": first["next_cursor"]}
    ).json()
    assert len(second["deliveries"]) == 2 and second["next_cursor"] is None
    ids = [d["id"] for d in first["deliveries"] + second["deliveries"]]
    assert len(set(ids)) == 5
    bad = user.http.get(f"/api/webhooks/{webhook['id']}/deliveries", params={"before": "nonsense"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


def test_another_user_cannot_see_or_change_an_endpoint_or_its_deliveries(
    stack: StackHandle, user: ApiUser, receiver: Receiver, hook
) -> None:
    webhook = hook(["session.status"])
    user.http.post(f"/api/webhooks/{webhook['id']}/test")
    (delivery,) = wait_for(lambda: deliveries(user, webhook["id"]), 20, what="a delivery")
    intruder = ApiUser(stack)
    base = f"/api/webhooks/{webhook['id']}"
    attempts = [
        intruder.http.get(base),
        intruder.http.patch(base, json={"url": "http://127.0.0.1:9/stolen"}),
        intruder.http.post(f"{base}/rotate-secret"),
        intruder.http.post(f"{base}/test"),
        intruder.http.get(f"{base}/deliveries"),
        intruder.http.post(f"{base}/deliveries/{delivery['id']}/retry"),
        intruder.http.delete(base),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.method, response.request.url, response.text)
        assert response.json()["error"]["code"] == "webhook_not_found"
    assert intruder.http.get("/api/webhooks").json()["webhooks"] == []
    # and a delivery of the owner's cannot be reached through an endpoint of the intruder's
    own = intruder.http.post("/api/webhooks", json={"url": receiver.url, "events": ["session.status"]}).json()
    crossed = intruder.http.post(f"/api/webhooks/{own['id']}/deliveries/{delivery['id']}/retry")
    assert crossed.status_code == 404 and crossed.json()["error"]["code"] == "delivery_not_found"
    after = user.http.get(base).json()
    assert after["url"] == receiver.url and after["secret_created_at"] == webhook["secret_created_at"]
    assert len(deliveries(user, webhook["id"])) == 1
