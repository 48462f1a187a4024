"""The atomic routing steps (SQL functions) through PostgREST's rpc, under real concurrency."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from wagate.store import Store

TTL_S = 30


@pytest.fixture
def new_session(stack, user) -> Callable[..., str]:
    def make(**columns: Any) -> str:
        session_id = str(uuid.uuid4())
        stack.sql(
            "insert into public.whatsapp_web_sessions (id, user_id, chatbot_id, session_id)"
            " values (%s, %s, %s, %s)",
            (session_id, user.id, str(uuid.uuid4()), f"lease-{session_id}"),
        )
        for column, value in columns.items():
            stack.sql(
                f"update public.whatsapp_web_sessions set {column} = %s where id = %s", (value, session_id)
            )
        return session_id

    return make


def _stores(stack, count: int) -> list[Store]:
    return [
        Store(f"{stack.supabase_url}/rest/v1", stack.env["SUPABASE_SERVICE_ROLE_KEY"]) for _ in range(count)
    ]


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run `calls` in threads released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _claim(store: Store, session_id: str, runner_id: str) -> list[dict]:
    return store.rpc(
        "claim_session", {"p_session_id": session_id, "p_runner_id": runner_id, "p_ttl_seconds": TTL_S}
    )


def _lease(stack, session_id: str) -> tuple:
    (row,) = stack.sql(
        "select runner_id, epoch, lease_expires_at > now() from public.whatsapp_web_sessions where id = %s",
        (session_id,),
    )
    return row


def test_two_claimers_at_once_exactly_one_wins(stack, new_session) -> None:
    stores = _stores(stack, 2)
    try:
        for _ in range(15):
            session_id = new_session()
            results = _at_once(
                [
                    lambda s=s, r=r, sid=session_id: _claim(s, sid, r)
                    for s, r in zip(stores, ("a", "b"), strict=True)
                ]
            )
            winners = [runner for runner, rows in zip(("a", "b"), results, strict=True) if rows]
            assert len(winners) == 1, results
            assert _lease(stack, session_id) == (winners[0], 1, True)
    finally:
        for store in stores:
            store.close()


def test_many_claimers_at_once_exactly_one_wins(stack, new_session) -> None:
    stores = _stores(stack, 8)
    try:
        session_id = new_session()
        results = _at_once([lambda s=s, i=i: _claim(s, session_id, f"r{i}") for i, s in enumerate(stores)])
        assert sum(1 for rows in results if rows) == 1
        assert _lease(stack, session_id)[1] == 1
    finally:
        for store in stores:
            store.close()


def test_a_live_lease_is_not_taken_but_its_holder_may_reclaim(stack, store, new_session) -> None:
    session_id = new_session()
    assert _claim(store, session_id, "a")[0]["epoch"] == 1
    assert _claim(store, session_id, "b") == []
    assert _claim(store, session_id, "a")[0]["epoch"] == 2  # a restart on the same runner is a new epoch
    assert _lease(stack, session_id) == ("a", 2, True)


def test_an_expired_lease_is_taken_over_and_fences_the_old_owner(stack, store, new_session) -> None:
    session_id = new_session()
    (claimed,) = _claim(store, session_id, "old")
    stack.sql(
        "update public.whatsapp_web_sessions set lease_expires_at = now() - interval '1 s' where id = %s",
        (session_id,),
    )
    (taken,) = _claim(store, session_id, "new")
    assert taken["runner_id"] == "new" and taken["epoch"] == claimed["epoch"] + 1
    renew = {
        "p_session_id": session_id,
        "p_runner_id": "old",
        "p_epoch": claimed["epoch"],
        "p_ttl_seconds": TTL_S,
    }
    assert store.rpc("renew_lease", renew) is False
    assert store.rpc("release_session", {k: v for k, v in renew.items() if k != "p_ttl_seconds"}) is False
    assert _lease(stack, session_id) == ("new", 2, True)


def test_renew_and_release(stack, store, new_session) -> None:
    session_id = new_session()
    (claimed,) = _claim(store, session_id, "a")
    args = {"p_session_id": session_id, "p_runner_id": "a", "p_epoch": claimed["epoch"]}
    assert store.rpc("renew_lease", {**args, "p_ttl_seconds": TTL_S}) is True
    assert (
        store.rpc("renew_lease", {**args, "p_epoch": claimed["epoch"] + 7, "p_ttl_seconds": TTL_S}) is False
    )
    assert store.rpc("release_session", args) is True
    assert _lease(stack, session_id)[0] is None
    assert _claim(store, session_id, "b")[0]["epoch"] == 2


def test_orphans_are_shared_between_concurrent_claimers(stack, new_session) -> None:
    expired = "now() - interval '1 min'"
    orphans = {new_session(runner_id="dead", status="connected") for _ in range(10)}
    finished = new_session(runner_id="dead", status="logged_out")
    for session_id in [*orphans, finished]:
        stack.sql(
            f"update public.whatsapp_web_sessions set lease_expires_at = {expired} where id = %s",
            (session_id,),
        )
    stores = _stores(stack, 2)
    try:
        results = _at_once(
            [
                lambda s=s, r=r: s.rpc(
                    "claim_orphaned_sessions", {"p_runner_id": r, "p_limit": 10, "p_ttl_seconds": TTL_S}
                )
                for s, r in zip(stores, ("x", "y"), strict=True)
            ]
        )
    finally:
        for store in stores:
            store.close()
    claimed = [{row["id"] for row in rows} & (orphans | {finished}) for rows in results]
    assert claimed[0].isdisjoint(claimed[1])
    assert claimed[0] | claimed[1] == orphans  # each orphan once; a logged-out session stays put
    assert _lease(stack, finished)[0] == "dead"


def test_the_per_user_limit_holds_under_concurrent_creates(stack, store, user) -> None:
    stores = _stores(stack, 6)
    try:
        results = _at_once(
            [
                lambda s=s: s.rpc(
                    "create_session",
                    {
                        "p_user_id": user.id,
                        "p_chatbot_id": str(uuid.uuid4()),
                        "p_session_id": f"limit-{uuid.uuid4()}",
                        "p_pairing_phone": None,
                        "p_bot_endpoint": None,
                        "p_max_sessions": 3,
                    },
                )
                for s in stores
            ]
        )
    finally:
        for extra in stores:
            extra.close()
    assert sum(1 for rows in results if rows) == 3
    assert stack.sql("select count(*) from public.whatsapp_web_sessions where user_id = %s", (user.id,)) == [
        (3,)
    ]


def test_runners_register_and_heartbeat(stack, store) -> None:
    runner_id = f"lease-test-{uuid.uuid4().hex[:8]}"
    row = store.rpc(
        "register_runner", {"p_runner_id": runner_id, "p_queue_url": "http://q/1", "p_capacity": 4}
    )
    assert (row["runner_id"], row["capacity"], row["active_sessions"]) == (runner_id, 4, 0)
    assert store.rpc("heartbeat_runner", {"p_runner_id": runner_id, "p_active_sessions": 2}) is True
    assert store.rpc("heartbeat_runner", {"p_runner_id": "nobody", "p_active_sessions": 2}) is False
    stack.sql("delete from public.whatsapp_web_runners where runner_id = %s", (runner_id,))


def test_marking_a_message_sent_never_moves_its_ack_back(stack, store, new_session) -> None:
    """The page may report delivered (2) or read (3) before the runner records `sent` (ack 1)."""
    session_id = new_session(runner_id="runner-ack", epoch=4)
    message_id = str(uuid.uuid4())
    stack.sql(
        "insert into public.whatsapp_web_messages (id, session_id, chatbot_id, message_id, from_number,"
        " to_number, direction, content, status, ack) values (%s, %s, %s, %s, '1555', '4917', 'outbound',"
        " 'hi', 'queued', 3)",
        (message_id, session_id, str(uuid.uuid4()), f"3EB0{uuid.uuid4().hex[:16]}"),
    )

    def update(status: str, ack: int) -> bool:
        return store.rpc(
            "runner_update_message",
            {
                "p_message_id": message_id,
                "p_runner_id": "runner-ack",
                "p_epoch": 4,
                "p_status": status,
                "p_ack": ack,
            },
        )

    assert update("sent", 1) is True
    assert stack.sql("select status, ack from whatsapp_web_messages where id = %s", (message_id,)) == [
        ("sent", 3)
    ]
    assert update("failed", -1) is True  # an error ack still wins
    assert stack.sql("select ack from whatsapp_web_messages where id = %s", (message_id,)) == [(-1,)]


def test_renew_leases_renews_what_is_held_in_one_call(stack, store, new_session) -> None:
    held = new_session(runner_id="runner-batch", epoch=2)
    taken_over = new_session(runner_id="runner-batch", epoch=5)
    stack.sql(
        "update public.whatsapp_web_sessions set epoch = 6, runner_id = 'other' where id = %s", (taken_over,)
    )
    stack.sql(
        "update public.whatsapp_web_sessions set lease_expires_at = now() - interval '1 minute'"
        " where id = %s",
        (held,),
    )
    renewed = store.rpc(
        "renew_leases",
        {
            "p_runner_id": "runner-batch",
            "p_session_ids": [held, taken_over],
            "p_epochs": [2, 5],
            "p_ttl_seconds": 30,
        },
    )
    assert [str(row) for row in renewed] == [held]
    ((expires_in_s,),) = stack.sql(
        "select extract(epoch from lease_expires_at - now()) from public.whatsapp_web_sessions where id = %s",
        (held,),
    )
    assert 25 < expires_in_s <= 30


def test_store_acks_writes_many_in_one_call_and_acks_only_rise(stack, store, new_session) -> None:
    """The runner writes the acks its pages reported about once a second, for all its sessions."""
    first, second = new_session(), new_session()
    ids = {}
    for session_id, ack in ((first, 1), (first, 3), (second, None)):
        whatsapp_id = f"3EB0{uuid.uuid4().hex[:16].upper()}"
        stack.sql(
            "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
            " to_number, direction, content, status, ack) values (%s, %s, %s, '1555', '4917', 'outbound',"
            " 'hi', 'sent', %s)",
            (session_id, str(uuid.uuid4()), whatsapp_id, ack),
        )
        ids[(session_id, ack)] = whatsapp_id
    rows = [
        (first, ids[(first, 1)], 2),  # delivered: 1 -> 2
        (first, ids[(first, 3)], 2),  # delivered after read: stays 3
        (second, ids[(second, None)], 3),  # read: null -> 3
        (second, ids[(first, 1)], 3),  # another session's message id: nothing
    ]
    changed = store.rpc(
        "store_acks",
        {
            "p_session_ids": [r[0] for r in rows],
            "p_message_ids": [r[1] for r in rows],
            "p_acks": [r[2] for r in rows],
        },
    )
    assert changed == 2
    acks = dict(
        stack.sql(
            "select message_id, ack from whatsapp_web_messages where session_id in (%s, %s)", (first, second)
        )
    )
    assert acks == {ids[(first, 1)]: 2, ids[(first, 3)]: 3, ids[(second, None)]: 3}


def test_orphans_whose_customers_wait_are_claimed_first(stack, new_session, user) -> None:
    """A survivor restores first the sessions with messages to answer or send, then the connected
    ones, then the rest, whatever the order their leases ran out in."""
    qr_shown = new_session(runner_id="dead", status="qr_ready")
    connected = new_session(runner_id="dead", status="connected")
    waiting = new_session(runner_id="dead", status="connected")
    for session_id, minutes in ((qr_shown, 30), (connected, 20), (waiting, 10)):
        stack.sql(
            "update public.whatsapp_web_sessions set lease_expires_at = now() - make_interval(mins => %s)"
            " where id = %s",
            (minutes, session_id),
        )
    stack.sql(
        "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
        " to_number, direction, content, status) values (%s, %s, 'waiting-1', '4917600000001',"
        " '4915100000001', 'inbound', 'still there?', 'received')",
        (waiting, str(uuid.uuid4())),
    )
    ours = {qr_shown, connected, waiting}
    order: list[str] = []
    store = _stores(stack, 1)[0]
    try:
        for _ in range(200):  # one at a time, as a survivor's open slots claim them
            rows = store.rpc(
                "claim_orphaned_sessions", {"p_runner_id": "survivor", "p_limit": 1, "p_ttl_seconds": TTL_S}
            )
            if not rows:
                break
            order += [row["id"] for row in rows if row["id"] in ours]
    finally:
        store.close()
    assert order == [waiting, connected, qr_shown]
