"""SQS adapter: commands to the shared start queue and to each runner's own queue.

boto3 honours `AWS_ENDPOINT_URL` (moto's server locally); botocore errors come out as `QueueError`.
FIFO queues (`.fifo`) get the session as message group and the command id as deduplication id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from wagate.commands import Command
from wagate.errors import QueueError

GONE_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
DEPTH_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "RedrivePolicy"]


@dataclass(frozen=True)
class QueueDepth:
    """What waits on a queue (`visible`), what is being handled (`in_flight`), and the same for
    its dead-letter queue when it has one."""

    visible: int
    in_flight: int
    dead_letters: int | None = None

    def to_dict(self) -> dict[str, int | None]:
        return {"visible": self.visible, "in_flight": self.in_flight, "dead_letters": self.dead_letters}


BOTO_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})


class CommandQueues:
    def __init__(self, start_queue_url: str, *, client: Any = None, endpoint_url: str | None = None) -> None:
        self.start_queue_url = start_queue_url
        self._client = client or boto3.client("sqs", endpoint_url=endpoint_url, config=BOTO_CONFIG)

    @classmethod
    def from_settings(cls, settings: Any) -> CommandQueues:
        return cls(settings.start_queue_url, endpoint_url=settings.aws_endpoint_url)

    def send(self, queue_url: str, command: Command) -> str:
        """Put `command` on `queue_url`; the SQS message id."""
        params: dict[str, Any] = {
            "QueueUrl": queue_url,
            "MessageBody": command.to_json(),
            "MessageAttributes": {
                "command_type": {"DataType": "String", "StringValue": command.type.value},
                "session_id": {"DataType": "String", "StringValue": command.session_id},
            },
        }
        if queue_url.endswith(".fifo"):
            params["MessageGroupId"] = command.session_id
            params["MessageDeduplicationId"] = command.id
        try:
            return self._client.send_message(**params)["MessageId"]
        except (BotoCoreError, ClientError) as exc:
            raise QueueError(f"cannot send {command.type.value} command: {exc}") from exc

    def send_start(self, command: Command) -> str:
        return self.send(self.start_queue_url, command)

    def depth(self, queue_url: str) -> QueueDepth | None:
        """The queue's depth and its dead-letter queue's (found through its redrive policy); None
        when the queue does not exist (a dead runner's, removed)."""
        attributes = self._attributes(queue_url, DEPTH_ATTRIBUTES)
        if attributes is None:
            return None
        dead_letters = None
        redrive = attributes.get("RedrivePolicy")
        if redrive:
            target = json.loads(redrive).get("deadLetterTargetArn", "")
            dlq_url = self._url_of(target) if target else ""
            dlq = self._attributes(dlq_url, ["ApproximateNumberOfMessages"]) if dlq_url else None
            dead_letters = int(dlq["ApproximateNumberOfMessages"]) if dlq else None
        return QueueDepth(
            visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            dead_letters=dead_letters,
        )

    def _attributes(self, queue_url: str, names: list[str]) -> dict[str, str] | None:
        try:
            return self._client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in GONE_CODES:
                return None
            raise QueueError(f"cannot read the attributes of a queue: {exc}") from exc
        except BotoCoreError as exc:
            raise QueueError(f"cannot read the attributes of a queue: {exc}") from exc

    def _url_of(self, queue_arn: str) -> str:
        """A queue's URL from its ARN (`arn:aws:sqs:{region}:{account}:{name}`)."""
        *_, account, name = queue_arn.split(":")
        try:
            return self._client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in GONE_CODES:
                return ""
            raise QueueError(f"cannot find a dead-letter queue: {exc}") from exc
        except BotoCoreError as exc:
            raise QueueError(f"cannot find a dead-letter queue: {exc}") from exc

    def ping(self) -> None:
        """Raise `QueueError` unless the start queue answers."""
        try:
            self._client.get_queue_attributes(
                QueueUrl=self.start_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )
        except (BotoCoreError, ClientError) as exc:
            raise QueueError(f"the start queue does not answer: {exc}") from exc
