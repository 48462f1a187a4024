"""SQS adapter: commands to the shared start queue and to each runner's own queue.

boto3 honours `AWS_ENDPOINT_URL` (moto's server locally); botocore errors come out as `QueueError`.
FIFO queues (`.fifo`) get the session as message group and the command id as deduplication id.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from wagate.commands import Command
from wagate.errors import QueueError

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

    def ping(self) -> None:
        """Raise `QueueError` unless the start queue answers."""
        try:
            self._client.get_queue_attributes(
                QueueUrl=self.start_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )
        except (BotoCoreError, ClientError) as exc:
            raise QueueError(f"the start queue does not answer: {exc}") from exc
