"""Helpers for the API tests (plain functions; the fixtures are in conftest.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any


def row_counts(stack) -> tuple[int, int]:
    """(sessions, messages) in the whole database."""
    (counts,) = stack.sql(
        "select (select count(*) from public.whatsapp_web_sessions),"
        " (select count(*) from public.whatsapp_web_messages)"
    )
    return counts


def take_commands(
    sqs: Any,
    queue_url: str,
    matches: Callable[[dict[str, Any]], bool],
    *,
    expected: int = 1,
    timeout_s: float = 10,
) -> list[dict[str, Any]]:
    """Receive until `expected` commands that `matches` arrived (deleting them); others stay queued."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while len(found) < expected and time.monotonic() < deadline:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        for message in batch:
            body = json.loads(message["Body"])
            if matches(body):
                body["_attributes"] = {
                    key: value["StringValue"] for key, value in message.get("MessageAttributes", {}).items()
                }
                found.append(body)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def for_session(session_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda body: body.get("session_id") == session_id
