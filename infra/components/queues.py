"""Command queues (DESIGN.md §4): the shared start queue, here, and one queue per runner, which
each runner creates at start (with its `…-dlq` and a redrive policy) under `runner_queue_prefix`.

Every queue the stack creates has a dead-letter queue and SQS-managed encryption at rest; SQS-managed
keys need no KMS grants for senders and receivers, so the IAM below stays minimal.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge, rendered_arn, wildcard_resource

START_MAX_RECEIVES = 5

RUNNER_QUEUE_ACTIONS = [
    # The runner's own queue and its dead-letter queue, created at start and deleted on shutdown.
    "sqs:CreateQueue",
    "sqs:DeleteQueue",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:SendMessage",
]
CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
]


class CommandQueues(Construct):
    def __init__(self, scope: Construct, id: str, *, start_queue_name: str, runner_queue_prefix: str) -> None:
        super().__init__(scope, id)
        self.runner_queue_prefix = runner_queue_prefix
        self.start_dead_letters = sqs.Queue(
            self,
            "StartDeadLetters",
            queue_name=f"{start_queue_name}-dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.start_queue = sqs.Queue(
            self,
            "Start",
            queue_name=start_queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # A runner claims the session (one SQL call) and deletes the message well within this.
            visibility_timeout=Duration.seconds(60),
            retention_period=Duration.days(1),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=START_MAX_RECEIVES, queue=self.start_dead_letters
            ),
        )

    @property
    def runner_queues_arn(self) -> str:
        """`arn:…:sqs:{region}:{account}:{prefix}*`: every runner queue and its DLQ, nothing else."""
        return Stack.of(self).format_arn(service="sqs", resource=f"{self.runner_queue_prefix}*")

    def grant_send_commands(self, grantee: iam.IGrantable) -> None:
        """The API: send to the start queue and to runners' queues; read the start queue's
        attributes (its health check). Nothing more."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"],
                resources=[self.start_queue.queue_arn, self.runner_queues_arn],
            )
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:GetQueueAttributes"], resources=[self.start_queue.queue_arn])
        )
        self._acknowledge_prefix(grantee)

    def grant_monitor(self, grantee: iam.IGrantable) -> None:
        """The operator's fleet view (GET /api/admin/fleet): the depth of the start queue's
        dead-letter queue and of each runner's queue and its dead-letter queue (found by name)."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=[self.start_dead_letters.queue_arn, self.runner_queues_arn],
            )
        )
        self._acknowledge_prefix(grantee)

    def grant_runner(self, grantee: iam.IGrantable) -> None:
        """A runner: consume (and re-queue) start commands; own its queue under the prefix."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[*CONSUMER_ACTIONS, "sqs:SendMessage"], resources=[self.start_queue.queue_arn]
            )
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=RUNNER_QUEUE_ACTIONS, resources=[self.runner_queues_arn])
        )
        self._acknowledge_prefix(grantee)

    def _acknowledge_prefix(self, grantee: iam.IGrantable) -> None:
        if isinstance(grantee, Construct):
            acknowledge(
                grantee,
                wildcard_resource(rendered_arn("sqs", f"{self.runner_queue_prefix}*")),
                "Each runner creates its own command queue and that queue's dead-letter queue at start, "
                f"named {self.runner_queue_prefix}<runner id>[-dlq]; the prefix is the stage's own.",
            )
