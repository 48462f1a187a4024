"""One tenant cannot starve the others' chatbots (issue: 106 customers writing to one tenant whose
endpoint drips a byte every few seconds filled the runner's one connection pool, and another
tenant's message failed). Every chatbot call has one deadline for the whole answer, a session has
a cap on calls in flight, each tenant's own endpoints get a pool of their own, and the project's
avatar-chat shares none of them."""

from __future__ import annotations

import asyncio

from devstack.chatbots import DripEndpoint, RecordingEndpoint
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from wagate.endpoints import EndpointFailure, GuardedClients

CHATS = 100


def test_a_dripping_endpoint_with_100_chats_stuck_does_not_hold_up_another_tenant(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    other = ApiUser(stack)
    try:
        with DripEndpoint(every_s=0.5, for_s=120) as drip:
            session_a, phone_a = user.link(simulator, bot_endpoint=drip.url)
            _session_b, phone_b = other.link(simulator)
            for n in range(CHATS):
                simulator.send(fresh_number("4918"), phone_a, f"drip me {n}")
            wait_for(lambda: drip.open >= 2, what="tenant A's chatbot calls to hang on the dripping endpoint")

            customer = fresh_number("4917")
            simulator.send(customer, phone_b, "am I answered?")
            wait_for(
                lambda: simulator.texts_received(customer) == ["You said: am I answered?"],
                timeout_s=60,
                what="tenant B's reply while A's chats are stuck",
            )
            stuck = [m for m in user.messages(session_a["id"]) if m["direction"] == "inbound"]
            assert len(stuck) >= CHATS // 2, "A's customers kept writing meanwhile"
            # The deadline bounds a call that never finishes: A's messages fail, saying so.
            failed = wait_for(
                lambda: [m for m in user.messages(session_a["id"]) if m["status"] == "failed"],
                timeout_s=60,
                what="one of A's messages to fail on the deadline",
            )
            assert {m["error_code"] for m in failed} == {"chatbot_timeout"}
            # (how many connections a tenant holds at most: test_each_tenant_has_a_pool_of_its_own;
            # counted here, the server would also count connections A gave up and it has not yet
            # noticed closing)
            assert user.http.delete(f"/api/sessions/{session_a['id']}").status_code == 204
    finally:
        other.delete_all_sessions()


async def test_each_tenant_has_a_pool_of_its_own() -> None:
    """On real connections: tenant A's 20 calls to an endpoint that never finishes hold at most
    its 3 connections and end on their deadline; tenant B's call is answered while all of A's
    are still waiting."""
    with DripEndpoint(every_s=0.2, for_s=30) as drip, RecordingEndpoint() as fine:
        clients = GuardedClients(allow_private=True, per_tenant=3)
        try:
            stuck = [
                asyncio.ensure_future(
                    clients.post(
                        "tenant-a", drip.url, content=b"{}", headers={}, deadline_s=10, max_bytes=10**7
                    )
                )
                for _ in range(20)
            ]
            while drip.open < 3:  # noqa: ASYNC110 (the server's count, in another thread)
                await asyncio.sleep(0.05)
            answer = await clients.post(
                "tenant-b", fine.url, content=b"{}", headers={}, deadline_s=10, max_bytes=1000
            )
            assert answer.status == 200
            assert not any(call.done() for call in stuck), "B waited for none of A's calls"
            held_by_a = drip.most_open  # (counted before A's deadline: after it, the server also
            # counts connections A gave up and it has not noticed closing yet)
            results = await asyncio.gather(*stuck, return_exceptions=True)
            assert all(isinstance(r, EndpointFailure) and r.code == "timeout" for r in results), results
            assert held_by_a == 3
        finally:
            await clients.aclose()


async def test_an_answer_past_the_size_cap_is_refused() -> None:
    with DripEndpoint(every_s=0.001, for_s=10) as endless:
        clients = GuardedClients(allow_private=True)
        try:
            try:
                await clients.post("a", endless.url, content=b"{}", headers={}, deadline_s=20, max_bytes=2000)
            except EndpointFailure as failure:
                assert failure.code == "too_large"
            else:
                raise AssertionError("an answer past the cap was read")
        finally:
            await clients.aclose()
