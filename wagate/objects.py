"""S3 adapter for the auth checkpoints: where they live and how they are erased.

A session's checkpoints are the objects under `checkpoints/{session uuid}/`. Erasing removes every
version (the bucket may be versioned), so a deleted session leaves no auth state behind.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from wagate.errors import QueueError
from wagate.queues import BOTO_CONFIG

CHECKPOINT_ROOT = "checkpoints/"


def checkpoint_prefix(session_id: str) -> str:
    """The S3 key prefix of a session's checkpoints (`session_id` is the session row's uuid)."""
    if not session_id or "/" in session_id:
        raise ValueError(f"not a session id: {session_id!r}")
    return f"{CHECKPOINT_ROOT}{session_id}/"


class ObjectStore:
    def __init__(self, bucket: str, *, client: Any = None, endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self._client = client or boto3.client("s3", endpoint_url=endpoint_url, config=BOTO_CONFIG)

    @classmethod
    def from_settings(cls, settings: Any) -> ObjectStore:
        return cls(settings.checkpoint_bucket, endpoint_url=settings.aws_endpoint_url)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object version and delete marker under `prefix`; how many were removed."""
        if not prefix.endswith("/"):
            raise ValueError("a prefix to erase must end with '/'")
        removed = 0
        try:
            pages = self._client.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                targets = [
                    {"Key": item["Key"], "VersionId": item["VersionId"]}
                    for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
                ]
                for start in range(0, len(targets), 1000):
                    batch = targets[start : start + 1000]
                    result = self._client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                    )
                    if result.get("Errors"):
                        first = result["Errors"][0]
                        raise QueueError(
                            f"cannot delete {first.get('Key')}: {first.get('Message')}",
                            code="storage_unavailable",
                        )
                    removed += len(batch)
        except (BotoCoreError, ClientError) as exc:
            raise QueueError(
                f"cannot erase s3://{self.bucket}/{prefix}: {exc}", code="storage_unavailable"
            ) from exc
        return removed

    def delete_checkpoints(self, session_id: str) -> int:
        return self.delete_prefix(checkpoint_prefix(session_id))
