"""Least privilege, read off the template: every statement of every role, scoped.

Wildcard resources are allowed only for actions AWS offers no resource-level permissions for.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.components.runners import METRICS_NAMESPACE

# Actions that only work with "Resource": "*".
RESOURCE_STAR_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "cloudwatch:PutMetricData",
}
# The CDK's own custom resource that strips the VPC's default security group of its rules.
CDK_DEFAULT_SG_PROVIDER = "CustomVpcRestrictDefaultSGCustomResourceProviderRole"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(synthesis: Any) -> list[tuple[str, dict[str, Any]]]:
    """(owner logical id, statement) for every identity policy in the template."""
    found = []
    for name, resource in synthesis.of_type("AWS::IAM::Policy").items():
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            found.append((name, statement))
    for name, resource in synthesis.of_type("AWS::IAM::Role").items():
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                found.append((name, statement))
    return found


def statements_of(synthesis: Any, role: Any) -> list[dict[str, Any]]:
    role_id = synthesis.logical_id(role)
    found = []
    for resource in synthesis.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in resource["Properties"]["Roles"]:
            found.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return found


def on_bucket(synthesis: Any, resources: list[Any]) -> set[str]:
    """The checkpoint bucket's ARNs among `resources`, written `bucket` and `bucket/<key pattern>`;
    anything else as its JSON."""
    bucket = {"Fn::GetAtt": [synthesis.logical_id(synthesis.stack.checkpoints.bucket), "Arn"]}
    rendered = set()
    for resource in resources:
        if resource == bucket:
            rendered.add("bucket")
        elif isinstance(resource, dict) and resource.get("Fn::Join", [None, []])[1][:1] == [bucket]:
            (suffix,) = resource["Fn::Join"][1][1:]
            rendered.add(f"bucket{suffix}")
        else:
            rendered.add(json.dumps(resource, sort_keys=True))
    return rendered


def listed_prefixes(statements: list[dict[str, Any]], action: str) -> set[str]:
    """The s3:prefix patterns `action` is allowed with; every such statement must carry one."""
    prefixes: set[str] = set()
    for statement in statements:
        if action in as_list(statement["Action"]):
            assert set(statement["Condition"]) == {"StringLike"}, statement
            prefixes.update(statement["Condition"]["StringLike"]["s3:prefix"])
    return prefixes


def grants(statements: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """action -> resources it is allowed on."""
    table: dict[str, list[Any]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            table.setdefault(action, []).extend(as_list(statement["Resource"]))
    return table


@pytest.fixture(params=["dev", "prod"])
def synthesis(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def test_no_action_wildcards(synthesis):
    for owner, statement in statements(synthesis):
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{owner}: {action}"


def test_resource_star_only_where_aws_requires_it(synthesis):
    for owner, statement in statements(synthesis):
        if "*" not in as_list(statement["Resource"]):
            continue
        actions = set(as_list(statement["Action"]))
        assert actions <= RESOURCE_STAR_ACTIONS, f"{owner}: {sorted(actions)} on *"
        if "cloudwatch:PutMetricData" in actions:
            assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}}


def test_no_managed_policies_but_the_cdk_default_sg_provider(synthesis):
    for name, role in synthesis.of_type("AWS::IAM::Role").items():
        if name.startswith(CDK_DEFAULT_SG_PROVIDER):
            # Its inline policy may only touch the VPC's default security group.
            (policy,) = role["Properties"]["Policies"]
            (statement,) = policy["PolicyDocument"]["Statement"]
            assert "DefaultSecurityGroup" in str(statement["Resource"])
            continue
        assert "ManagedPolicyArns" not in role["Properties"], name


def test_api_role_can_send_read_its_secret_erase_checkpoints_and_handle_media_only(dev):
    api = dev.stack.api
    table = grants(statements_of(dev, api.role))
    start = {"Fn::GetAtt": [dev.logical_id(dev.stack.queues.start_queue), "Arn"]}
    bucket = {"Fn::GetAtt": [dev.logical_id(dev.stack.checkpoints.bucket), "Arn"]}
    secret = {"Ref": dev.logical_id(dev.stack.secret.secret)}
    assert set(table) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "s3:ListBucketVersions",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    assert table["logs:PutLogEvents"] == [{"Fn::GetAtt": [dev.logical_id(api.log_group), "Arn"]}]
    sends = table["sqs:SendMessage"]
    # the start queue, the runners' queues, and the webhook dispatcher's failed runs onto its
    # dead-letter queue (Lambda's on-failure destination)
    dead_letters = {"Fn::GetAtt": [dev.logical_id(api.dispatcher_dead_letters), "Arn"]}
    assert len(sends) == 3 and start in sends and dead_letters in sends
    assert any(str(target).endswith(":wagate-dev-runner-*']]}") for target in sends)
    # its health check reads the start queue; the operator's fleet view the dead-letter queues'
    # and the runners' queues' depths (a runner's dead-letter queue found by name)
    start_dlq = {"Fn::GetAtt": [dev.logical_id(dev.stack.queues.start_dead_letters), "Arn"]}
    (monitored, runners_prefix) = table["sqs:GetQueueAttributes"][1:]
    assert table["sqs:GetQueueAttributes"][0] == start and monitored == start_dlq
    assert str(runners_prefix).endswith(":wagate-dev-runner-*']]}")
    assert table["sqs:GetQueueUrl"] == [start_dlq, runners_prefix]
    assert table["s3:ListBucketVersions"] == [bucket, bucket]  # checkpoints; media (by prefix, below)
    assert table["secretsmanager:GetSecretValue"] == [secret]
    # No reads or writes of checkpoints: the API never sees auth state. Media only: presigned PUTs
    # of uploads, sniffing and presigned GETs, the copy into media/ at send time, erasure.
    media = {"bucket/media/*", "bucket/media-uploads/*"}
    for action in ("s3:GetObject", "s3:PutObject"):
        assert on_bucket(dev, table[action]) == media, action
    assert on_bucket(dev, table["s3:DeleteObject"]) == media | {"bucket/checkpoints/*"}
    assert on_bucket(dev, table["s3:DeleteObjectVersion"]) == media | {"bucket/checkpoints/*"}


def test_api_uses_the_bucket_key_only_through_s3(dev):
    """The runners' envelope-encrypted checkpoint keys are under the same KMS key: the API may only
    have S3 use it (SSE-KMS of media objects), never call Decrypt itself."""
    key = {"Fn::GetAtt": [dev.logical_id(dev.stack.checkpoints.key), "Arn"]}
    (statement,) = [
        s
        for s in statements_of(dev, dev.stack.api.role)
        if any(a.startswith("kms:") for a in as_list(s["Action"]))
    ]
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Resource"] == key
    assert statement["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        }
    }


def test_listing_is_limited_to_checkpoint_and_media_prefixes(dev):
    api = statements_of(dev, dev.stack.api.role)
    runner = statements_of(dev, dev.stack.runners.task_role)
    # The API erases checkpoint versions; both delete media by a session's or a user's prefix.
    assert listed_prefixes(api, "s3:ListBucketVersions") == {"checkpoints/*", "media/*", "media-uploads/*"}
    assert listed_prefixes(api, "s3:ListBucket") == {"media/*", "media-uploads/*"}
    assert listed_prefixes(runner, "s3:ListBucket") == {"checkpoints/*", "media/*", "media-uploads/*"}
    # every version of a deleted session's or user's files goes at once
    assert listed_prefixes(runner, "s3:ListBucketVersions") == {"media/*", "media-uploads/*"}


def test_runner_media_grants_are_scoped_to_the_media_prefixes(dev):
    table = grants(statements_of(dev, dev.stack.runners.task_role))
    # inbound media stored under media/; an outbound upload only read (and deleted), never written
    assert on_bucket(dev, table["s3:GetObject"]) == {
        "bucket/checkpoints/*",
        "bucket/media/*",
        "bucket/media-uploads/*",
    }
    assert on_bucket(dev, table["s3:PutObject"]) == {"bucket/checkpoints/*", "bucket/media/*"}
    assert on_bucket(dev, table["s3:DeleteObject"]) == {
        "bucket/checkpoints/*",
        "bucket/media/*",
        "bucket/media-uploads/*",
    }
    assert on_bucket(dev, table["s3:DeleteObjectVersion"]) == {"bucket/media/*", "bucket/media-uploads/*"}


def test_no_role_gets_the_whole_bucket(synthesis):
    for owner, statement in statements(synthesis):
        resources = on_bucket(synthesis, as_list(statement["Resource"]))
        assert "bucket/*" not in resources, owner
        if "bucket" in resources:  # the bucket itself: listing only, by prefix
            assert set(as_list(statement["Action"])) <= {"s3:ListBucket", "s3:ListBucketVersions"}, owner
            assert "s3:prefix" in statement["Condition"]["StringLike"], owner


def test_runner_task_role_is_scoped_to_its_queues_bucket_key_secret_and_task(dev):
    runners = dev.stack.runners
    table = grants(statements_of(dev, runners.task_role))
    start = {"Fn::GetAtt": [dev.logical_id(dev.stack.queues.start_queue), "Arn"]}
    key = {"Fn::GetAtt": [dev.logical_id(dev.stack.checkpoints.key), "Arn"]}
    assert set(table) == {
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:SendMessage",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "cloudwatch:PutMetricData",
        "ecs:UpdateTaskProtection",
        "ecs:GetTaskProtection",
    }
    # Creating and deleting queues: only under the stage's runner prefix, never the start queue.
    for action in ("sqs:CreateQueue", "sqs:DeleteQueue"):
        (resource,) = table[action]
        assert str(resource).endswith(":wagate-dev-runner-*']]}")
    assert start in table["sqs:ReceiveMessage"]
    assert table["kms:GenerateDataKey"] == [key]
    # Scale-in protection through the ECS agent (it calls the API with the task role).
    (task_arns,) = table["ecs:UpdateTaskProtection"]
    parts = task_arns["Fn::Join"][1]
    assert ":task/" in parts and {"Ref": dev.logical_id(runners.cluster)} in parts and parts[-1] == "/*"


def test_imported_secret_is_granted_by_its_name(prod):
    table = grants(statements_of(prod, prod.stack.runners.task_role))
    (resource,) = table["secretsmanager:GetSecretValue"]
    assert "secret:wagate/prod-??????" in str(resource)


def test_execution_role_pulls_the_image_and_writes_logs_only(dev):
    table = grants(statements_of(dev, dev.stack.runners.task_definition.obtain_execution_role()))
    assert set(table) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetAuthorizationToken",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
