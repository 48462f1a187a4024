"""cdk-nag (AwsSolutions pack) wiring and the acknowledgments it needs, each with its reason.

cdk-nag 3 runs as a CDK validation plugin: an unacknowledged finding stops synthesis, so `make synth`
and the tests fail on any new one. A finding on one IAM detail is acknowledged by its full id,
e.g. `AwsSolutions-IAM5[Resource::*]`.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` on `scope` (and what it contains) with a reviewer-readable reason."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def suppress_cdk_internals(stack: IConstruct) -> None:
    """Findings on resources the CDK adds on its own (filled in below as they are reviewed)."""


def _logical_id(element: Any) -> str:
    return Stack.of(element).resolve(Stack.of(element).get_logical_id(element))


def acknowledge_wildcards(
    role: IConstruct,
    *,
    queues: Any,
    checkpoints: Any,
    xray: bool = False,
    metrics: bool = False,
    task_protection_cluster: Any = None,
) -> None:
    """The wildcards a wagate role needs, each acknowledged by its exact finding id."""
    bucket = _logical_id(checkpoints.bucket.node.default_child)
    acknowledge(
        role,
        f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/checkpoints/*]",
        "Checkpoint objects are keyed by session uuid, created at runtime; access is limited to the "
        "checkpoints/ prefix of the stage's bucket.",
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:"
        f"{queues.runner_queue_prefix}*]",
        "Each runner creates its own command queue (and its dead-letter queue) at start, named "
        f"{queues.runner_queue_prefix}<runner id>; the prefix is the stage's and matches nothing else.",
    )
    if xray or metrics:
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only for actions without resource-level permissions: "
            + ("xray:PutTraceSegments and xray:PutTelemetryRecords" if xray else "")
            + (
                "cloudwatch:PutMetricData, conditioned on the cloudwatch:namespace of wagate's metrics"
                if metrics
                else ""
            )
            + ".",
        )
    if task_protection_cluster is not None:
        cluster = _logical_id(task_protection_cluster.node.default_child)
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<{cluster}>/*]",
            "Task scale-in protection of the runner's own task: task ids are only known at runtime, "
            "the ARN is limited to the stage's cluster.",
        )
