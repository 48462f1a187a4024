"""SQS for the runner: its own queue (with a dead-letter queue), the shared start queue, and
long polls run in threads so the event loop never blocks on boto3."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from wagate.errors import QueueError

log = logging.getLogger("runner.queues")


@dataclass(frozen=True)
class ReceivedCommand:
    queue_url: str
    receipt_handle: str
    body: str
    receive_count: int


class QueueGone(QueueError):
    """The queue does not exist (deleted, or SQS lost it: moto restarted locally)."""


GONE_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


class RunnerQueues:
    def __init__(self, *, max_receives: int) -> None:
        # One client, thread-safe for these calls; pool sized for parallel long polls.
        self._sqs = boto3.client("sqs", config=Config(max_pool_connections=20, retries={"max_attempts": 3}))
        self.max_receives = max_receives
        self._own: dict[str, str] = {}  # url -> name of the queues this runner created for itself
        self.on_recreated: Callable[[str], Awaitable[None]] | None = None
        """Called after the runner's own queue was recreated: commands on the lost one are gone."""

    async def _run(self, fn, /, **kwargs):
        try:
            return await asyncio.to_thread(fn, **kwargs)
        except ClientError as exc:
            kind = QueueGone if exc.response.get("Error", {}).get("Code") in GONE_CODES else QueueError
            raise kind(f"SQS {fn.__name__}: {exc}") from exc
        except BotoCoreError as exc:
            raise QueueError(f"SQS {fn.__name__}: {exc}") from exc

    async def ensure_runner_queue(self, name: str) -> str:
        """The runner's own queue, with a dead-letter queue for commands that keep failing."""
        dlq_url = (
            await self._run(
                self._sqs.create_queue,
                QueueName=f"{name}-dlq"[:80],
                Attributes={"SqsManagedSseEnabled": "true"},
            )
        )["QueueUrl"]
        attributes = await self._run(
            self._sqs.get_queue_attributes, QueueUrl=dlq_url, AttributeNames=["QueueArn"]
        )
        redrive = {
            "deadLetterTargetArn": attributes["Attributes"]["QueueArn"],
            "maxReceiveCount": self.max_receives,
        }
        created = await self._run(
            self._sqs.create_queue,
            QueueName=name,
            Attributes={
                "VisibilityTimeout": "60",
                "RedrivePolicy": json.dumps(redrive),
                "SqsManagedSseEnabled": "true",  # encrypted at rest, as the infra's queues are
            },
        )
        self._own[created["QueueUrl"]] = name
        return created["QueueUrl"]

    async def delete_queue(self, queue_url: str) -> None:
        for url in (queue_url, f"{queue_url}-dlq"):
            try:
                await self._run(self._sqs.delete_queue, QueueUrl=url)
            except QueueError:
                pass  # already gone

    async def receive(self, queue_url: str, *, max_messages: int, wait_s: int) -> list[ReceivedCommand]:
        """Up to `max_messages` commands. The runner's own queue, if it is gone, is created again
        under the same name (so the same URL: the registered `queue_url` stays true)."""
        try:
            response = await self._run(
                self._sqs.receive_message,
                QueueUrl=queue_url,
                MaxNumberOfMessages=max(1, min(10, max_messages)),
                WaitTimeSeconds=wait_s,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        except QueueGone:
            if queue_url not in self._own:
                raise
            await self._recreate(queue_url)
            return []
        return [
            ReceivedCommand(
                queue_url=queue_url,
                receipt_handle=m["ReceiptHandle"],
                body=m["Body"],
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
            )
            for m in response.get("Messages", [])
        ]

    async def _recreate(self, queue_url: str) -> None:
        log.warning("the runner's queue is gone; creating it again", extra={"queue": self._own[queue_url]})
        recreated = await self.ensure_runner_queue(self._own[queue_url])
        if recreated != queue_url:
            raise QueueError(f"the runner's queue came back under another URL: {recreated}")
        if self.on_recreated is not None:
            await self.on_recreated(queue_url)

    async def delete(self, command: ReceivedCommand) -> None:
        await self._run(
            self._sqs.delete_message, QueueUrl=command.queue_url, ReceiptHandle=command.receipt_handle
        )

    async def extend_visibility(self, command: ReceivedCommand, seconds: int) -> None:
        await self._run(
            self._sqs.change_message_visibility,
            QueueUrl=command.queue_url,
            ReceiptHandle=command.receipt_handle,
            VisibilityTimeout=seconds,
        )

    async def release(self, command: ReceivedCommand) -> None:
        """Make a command visible again at once (another runner, or a retry, takes it)."""
        await self.extend_visibility(command, 0)

    async def send(self, queue_url: str, body: str) -> None:
        await self._run(self._sqs.send_message, QueueUrl=queue_url, MessageBody=body)
