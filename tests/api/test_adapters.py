"""The adapters on their own against the real stack: PostgREST (sync and async), SQS, S3."""

from __future__ import annotations

import json
import uuid

import pytest

from wagate.commands import Command, CommandType
from wagate.errors import QueueError, StoreError
from wagate.objects import ObjectStore, checkpoint_prefix
from wagate.queues import CommandQueues
from wagate.store import RUNNERS, SESSIONS, AsyncStore, Store, eq, in_, is_null, lt, not_null


def _runner_rows(count: int) -> list[dict]:
    tag = uuid.uuid4().hex[:8]
    return [
        {"runner_id": f"adapter-{tag}-{n}", "queue_url": f"http://q/{n}", "capacity": n} for n in range(count)
    ]


def test_store_round_trip(stack, store: Store) -> None:
    rows = _runner_rows(3)
    ids = [row["runner_id"] for row in rows]
    inserted = store.insert(RUNNERS, rows)
    assert [row["runner_id"] for row in inserted] == ids
    assert store.count(RUNNERS, where={"runner_id": in_(ids)}) == 3
    assert store.select(RUNNERS, where={"runner_id": in_(ids), "capacity": lt(2)}, order="capacity.desc") == [
        inserted[1],
        inserted[0],
    ]
    assert store.select_one(RUNNERS, where={"runner_id": eq("adapter-nobody")}) is None
    (updated,) = store.update(RUNNERS, {"active_sessions": 7}, where={"runner_id": eq(ids[2])})
    assert updated["active_sessions"] == 7
    again = store.insert(RUNNERS, rows[0], on_conflict="runner_id", ignore_duplicates=True)
    assert again == []  # a duplicate is skipped, not an error
    assert len(store.delete(RUNNERS, where={"runner_id": in_(ids)})) == 3
    assert store.count(RUNNERS, where={"runner_id": in_(ids)}) == 0


def test_store_filters_with_reserved_characters(stack, store: Store, user) -> None:
    awkward = 'a,b.c:(d)"e\\f g'
    session_id = str(uuid.uuid4())
    stack.sql(
        "insert into public.whatsapp_web_sessions (id, user_id, chatbot_id, session_id, last_error)"
        " values (%s, %s, gen_random_uuid(), %s, %s)",
        (session_id, user.id, f"adapter-{session_id}", awkward),
    )
    where = {"id": eq(session_id), "last_error": in_([awkward, "other"]), "runner_id": is_null()}
    assert [row["id"] for row in store.select(SESSIONS, where=where)] == [session_id]
    assert store.select(SESSIONS, where={"id": eq(session_id), "runner_id": not_null()}) == []


def test_store_errors_are_wrapped(stack, store: Store) -> None:
    with pytest.raises(StoreError) as missing_table:
        store.select("no_such_table")
    assert missing_table.value.status_code in (400, 404) and missing_table.value.pg_code
    with pytest.raises(StoreError) as bad_value:
        store.select(SESSIONS, where={"id": eq("not-a-uuid")})
    assert bad_value.value.pg_code == "22P02"
    with pytest.raises(ValueError):
        store.delete(SESSIONS, where={})  # never every row
    with (
        Store("http://127.0.0.1:9/rest/v1", "key", timeout_s=1) as offline,
        pytest.raises(StoreError) as down,
    ):
        offline.ping()
    assert down.value.code == "database_unavailable"


async def test_async_store_round_trip(stack) -> None:
    rows = _runner_rows(2)
    ids = [row["runner_id"] for row in rows]
    async with AsyncStore(f"{stack.supabase_url}/rest/v1", stack.env["SUPABASE_SERVICE_ROLE_KEY"]) as store:
        await store.ping()
        assert len(await store.insert(RUNNERS, rows)) == 2
        assert (await store.select_one(RUNNERS, where={"runner_id": eq(ids[1])}))["capacity"] == 1
        assert await store.rpc("heartbeat_runner", {"p_runner_id": ids[0], "p_active_sessions": 1}) is True
        assert await store.count(RUNNERS, where={"runner_id": in_(ids)}) == 2
        assert len(await store.update(RUNNERS, {"capacity": 9}, where={"runner_id": in_(ids)})) == 2
        assert len(await store.delete(RUNNERS, where={"runner_id": in_(ids)})) == 2


def test_commands_on_a_fifo_queue_are_grouped_by_session(stack) -> None:
    sqs = stack.sqs()
    queue_url = sqs.create_queue(
        QueueName=f"adapter-{uuid.uuid4().hex[:8]}.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    try:
        queues = CommandQueues(stack.env["WAGATE_START_QUEUE_URL"], client=sqs)
        command = Command(
            CommandType.SEND, session_id=str(uuid.uuid4()), epoch=3, payload={"message_id": "m"}
        )
        queues.send(queue_url, command)
        queues.send(queue_url, command)  # a retried send of the same command is deduplicated
        received = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=1
        )["Messages"]
        assert len(received) == 1
        assert received[0]["Attributes"]["MessageGroupId"] == command.session_id
        assert Command.from_json(received[0]["Body"]) == command
        assert json.loads(received[0]["Body"])["type"] == "send"
    finally:
        sqs.delete_queue(QueueUrl=queue_url)


def test_a_missing_queue_is_a_queue_error(stack) -> None:
    missing = stack.env["WAGATE_START_QUEUE_URL"] + "-missing"
    queues = CommandQueues(missing, client=stack.sqs())
    with pytest.raises(QueueError):
        queues.send_start(Command(CommandType.START, session_id=str(uuid.uuid4())))
    with pytest.raises(QueueError):
        queues.ping()


def test_erasing_checkpoints_removes_every_version(stack) -> None:
    s3 = stack.s3()
    bucket = f"adapter-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    session_id, neighbour = str(uuid.uuid4()), str(uuid.uuid4())
    for target in (session_id, neighbour):
        for version in range(3):
            s3.put_object(Bucket=bucket, Key=f"{checkpoint_prefix(target)}state", Body=f"v{version}".encode())
    objects = ObjectStore(bucket, client=s3)
    assert objects.delete_checkpoints(session_id) == 3
    remaining = s3.list_object_versions(Bucket=bucket, Prefix=checkpoint_prefix(session_id))
    assert remaining.get("Versions", []) == [] and remaining.get("DeleteMarkers", []) == []
    assert len(s3.list_object_versions(Bucket=bucket, Prefix=checkpoint_prefix(neighbour))["Versions"]) == 3
    assert objects.delete_checkpoints(session_id) == 0
    with pytest.raises(ValueError):
        checkpoint_prefix("../other")
    with pytest.raises(QueueError) as missing_bucket:
        ObjectStore(f"{bucket}-missing", client=s3).delete_checkpoints(session_id)
    assert missing_bucket.value.code == "storage_unavailable"
