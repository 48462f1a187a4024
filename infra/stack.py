"""One stack per stage (`wagate-dev`, `wagate-prod`): every component, wired by keyword."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, RemovalPolicy, Stack, Tags
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.components.api import API_SOURCE_DIR, Api
from infra.components.checkpoints import CheckpointStore
from infra.components.media import MediaStore
from infra.components.monitoring import FleetAlarms
from infra.components.network import Network
from infra.components.queues import CommandQueues
from infra.components.runners import RunnerFleet
from infra.components.secrets import AppSecret
from infra.settings import StageSettings

RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


class WagateStack(Stack):
    def __init__(
        self, scope: Construct, *, settings: StageSettings, api_source_dir: Path = API_SOURCE_DIR
    ) -> None:
        super().__init__(
            scope,
            settings.stack_name,
            stack_name=settings.stack_name,
            description=f"wagate {settings.stage}: WhatsApp Web gateway (API, runners, queues, checkpoints)",
        )
        Tags.of(self).add("project", "wagate")
        Tags.of(self).add("stage", settings.stage)
        if settings.log_retention_days not in RETENTION:
            raise ValueError(f"log_retention_days must be one of {sorted(RETENTION)}")
        log_retention = RETENTION[settings.log_retention_days]
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY

        self.secret = AppSecret(
            self,
            "Secret",
            stage=settings.stage,
            secret_name=settings.secret_name,
            retain=settings.retain_data,
        )
        self.checkpoints = CheckpointStore(
            self, "Checkpoints", stage=settings.stage, noncurrent_days=settings.checkpoint_noncurrent_days
        )
        self.media = MediaStore(
            self,
            "Media",
            checkpoints=self.checkpoints,
            retention_days=settings.media_retention_days,
            cors_origins=settings.media_cors_origin_list,
        )
        self.queues = CommandQueues(
            self,
            "Queues",
            start_queue_name=settings.start_queue_name,
            runner_queue_prefix=settings.runner_queue_prefix,
        )
        self.api = Api(
            self,
            "Api",
            settings=settings,
            queues=self.queues,
            checkpoints=self.checkpoints,
            media=self.media,
            secret=self.secret,
            log_retention=log_retention,
            removal_policy=removal,
            source_dir=api_source_dir,
        )
        self.network = Network(
            self,
            "Network",
            nat_gateways=settings.nat_gateways,
            log_retention=log_retention,
            removal_policy=removal,
        )
        self.runners = RunnerFleet(
            self,
            "Runners",
            settings=settings,
            network=self.network,
            queues=self.queues,
            checkpoints=self.checkpoints,
            media=self.media,
            secret=self.secret,
            log_retention=log_retention,
            removal_policy=removal,
        )
        self.alarms = FleetAlarms(self, "FleetAlarms", stage=settings.stage, queues=self.queues)
        self._outputs()

    def _outputs(self) -> None:
        # `chalice package` already outputs the API's URL as EndpointURL.
        CfnOutput(self, "SecretArn", value=self.secret.secret.secret_arn)
        CfnOutput(self, "StartQueueUrl", value=self.queues.start_queue.queue_url)
        CfnOutput(self, "CheckpointBucket", value=self.checkpoints.bucket.bucket_name)
        CfnOutput(self, "RunnerCluster", value=self.runners.cluster.cluster_name)
        CfnOutput(self, "RunnerService", value=self.runners.service.service_name)
