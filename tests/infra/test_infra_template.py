"""The synthesized template has every component, configured as DESIGN.md §4, §5 and §9 say."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match

from infra.components.runners import HEARTBEAT_FILE, METRICS_NAMESPACE, SESSIONS_METRIC
from wagate.config import SECRET_KEYS

API_ENV = {
    "WAGATE_STAGE",
    "WAGATE_START_QUEUE_URL",
    "WAGATE_RUNNER_QUEUE_PREFIX",
    "WAGATE_CHECKPOINT_BUCKET",
    "WAGATE_MEDIA_BUCKET",
    "WAGATE_MEDIA_URL_TTL_S",
    "SUPABASE_URL",
    "WAGATE_SECRET_ARN",
    "CORS_ALLOW_ORIGINS",
}
RUNNER_ENV = {
    "WAGATE_STAGE",
    "WAGATE_START_QUEUE_URL",
    "WAGATE_RUNNER_QUEUE_PREFIX",
    "WAGATE_CHECKPOINT_BUCKET",
    "CHECKPOINT_KMS_KEY_ID",
    "WAGATE_MEDIA_BUCKET",
    "WAGATE_MEDIA_URL_TTL_S",
    "SUPABASE_URL",
    "WAGATE_SECRET_ARN",
    "WA_WEB_URL",
    "RUNNER_CAPACITY",
    "LEASE_TTL_SECONDS",
    "HEARTBEAT_FILE",
    "SHUTDOWN_DEADLINE_S",
    "WAGATE_METRICS_NAMESPACE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
}


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def container(synthesis: Any) -> dict[str, Any]:
    (definition,) = synthesis.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    return definition


def container_env(synthesis: Any) -> dict[str, Any]:
    return {item["Name"]: item["Value"] for item in container(synthesis)["Environment"]}


def api_function(synthesis: Any) -> dict[str, Any]:
    return synthesis.resources["APIHandler"]


# ------------------------------------------------------------------ one stack per stage


def test_one_stack_per_stage_named_after_it(dev, prod):
    assert dev.stack.stack_name == "wagate-dev"
    assert prod.stack.stack_name == "wagate-prod"


# ------------------------------------------------------------------ queues


def test_start_queue_has_a_dead_letter_queue_and_encryption(dev):
    queues = dev.stack.queues
    start, dead = dev.logical_id(queues.start_queue), dev.logical_id(queues.start_dead_letters)
    dispatcher_dead = dev.logical_id(dev.stack.api.dispatcher_dead_letters)  # the webhook dispatcher's
    assert set(dev.of_type("AWS::SQS::Queue")) == {start, dead, dispatcher_dead}
    dev.assertions.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": "wagate-dev-start",
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": arn_of(dead), "maxReceiveCount": 5},
        },
    )
    dev.assertions.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": "wagate-dev-start-dlq",
            "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": 1209600,
        },
    )


def test_queues_refuse_plain_http(dev):
    policies = dev.of_type("AWS::SQS::QueuePolicy").values()
    assert len(policies) == 3  # the start queue, its dead letters, the dispatcher's dead letters
    for policy in policies:
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# ------------------------------------------------------------------ checkpoints


def test_checkpoint_bucket_is_private_encrypted_versioned_and_logged(dev):
    store = dev.stack.checkpoints
    key, logs = dev.logical_id(store.key), dev.logical_id(store.access_logs)
    bucket = dev.resources[dev.logical_id(store.bucket)]
    assert bucket["DeletionPolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": arn_of(key),
    }
    assert encryption["BucketKeyEnabled"] is True
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["LoggingConfiguration"]["DestinationBucketName"] == ref(logs)
    rules = {rule["Id"]: rule for rule in properties["LifecycleConfiguration"]["Rules"]}
    expiry = rules["expire-replaced-and-deleted-checkpoints"]
    assert expiry["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}
    assert rules["remove-expired-delete-markers"]["ExpiredObjectDeleteMarker"] is True


def lifecycle_rules(synthesis: Any) -> dict[str, dict[str, Any]]:
    bucket = synthesis.resources[synthesis.logical_id(synthesis.stack.checkpoints.bucket)]
    return {rule["Id"]: rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}


def test_media_expires_under_its_own_prefixes(dev, prod):
    """Stored media after `media_retention_days` (90 by default), unsent uploads after a day; deleted
    or replaced media versions after a day, so an erasure really removes the bytes."""
    for synthesis, days in ((dev, 90), (prod, 30)):
        media = lifecycle_rules(synthesis)["expire-media"]
        assert media["Prefix"] == "media/" and media["Status"] == "Enabled"
        assert media["ExpirationInDays"] == days
        assert media["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    uploads = lifecycle_rules(dev)["expire-unsent-media-uploads"]
    assert uploads["Prefix"] == "media-uploads/" and uploads["Status"] == "Enabled"
    assert uploads["ExpirationInDays"] == 1
    assert uploads["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_media_lifecycle_leaves_checkpoints_alone(dev):
    """No rule expires a current checkpoint or shortens a replaced one's 7 days: every rule that
    expires current objects, or noncurrent ones sooner, is scoped to a prefix outside checkpoints/."""
    rules = lifecycle_rules(dev)
    assert len(rules) == 4
    for rule in rules.values():
        shortens = rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays", 7) < 7
        if "ExpirationInDays" in rule or "ExpirationDate" in rule or shortens:
            assert rule["Prefix"] in ("media/", "media-uploads/"), rule["Id"]
            assert "TagFilters" not in rule and "ObjectSizeGreaterThan" not in rule
    # the bucket's own rules as they were: bucket-wide, nothing expired but replaced versions
    checkpoints = rules["expire-replaced-and-deleted-checkpoints"]
    assert "Prefix" not in checkpoints and "ExpirationInDays" not in checkpoints
    assert checkpoints["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}
    assert checkpoints["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rules["remove-expired-delete-markers"]["ExpiredObjectDeleteMarker"] is True


def test_browsers_may_use_presigned_media_urls(dev, prod):
    """CORS: GET/HEAD/PUT from any origin by default (a presigned URL is the authorization), the
    ETag readable (an upload's checksum), preflights cached an hour; prod lists its origins."""
    for synthesis, origins in (
        (dev, ["*"]),
        (prod, ["https://app.example.com", "https://admin.example.com"]),
    ):
        bucket = synthesis.resources[synthesis.logical_id(synthesis.stack.checkpoints.bucket)]
        (rule,) = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
        assert sorted(rule["AllowedMethods"]) == ["GET", "HEAD", "PUT"]
        assert rule["AllowedOrigins"] == origins
        assert rule["ExposedHeaders"] == ["ETag"]
        assert rule["MaxAge"] == 3600


def test_checkpoint_bucket_refuses_plain_http(dev):
    bucket = dev.logical_id(dev.stack.checkpoints.bucket)
    dev.assertions.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": ref(bucket),
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )


def test_checkpoint_key_rotates_and_is_kept(dev):
    key = dev.one("AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    dev.assertions.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/wagate-dev-checkpoints"})


def test_access_log_bucket_is_private_and_expires_logs(dev):
    logs = dev.resources[dev.logical_id(dev.stack.checkpoints.access_logs)]["Properties"]
    assert logs["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert logs["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90


# ------------------------------------------------------------------ secrets


def test_stack_made_secret_has_every_key_and_no_value(dev):
    secret = dev.one("AWS::SecretsManager::Secret")["Properties"]
    assert "SecretString" not in secret
    generated = secret["GenerateSecretString"]
    template_keys = set(json.loads(generated["SecretStringTemplate"]))
    assert template_keys | {generated["GenerateStringKey"]} == set(SECRET_KEYS)
    assert all(value == "" for value in json.loads(generated["SecretStringTemplate"]).values())


def test_code_gets_the_secret_by_reference_only(dev):
    secret = ref(dev.logical_id(dev.stack.secret.secret))
    assert api_function(dev)["Properties"]["Environment"]["Variables"]["WAGATE_SECRET_ARN"] == secret
    assert container_env(dev)["WAGATE_SECRET_ARN"] == secret


def test_an_existing_secret_is_imported_by_name(prod):
    assert prod.of_type("AWS::SecretsManager::Secret") == {}
    assert api_function(prod)["Properties"]["Environment"]["Variables"]["WAGATE_SECRET_ARN"] == "wagate/prod"
    assert container_env(prod)["WAGATE_SECRET_ARN"] == "wagate/prod"


# ------------------------------------------------------------------ API


def test_api_is_the_chalice_app_staged_as_the_stack(dev):
    function = api_function(dev)
    assert function["Type"] == "AWS::Serverless::Function"
    assert "stage=wagate-dev:app=wagate-api" in function["Properties"]["Tags"]["aws-chalice"]
    assert function["Properties"]["Role"] == arn_of(dev.logical_id(dev.stack.api.role))
    assert function["Properties"]["Tracing"] == "Active"
    assert function["Properties"]["LoggingConfig"] == {
        "LogGroup": ref(dev.logical_id(dev.stack.api.log_group))
    }
    assert "EndpointURL" in dev.template["Outputs"]


def test_api_environment_names_every_resource(dev):
    variables = api_function(dev)["Properties"]["Environment"]["Variables"]
    assert set(variables) == API_ENV
    assert variables["WAGATE_START_QUEUE_URL"] == ref(dev.logical_id(dev.stack.queues.start_queue))
    assert variables["WAGATE_CHECKPOINT_BUCKET"] == ref(dev.logical_id(dev.stack.checkpoints.bucket))
    # media live in the checkpoint bucket; presigned URLs last 15 minutes
    assert variables["WAGATE_MEDIA_BUCKET"] == ref(dev.logical_id(dev.stack.checkpoints.bucket))
    assert variables["WAGATE_MEDIA_URL_TTL_S"] == "900"
    assert variables["WAGATE_RUNNER_QUEUE_PREFIX"] == "wagate-dev-runner-"
    assert variables["WAGATE_STAGE"] == "dev"
    assert variables["CORS_ALLOW_ORIGINS"] == ""  # no browser origin unless configured, never `*`


def test_api_environment_carries_optional_auth_settings(prod):
    variables = api_function(prod)["Properties"]["Environment"]["Variables"]
    assert set(variables) == API_ENV | {"JWT_AUDIENCE"}
    assert variables["JWT_AUDIENCE"] == "authenticated"
    assert variables["CORS_ALLOW_ORIGINS"] == "https://app.example.com,https://admin.example.com"
    assert variables["SUPABASE_URL"] == "https://abcdefghijklmnop.supabase.co"


def test_api_gateway_is_regional_throttled_and_traced(dev):
    api = dev.resources["RestAPI"]["Properties"]
    assert api["EndpointConfiguration"] == "REGIONAL"
    # Routes start with /api; the stage makes the URL https://…/dev/api/health.
    assert api["StageName"] == "dev"
    assert dev.template["Outputs"]["EndpointURL"]["Value"]["Fn::Sub"].endswith("/dev/")
    assert api["TracingEnabled"] is True
    (settings,) = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 50
    assert settings["ThrottlingBurstLimit"] == 100


def test_webhook_dispatcher_runs_every_minute_with_its_dead_letters_and_alarms(dev):
    """The Chalice app's scheduled function (wagate/webhooks.py): every minute, 50 s of dispatching,
    a failed run on an encrypted dead-letter queue (not retried: the next run takes over), alarms on
    that queue, on errors, and on the schedule not running."""
    dispatcher = dev.resources["WebhookDispatcher"]["Properties"]
    assert dispatcher["Handler"] == "app.dispatch_webhooks"
    assert dispatcher["Timeout"] == 75 and dispatcher["ReservedConcurrentExecutions"] == 2
    assert dispatcher["Role"] == arn_of(dev.logical_id(dev.stack.api.role))
    assert set(dispatcher["Environment"]["Variables"]) == API_ENV
    assert dispatcher["LoggingConfig"] == {"LogGroup": ref(dev.logical_id(dev.stack.api.log_group))}
    (event,) = dispatcher["Events"].values()
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"] == "rate(1 minute)"

    queue = dev.stack.api.dispatcher_dead_letters
    queue_props = dev.resources[dev.logical_id(queue)]["Properties"]
    assert queue_props["SqsManagedSseEnabled"] is True and queue_props["MessageRetentionPeriod"] == 14 * 86400
    props = dev.one("AWS::Lambda::EventInvokeConfig")["Properties"]
    assert props["FunctionName"] == ref("WebhookDispatcher") and props["MaximumRetryAttempts"] == 0
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == arn_of(dev.logical_id(queue))
    role_policy = json.dumps(dev.of_type("AWS::IAM::Policy"))
    assert "sqs:SendMessage" in role_policy and dev.logical_id(queue) in role_policy

    alarms = {
        a["Properties"]["AlarmDescription"]: a["Properties"]
        for a in dev.of_type("AWS::CloudWatch::Alarm").values()
    }
    failed = next(a for d, a in alarms.items() if d.startswith("webhook dispatcher runs failed"))
    assert failed["MetricName"] == "ApproximateNumberOfMessagesVisible" and failed["Threshold"] == 1
    errors = next(a for d, a in alarms.items() if d.startswith("webhook dispatcher errors"))
    assert errors["MetricName"] == "Errors" and errors["DatapointsToAlarm"] == 3
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": ref("WebhookDispatcher")}]
    backlog = next(a for d, a in alarms.items() if d.startswith("webhook deliveries due for over 5 minutes"))
    assert backlog["Namespace"] == METRICS_NAMESPACE and backlog["MetricName"] == "WebhookBacklogAgeSeconds"
    assert backlog["Dimensions"] == [{"Name": "Stage", "Value": "dev"}] and backlog["Threshold"] == 300
    assert backlog["Statistic"] == "Maximum" and backlog["EvaluationPeriods"] == 3
    silent = next(a for d, a in alarms.items() if d.startswith("the webhook dispatcher has not run"))
    assert silent["MetricName"] == "Invocations" and silent["TreatMissingData"] == "breaching"


def test_api_logs_are_kept_for_the_stage_retention(dev, prod):
    assert dev.resources[dev.logical_id(dev.stack.api.log_group)]["Properties"]["RetentionInDays"] == 30
    assert prod.resources[prod.logical_id(prod.stack.api.log_group)]["Properties"]["RetentionInDays"] == 90


# ------------------------------------------------------------------ runners


def test_runner_task_gives_time_to_checkpoint_on_sigterm(dev):
    assert container(dev)["StopTimeout"] == 120
    assert int(container_env(dev)["SHUTDOWN_DEADLINE_S"]) < 120


def test_runner_health_check_reads_the_heartbeat_file(dev):
    health = container(dev)["HealthCheck"]
    assert health["Command"][0] == "CMD-SHELL"
    assert "$HEARTBEAT_FILE" in health["Command"][1]
    assert container_env(dev)["HEARTBEAT_FILE"] == HEARTBEAT_FILE
    assert health["StartPeriod"] >= 60
    assert health["Interval"] * health["Retries"] >= 60


def test_runner_environment(dev):
    env = container_env(dev)
    assert set(env) == RUNNER_ENV
    assert env["WAGATE_START_QUEUE_URL"] == ref(dev.logical_id(dev.stack.queues.start_queue))
    assert env["WAGATE_CHECKPOINT_BUCKET"] == ref(dev.logical_id(dev.stack.checkpoints.bucket))
    assert env["CHECKPOINT_KMS_KEY_ID"] == arn_of(dev.logical_id(dev.stack.checkpoints.key))
    assert env["WAGATE_MEDIA_BUCKET"] == ref(dev.logical_id(dev.stack.checkpoints.bucket))
    assert env["WAGATE_MEDIA_URL_TTL_S"] == "900"
    assert env["WAGATE_RUNNER_QUEUE_PREFIX"] == "wagate-dev-runner-"
    assert env["WA_WEB_URL"] == "https://web.whatsapp.com/"
    assert env["RUNNER_CAPACITY"] == "10"
    assert env["WAGATE_STAGE"] == "dev"
    assert env["WAGATE_METRICS_NAMESPACE"] == METRICS_NAMESPACE


def test_runner_is_fargate_with_an_init_process_and_logs(dev):
    task = dev.one("AWS::ECS::TaskDefinition")["Properties"]
    assert task["RequiresCompatibilities"] == ["FARGATE"]
    assert (task["Cpu"], task["Memory"]) == ("1024", "4096")
    assert container(dev)["LinuxParameters"]["InitProcessEnabled"] is True
    logging = container(dev)["LogConfiguration"]
    assert logging["LogDriver"] == "awslogs"
    group = logging["Options"]["awslogs-group"]["Ref"]
    assert dev.resources[group]["Properties"]["RetentionInDays"] == 30


def test_runner_service_runs_in_private_subnets(dev):
    service = dev.one("AWS::ECS::Service")["Properties"]
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    private = {
        dev.logical_id(subnet) for subnet in dev.stack.network.vpc.select_subnets(**_private()).subnets
    }
    assert {subnet["Ref"] for subnet in network["Subnets"]} == private
    for subnet in private:
        assert dev.resources[subnet]["Properties"]["MapPublicIpOnLaunch"] is False
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }
    (group,) = network["SecurityGroups"]
    security_group = dev.resources[group["Fn::GetAtt"][0]]["Properties"]
    assert "SecurityGroupIngress" not in security_group


def _private() -> dict[str, Any]:
    from aws_cdk import aws_ec2 as ec2

    return {"subnet_type": ec2.SubnetType.PRIVATE_WITH_EGRESS}


def test_one_nat_gateway_by_default_two_in_prod(dev, prod):
    assert len(dev.of_type("AWS::EC2::NatGateway")) == 1
    assert len(prod.of_type("AWS::EC2::NatGateway")) == 2


def test_s3_traffic_bypasses_nat_and_rejected_traffic_is_logged(dev):
    dev.assertions.has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"})
    dev.assertions.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "REJECT"})


def test_container_insights_follow_the_stage(dev, prod):
    setting = {"Name": "containerInsights", "Value": "disabled"}
    assert dev.one("AWS::ECS::Cluster")["Properties"]["ClusterSettings"] == [setting]
    assert prod.one("AWS::ECS::Cluster")["Properties"]["ClusterSettings"] == [{**setting, "Value": "enabled"}]


def test_runners_scale_on_sessions_per_runner(dev):
    dev.assertions.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 1, "MaxCapacity": 4}
    )
    dev.assertions.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "CustomizedMetricSpecification": {
                    "Namespace": METRICS_NAMESPACE,
                    "MetricName": SESSIONS_METRIC,
                    "Dimensions": [{"Name": "Stage", "Value": "dev"}],
                    "Statistic": "Average",
                },
                # 70 % of RUNNER_CAPACITY=10
                "TargetValue": 7,
            },
        },
    )


def test_a_start_queue_backlog_adds_runners(dev):
    start = dev.logical_id(dev.stack.queues.start_queue)
    dev.assertions.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [start, "QueueName"]}}],
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
        },
    )
    dev.assertions.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": Match.object_like({"AdjustmentType": "ChangeInCapacity"}),
        },
    )
    # Scaling in is left to target tracking (and task protection): no policy removes tasks on an
    # empty start queue.
    for policy in dev.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").values():
        steps = policy["Properties"].get("StepScalingPolicyConfiguration", {}).get("StepAdjustments", [])
        assert all(step["ScalingAdjustment"] > 0 for step in steps)


def test_prod_runs_more_and_bigger_runners(prod):
    task = prod.one("AWS::ECS::TaskDefinition")["Properties"]
    assert (task["Cpu"], task["Memory"]) == ("2048", "8192")
    assert container_env(prod)["RUNNER_CAPACITY"] == "20"
    prod.assertions.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 20}
    )


def test_stack_outputs_what_the_user_needs(dev):
    outputs = dev.template["Outputs"]
    for name in (
        "EndpointURL",
        "SecretArn",
        "StartQueueUrl",
        "CheckpointBucket",
        "RunnerCluster",
        "RunnerService",
    ):
        assert name in outputs


def test_log_groups_are_kept_on_destroy_only_where_data_is_retained(dev, prod):
    for synthesis, policy in ((dev, "Delete"), (prod, "Retain")):
        groups = synthesis.of_type("AWS::Logs::LogGroup").values()
        assert len(groups) == 3  # API, runners, VPC flow logs
        assert {group["DeletionPolicy"] for group in groups} == {policy}


def test_fleet_alarms_watch_the_runners_metrics_and_the_start_queue(dev):
    """What an operator is woken for (infra/components/monitoring.py): no runner reporting (missing
    data breaches), chatbot calls, messages and sessions failing, Chromium dying, on the runners'
    own metrics (runner/metrics.py) for this stage; sessions waiting to start and dead-lettered."""
    from infra.components.monitoring import CHATBOT_FAILURES, START_WAIT_S
    from runner.metrics import CLOUDWATCH_COUNTERS, HEARTBEAT_METRIC

    alarms = {
        a["Properties"]["AlarmDescription"]: a["Properties"]
        for a in dev.of_type("AWS::CloudWatch::Alarm").values()
    }
    runner_alarms = {a["MetricName"]: a for a in alarms.values() if a.get("Namespace") == METRICS_NAMESPACE}
    for name in (HEARTBEAT_METRIC, "ChatbotFailures", "MessagesFailed", "SessionFailures", "BrowserRestarts"):
        assert name in runner_alarms, name
        assert runner_alarms[name]["Dimensions"] == [{"Name": "Stage", "Value": "dev"}]
    # every alarmed counter is one the runner publishes
    assert set(runner_alarms) - {HEARTBEAT_METRIC, "WebhookBacklogAgeSeconds"} <= set(
        CLOUDWATCH_COUNTERS.values()
    )

    silent = runner_alarms[HEARTBEAT_METRIC]
    assert silent["Statistic"] == "SampleCount" and silent["ComparisonOperator"] == "LessThanThreshold"
    assert silent["TreatMissingData"] == "breaching" and silent["Threshold"] == 1
    bot = runner_alarms["ChatbotFailures"]
    threshold, minutes, periods = CHATBOT_FAILURES
    assert (bot["Statistic"], bot["Threshold"], bot["Period"], bot["EvaluationPeriods"]) == (
        "Sum",
        threshold,
        minutes * 60,
        periods,
    )
    assert bot["TreatMissingData"] == "notBreaching"

    start_queue = dev.logical_id(dev.stack.queues.start_queue)
    waiting = next(a for a in alarms.values() if a["MetricName"] == "ApproximateAgeOfOldestMessage")
    assert waiting["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [start_queue, "QueueName"]}}
    ]
    assert waiting["Threshold"] == START_WAIT_S
    dlq = dev.logical_id(dev.stack.queues.start_dead_letters)
    dead = next(
        a
        for a in alarms.values()
        if a["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and a["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}]
    )
    assert dead["Threshold"] == 1
