"""Nothing half-written: when SQS refuses a command, the write before it is undone.

The service runs in-process against the real PostgREST and moto, with a start queue that does not
exist (the stack's own start queue cannot be broken without breaking every other test).
"""

from __future__ import annotations

import uuid

import pytest

from tests.api.api_helpers import row_counts
from wagate.auth import Principal
from wagate.errors import QueueError
from wagate.objects import ObjectStore
from wagate.queues import CommandQueues
from wagate.service import GatewayService


@pytest.fixture
def broken_service(stack, store) -> GatewayService:
    missing_queue = stack.env["WAGATE_START_QUEUE_URL"].rsplit("/", 1)[0] + "/no-such-queue"
    return GatewayService(
        store=store,
        queues=CommandQueues(missing_queue, client=stack.sqs()),
        objects=ObjectStore(stack.env["WAGATE_CHECKPOINT_BUCKET"], client=stack.s3()),
    )


def test_create_is_undone_when_the_start_command_fails(stack, user, broken_service) -> None:
    before = row_counts(stack)
    with pytest.raises(QueueError):
        broken_service.create_session(Principal(user.id), {"chatbot_id": str(uuid.uuid4())})
    assert row_counts(stack) == before


def test_restart_is_undone_when_the_start_command_fails(stack, user, create_session, broken_service) -> None:
    session = create_session(user)
    stack.sql(
        "update public.whatsapp_web_sessions set status = 'failed', last_error = 'boom' where id = %s",
        (session["id"],),
    )
    with pytest.raises(QueueError):
        broken_service.restart_session(Principal(user.id), session["id"])
    assert stack.sql(
        "select status, last_error from public.whatsapp_web_sessions where id = %s", (session["id"],)
    ) == [("failed", "boom")]


def test_health_names_the_queue_when_it_is_down(broken_service) -> None:
    healthy, report = broken_service.health()
    assert not healthy
    assert report == {"status": "unavailable", "checks": {"database": "ok", "queue": "unavailable"}}
