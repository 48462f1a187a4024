"""The HTTP API (DESIGN.md §3): the Chalice app in `api_lambda/` through `chalice.cdk`, and the
app's other function, the webhook dispatcher (`@app.schedule`, every minute).

Chalice does not manage the functions' role (`manage_iam_role: false`): the role is built here with
exactly what the handlers need (send commands, read the stage's secret, erase a deleted session's
checkpoints, read, write and delete media and sign its URLs, write their logs and traces, put a
failed dispatcher run on its dead-letter queue), so the template states the API's privileges. A
dispatcher run that fails (an exception, a timeout) goes to an encrypted dead-letter queue (not
retried: the next minute's run takes over); alarms watch the queue and the dispatcher's errors.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from constructs import Construct

from infra.components.checkpoints import CheckpointStore
from infra.components.media import MediaStore
from infra.components.monitoring import alarm
from infra.components.queues import CommandQueues
from infra.components.runners import METRICS_NAMESPACE
from infra.components.secrets import AppSecret
from infra.nag import acknowledge, wildcard_resource
from infra.settings import StageSettings

API_SOURCE_DIR = Path(__file__).resolve().parents[2] / "api_lambda"
# Logical ids in the template `chalice package` writes.
FUNCTION_ID = "APIHandler"
REST_API_ID = "RestAPI"
DISPATCHER_ID = "WebhookDispatcher"  # @app.schedule(..., name="webhook-dispatcher")
# A run dispatches for WEBHOOK_RUN_S (50 s) of its minute, then finishes the calls in flight
# (WEBHOOK_TIMEOUT_S, 10 s, each) before it returns.
DISPATCHER_TIMEOUT_S = 75


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: StageSettings,
        queues: CommandQueues,
        checkpoints: CheckpointStore,
        media: MediaStore,
        secret: AppSecret,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        source_dir: Path = API_SOURCE_DIR,
    ) -> None:
        super().__init__(scope, id)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=removal_policy)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"wagate {settings.stage} API function",
        )
        self.log_group.grant_write(self.role)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                # X-Ray has no resource-level permissions for these two actions.
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            )
        )
        queues.grant_send_commands(self.role)
        queues.grant_monitor(self.role)
        checkpoints.grant_erase(self.role)
        # the dispatcher shares this role (Chalice gives every function of the app one role)
        media.grant_api(self.role)
        secret.grant_read(self.role)
        acknowledge(
            self.role,
            wildcard_resource("*"),
            "Only xray:PutTraceSegments and xray:PutTelemetryRecords, which have no resource-level "
            "permissions (the function's active tracing needs them).",
        )

        self.environment = api_environment(
            settings, queues=queues, checkpoints=checkpoints, media=media, secret=secret
        )
        # chalice.cdk names the Chalice stage after the construct's scope, so the app is placed in
        # the stack itself: the stage is the stack name (`wagate-dev`), not a construct path.
        with _scratch_directory():
            self.chalice = Chalice(
                Stack.of(self),
                f"{id}Chalice",
                source_dir=str(source_dir),
                stage_config=chalice_stage_config(
                    settings, role_arn=self.role.role_arn, environment=self.environment
                ),
            )
        function = self.chalice.get_resource(FUNCTION_ID)
        function.add_property_override("LoggingConfig", {"LogGroup": self.log_group.log_group_name})
        self._webhook_dispatcher(stage=settings.stage)
        rest_api = self.chalice.get_resource(REST_API_ID)
        rest_api.add_property_override("TracingEnabled", True)
        rest_api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": settings.api_rate_limit,
                    "ThrottlingBurstLimit": settings.api_burst_limit,
                }
            ],
        )

    def _webhook_dispatcher(self, *, stage: str) -> None:
        dispatcher = self.chalice.get_resource(DISPATCHER_ID)
        dispatcher.add_property_override("LoggingConfig", {"LogGroup": self.log_group.log_group_name})
        dispatcher.add_property_override("Timeout", DISPATCHER_TIMEOUT_S)
        # a run every minute, each up to 75 s: two may overlap (deliveries are claimed, never shared)
        dispatcher.add_property_override("ReservedConcurrentExecutions", 2)
        self.dispatcher_dead_letters = sqs.Queue(
            self,
            "DispatcherDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dispatcher_dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the webhook dispatcher's failed runs "
            "(Lambda's on-failure destination), kept 14 days for an operator.",
        )
        # all Lambda's on-failure destination needs
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[self.dispatcher_dead_letters.queue_arn]
            )
        )
        lambda_.CfnEventInvokeConfig(
            self,
            "DispatcherInvokeConfig",
            function_name=dispatcher.ref,
            qualifier="$LATEST",
            maximum_retry_attempts=0,  # the next minute's run takes over
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=self.dispatcher_dead_letters.queue_arn
                )
            ),
        )

        def lambda_metric(name: str, period_min: int) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name=name,
                dimensions_map={"FunctionName": dispatcher.ref},
                statistic="Sum",
                period=Duration.minutes(period_min),
            )

        self.dispatcher_alarms = [
            alarm(
                self,
                "DispatcherFailedRunsAlarm",
                "webhook dispatcher runs failed (see its dead-letter queue and logs)",
                self.dispatcher_dead_letters.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5)
                ),
                1,
                1,
            ),
            alarm(
                self,
                "DispatcherErrorsAlarm",
                "webhook dispatcher errors in 3 of 5 minutes: events are not going out",
                lambda_metric("Errors", 1),
                1,
                5,
                datapoints_to_alarm=3,
            ),
            alarm(
                self,
                "WebhookBacklogAlarm",
                "webhook deliveries due for over 5 minutes: events are not going out "
                "(the dispatcher's claims failing, or more events than it keeps up with)",
                # printed by each dispatcher run in the embedded metric format (wagate/webhooks.py)
                cloudwatch.Metric(
                    namespace=METRICS_NAMESPACE,
                    metric_name="WebhookBacklogAgeSeconds",
                    dimensions_map={"Stage": stage},
                    statistic="Maximum",
                    period=Duration.minutes(1),
                ),
                300,
                3,
            ),
            alarm(
                self,
                "DispatcherNotRunningAlarm",
                "the webhook dispatcher has not run for 5 minutes (schedule disabled?)",
                lambda_metric("Invocations", 5),
                1,
                1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            ),
        ]


@contextlib.contextmanager
def _scratch_directory() -> Iterator[None]:
    """chalice.cdk packages into `./chalice.out`; the CDK copies what it needs into cdk.out at once,
    so the package is built in a temporary directory that is removed afterwards."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="wagate-chalice-") as scratch:
        os.chdir(scratch)
        try:
            yield
        finally:
            os.chdir(previous)


def api_environment(
    settings: StageSettings,
    *,
    queues: CommandQueues,
    checkpoints: CheckpointStore,
    media: MediaStore,
    secret: AppSecret,
) -> Mapping[str, str]:
    """The API's configuration: names only; secrets are read at runtime from WAGATE_SECRET_ARN."""
    environment = {
        "WAGATE_STAGE": settings.stage,
        "WAGATE_START_QUEUE_URL": queues.start_queue.queue_url,
        "WAGATE_RUNNER_QUEUE_PREFIX": settings.runner_queue_prefix,
        "WAGATE_CHECKPOINT_BUCKET": checkpoints.bucket.bucket_name,
        "WAGATE_MEDIA_BUCKET": media.bucket_name,
        "WAGATE_MEDIA_URL_TTL_S": str(media.url_ttl_s),
        "SUPABASE_URL": settings.supabase_url,
        "WAGATE_SECRET_ARN": secret.reference,
        "CORS_ALLOW_ORIGINS": settings.cors_allow_origins,
    }
    if settings.jwt_issuer:
        environment["JWT_ISSUER"] = settings.jwt_issuer
    if settings.jwt_audience:
        environment["JWT_AUDIENCE"] = settings.jwt_audience
    return environment


def chalice_stage_config(
    settings: StageSettings, *, role_arn: str, environment: Mapping[str, str]
) -> dict[str, Any]:
    """Chalice settings for `chalice package` (the highest-priority layer over .chalice/config.json)."""
    return {
        # The routes already start with /api: the URL reads https://…/{stage}/api/health.
        "api_gateway_stage": settings.stage,
        "api_gateway_endpoint_type": "REGIONAL",
        "manage_iam_role": False,
        "iam_role_arn": role_arn,
        "autogen_policy": False,
        "xray": True,
        "environment_variables": dict(environment),
    }
