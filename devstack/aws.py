"""AWS for the local stack: moto's server on loopback, with the queues and the bucket created."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx

from devstack.process import ProcessSpec

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "wagate-local",
    "AWS_SECRET_ACCESS_KEY": "wagate-local",
    "AWS_DEFAULT_REGION": "us-east-1",
}
START_QUEUE = "wagate-local-start"
START_DLQ = "wagate-local-start-dlq"
RUNNER_QUEUE_PREFIX = "wagate-local-runner-"
CHECKPOINT_BUCKET = "wagate-local-checkpoints"
MAX_RECEIVES = 5  # a command failing this often lands in the dead-letter queue


def moto_spec(port: int, log_path: Path) -> ProcessSpec:
    url = f"http://127.0.0.1:{port}"
    return ProcessSpec(
        name="moto",
        argv=[sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        log_path=log_path,
        ready=lambda: httpx.get(f"{url}/moto-api/", timeout=1).status_code < 500,
    )


@dataclass(frozen=True)
class AwsResources:
    start_queue_url: str
    start_dlq_url: str
    checkpoint_bucket: str


def create_resources(endpoint_url: str) -> AwsResources:
    """Idempotent: queues and bucket exist afterwards (moto keeps nothing between runs)."""
    session = boto3.session.Session(
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=LOCAL_CREDENTIALS["AWS_DEFAULT_REGION"],
    )
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    dlq_url = sqs.create_queue(QueueName=START_DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    start_url = sqs.create_queue(
        QueueName=START_QUEUE,
        Attributes={
            "VisibilityTimeout": "60",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}),
        },
    )["QueueUrl"]
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if CHECKPOINT_BUCKET not in existing:
        s3.create_bucket(Bucket=CHECKPOINT_BUCKET)
    s3.put_bucket_versioning(Bucket=CHECKPOINT_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return AwsResources(start_queue_url=start_url, start_dlq_url=dlq_url, checkpoint_bucket=CHECKPOINT_BUCKET)


def _s3(endpoint_url: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=LOCAL_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def save_bucket(endpoint_url: str, directory: Path) -> int:
    """moto keeps nothing when it stops: the bucket's current objects (sealed checkpoints) are
    copied to `directory` on `make down`, so sessions come back without a QR on `make up`."""
    s3 = _s3(endpoint_url)
    saved: set[Path] = set()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=CHECKPOINT_BUCKET):
        for item in page.get("Contents", []):
            target = directory / item["Key"]
            if directory.resolve() not in target.resolve().parents:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=CHECKPOINT_BUCKET, Key=item["Key"])["Body"].read())
            saved.add(target)
    for stale in [p for p in directory.rglob("*") if p.is_file() and p not in saved]:
        stale.unlink()
    return len(saved)


def load_bucket(endpoint_url: str, directory: Path) -> int:
    """Put back what `save_bucket` kept (objects already in the bucket win)."""
    if not directory.is_dir():
        return 0
    s3 = _s3(endpoint_url)
    loaded = 0
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        key = str(path.relative_to(directory))
        s3.put_object(Bucket=CHECKPOINT_BUCKET, Key=key, Body=path.read_bytes())
        loaded += 1
    return loaded
