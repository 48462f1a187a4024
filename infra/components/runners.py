"""The runner fleet (DESIGN.md §5): an ECS Fargate service, one Chromium per task.

- The image is `runner/Dockerfile` (Playwright's Python image), built by the CDK CLI at deploy.
- SIGTERM gives a runner `STOP_TIMEOUT` (Fargate's maximum, 120 s) to checkpoint and release.
- The container is healthy while the runner keeps touching HEARTBEAT_FILE.
- A runner holding sessions sets task scale-in protection through `$ECS_AGENT_URI`; the agent
  calls ecs:UpdateTaskProtection / ecs:GetTaskProtection with the task role's credentials, so the
  task role is granted both, on this cluster's tasks only.
- Scaling follows sessions per runner: each runner publishes `ActiveSessions` (namespace `Wagate`,
  dimension `Stage`) every minute, so the metric's Average is the fleet's mean sessions per runner;
  a start-queue backlog (every runner full) adds tasks as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Aws, Duration, IgnoreMode, RemovalPolicy, Size, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.components.checkpoints import CheckpointStore
from infra.components.media import MediaStore
from infra.components.network import Network
from infra.components.queues import CommandQueues
from infra.components.secrets import AppSecret
from infra.nag import acknowledge, logical_id, rendered_arn, wildcard_resource
from infra.settings import StageSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = "runner/Dockerfile"
# The build context is the repository root (the image pip-installs the project); only what the
# image needs is staged and sent to Docker.
IMAGE_CONTEXT_EXCLUDES = [
    "*",
    "!pyproject.toml",
    "!README.md",
    "!wagate",
    "!runner",
    "**/__pycache__",
    "**/*.pyc",
]

STOP_TIMEOUT = Duration.seconds(120)
SHUTDOWN_MARGIN_SECONDS = 20
HEARTBEAT_FILE = "/tmp/wagate-heartbeat"
HEARTBEAT_MAX_AGE_SECONDS = 90
# Healthy while the heartbeat file was modified within HEARTBEAT_MAX_AGE_SECONDS (a missing file
# makes `stat` print nothing and the arithmetic fail: unhealthy).
HEALTH_CHECK_COMMAND = (
    f'test $(( $(date +%s) - $(stat -c %Y "$HEARTBEAT_FILE" 2>/dev/null || echo 0) )) '
    f"-lt {HEARTBEAT_MAX_AGE_SECONDS}"
)
METRICS_NAMESPACE = "Wagate"
SESSIONS_METRIC = "ActiveSessions"
LOG_STREAM_PREFIX = "runner"


class RunnerFleet(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: StageSettings,
        network: Network,
        queues: CommandQueues,
        checkpoints: CheckpointStore,
        media: MediaStore,
        secret: AppSecret,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=network.vpc,
            container_insights_v2=(
                ecs.ContainerInsights.ENABLED
                if settings.container_insights
                else ecs.ContainerInsights.DISABLED
            ),
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=removal_policy)
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"wagate {settings.stage} runner tasks",
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=settings.runner_cpu,
            memory_limit_mib=settings.runner_memory_mib,
            task_role=self.task_role,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=ecs.CpuArchitecture.X86_64,
            ),
        )
        self.environment = runner_environment(
            settings, queues=queues, checkpoints=checkpoints, media=media, secret=secret
        )
        self.container = self.task_definition.add_container(
            "runner",
            image=ecs.ContainerImage.from_asset(
                str(REPO_ROOT),
                file=DOCKERFILE,
                exclude=IMAGE_CONTEXT_EXCLUDES,
                ignore_mode=IgnoreMode.DOCKER,
                platform=ecr_assets.Platform.LINUX_AMD64,
            ),
            essential=True,
            environment=dict(self.environment),
            stop_timeout=STOP_TIMEOUT,
            health_check=ecs.HealthCheck(
                command=["CMD-SHELL", HEALTH_CHECK_COMMAND],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                # Chromium's start and the first claims (restoring checkpoints) come first.
                start_period=Duration.seconds(120),
            ),
            # An init process reaps Chromium's children and forwards SIGTERM to the runner.
            linux_parameters=ecs.LinuxParameters(self, "LinuxParameters", init_process_enabled=True),
            logging=ecs.LogDriver.aws_logs(
                stream_prefix=LOG_STREAM_PREFIX,
                log_group=self.log_group,
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                max_buffer_size=Size.mebibytes(25),
            ),
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=network.vpc,
            description=f"wagate {settings.stage} runners: no inbound; HTTPS out to WhatsApp, Supabase, AWS",
            allow_all_outbound=True,
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=settings.min_runners,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            vpc_subnets=network.runner_subnets,
            security_groups=[self.security_group],
            assign_public_ip=False,
            enable_ecs_managed_tags=True,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        self._grant(queues=queues, checkpoints=checkpoints, media=media, secret=secret)
        self._autoscale(settings, queues=queues)
        self._acknowledge(settings)

    def _acknowledge(self, settings: StageSettings) -> None:
        acknowledge(
            self.task_role,
            wildcard_resource("*"),
            "Only cloudwatch:PutMetricData, which has no resource-level permissions; it is limited by "
            f"the cloudwatch:namespace condition to wagate's own namespace ({METRICS_NAMESPACE}).",
        )
        acknowledge(
            self.task_role,
            wildcard_resource(rendered_arn("ecs", f"task/<{logical_id(self.cluster)}>/*")),
            "Task scale-in protection of the runner's own task (set through the ECS agent): task ids "
            "are only known at runtime; the ARN is limited to the stage's cluster.",
        )
        acknowledge(
            self.task_definition.obtain_execution_role(),
            wildcard_resource("*"),
            "ecr:GetAuthorizationToken, added by the CDK to pull the runner image, has no resource-level "
            "permissions; the image pull itself is limited to the asset repository.",
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "The environment holds names, URLs and numbers only (queue URL, bucket, capacity); every "
            "secret is read at runtime from the Secrets Manager secret named by WAGATE_SECRET_ARN, "
            "which also picks up a changed value without a new task definition.",
        )
        if not settings.container_insights:
            acknowledge(
                self.cluster,
                "AwsSolutions-ECS4",
                "Container Insights is off in this stage to keep its cost down (it is on in prod, "
                "-c container_insights=true); runners publish their own session metrics and logs.",
            )

    def _grant(
        self, *, queues: CommandQueues, checkpoints: CheckpointStore, media: MediaStore, secret: AppSecret
    ) -> None:
        queues.grant_runner(self.task_role)
        checkpoints.grant_read_write(self.task_role)  # with the key, which media objects share
        media.grant_runner(self.task_role)
        secret.grant_read(self.task_role)
        self.task_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                # PutMetricData has no resource-level permissions; the namespace condition scopes it.
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
            )
        )
        self.task_role.add_to_principal_policy(
            iam.PolicyStatement(
                # Used by the ECS agent on the runner's behalf ($ECS_AGENT_URI/task-protection/v1/state).
                actions=["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"],
                resources=[
                    Stack.of(self).format_arn(
                        service="ecs",
                        resource="task",
                        resource_name=f"{self.cluster.cluster_name}/*",
                    )
                ],
            )
        )

    def sessions_per_runner(self, stage: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=SESSIONS_METRIC,
            dimensions_map={"Stage": stage},
            statistic=cloudwatch.Stats.AVERAGE,
            period=Duration.minutes(1),
        )

    def _autoscale(self, settings: StageSettings, *, queues: CommandQueues) -> None:
        scaling = self.service.auto_scale_task_count(
            min_capacity=settings.min_runners, max_capacity=settings.max_runners
        )
        # Scale-in only removes tasks without sessions: runners holding sessions are protected.
        scaling.scale_to_track_custom_metric(
            "SessionsPerRunner",
            metric=self.sessions_per_runner(settings.stage),
            target_value=settings.target_sessions_per_runner,
            scale_out_cooldown=Duration.minutes(1),
            scale_in_cooldown=Duration.minutes(5),
        )
        # Start commands waiting means every runner is full (or none is up): add tasks quickly.
        scaling.scale_on_metric(
            "StartBacklog",
            metric=queues.start_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            scaling_steps=[
                appscaling.ScalingInterval(upper=0, change=0),
                appscaling.ScalingInterval(lower=1, change=1),
                appscaling.ScalingInterval(lower=20, change=2),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.minutes(2),
            evaluation_periods=2,
        )


def runner_environment(
    settings: StageSettings,
    *,
    queues: CommandQueues,
    checkpoints: CheckpointStore,
    media: MediaStore,
    secret: AppSecret,
) -> Mapping[str, str]:
    """The runner's configuration: names and numbers only; secrets are read at runtime from
    WAGATE_SECRET_ARN."""
    return {
        "WAGATE_STAGE": settings.stage,
        "WAGATE_START_QUEUE_URL": queues.start_queue.queue_url,
        "WAGATE_RUNNER_QUEUE_PREFIX": settings.runner_queue_prefix,
        "WAGATE_CHECKPOINT_BUCKET": checkpoints.bucket.bucket_name,
        "CHECKPOINT_KMS_KEY_ID": checkpoints.key.key_arn,
        "WAGATE_MEDIA_BUCKET": media.bucket_name,
        "WAGATE_MEDIA_URL_TTL_S": str(media.url_ttl_s),
        "SUPABASE_URL": settings.supabase_url,
        "WAGATE_SECRET_ARN": secret.reference,
        "WA_WEB_URL": settings.wa_web_url,
        "RUNNER_CAPACITY": str(settings.runner_capacity),
        "LEASE_TTL_SECONDS": str(settings.lease_ttl_seconds),
        "HEARTBEAT_FILE": HEARTBEAT_FILE,
        # Checkpoint and release within ECS's stop timeout, with a margin for the last writes.
        "SHUTDOWN_DEADLINE_S": str(int(STOP_TIMEOUT.to_seconds()) - SHUTDOWN_MARGIN_SECONDS),
        "WAGATE_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "AWS_REGION": Aws.REGION,
        "AWS_DEFAULT_REGION": Aws.REGION,
    }
