"""The templates pass cfn-lint and cdk-nag's AwsSolutions pack, and hold no secret value."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match
from cfnlint.api import ManualArgs, lint_file

# Every cdk-nag finding the app acknowledges. A new one must be reviewed here (and carry a reason).
ACKNOWLEDGED_DEV = {
    ("Secret/Secret", "AwsSolutions-SMG4"),
    ("Checkpoints/AccessLogs", "AwsSolutions-S1"),
    ("Api/DispatcherDeadLetters", "AwsSolutions-SQS3"),
    ("Api/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("Api/Role", "AwsSolutions-IAM5[Resource::<CheckpointsBucket6BA0C50D.Arn>/checkpoints/*]"),
    ("Api/Role", "AwsSolutions-IAM5[Resource::<CheckpointsBucket6BA0C50D.Arn>/media/*]"),
    ("Api/Role", "AwsSolutions-IAM5[Resource::<CheckpointsBucket6BA0C50D.Arn>/media-uploads/*]"),
    (
        "Api/Role",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:wagate-dev-runner-*]",
    ),
    ("Runners/TaskRole", "AwsSolutions-IAM5[Resource::*]"),
    ("Runners/TaskRole", "AwsSolutions-IAM5[Resource::<CheckpointsBucket6BA0C50D.Arn>/checkpoints/*]"),
    ("Runners/TaskRole", "AwsSolutions-IAM5[Resource::<CheckpointsBucket6BA0C50D.Arn>/media/*]"),
    ("Runners/TaskRole", "AwsSolutions-IAM5[Resource::<CheckpointsBucket6BA0C50D.Arn>/media-uploads/*]"),
    (
        "Runners/TaskRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:wagate-dev-runner-*]",
    ),
    (
        "Runners/TaskRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:"
        "task/<RunnersClusterAEDEEE6D>/*]",
    ),
    ("Runners/Task/ExecutionRole", "AwsSolutions-IAM5[Resource::*]"),
    ("Runners/Task", "AwsSolutions-ECS2"),
    ("Runners/Cluster", "AwsSolutions-ECS4"),
}
ANNOTATION_PREFIX = "Annotation::"


@pytest.fixture(params=["dev", "prod"])
def synthesis(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def acknowledgments(synthesis: Any) -> dict[tuple[str, str], str]:
    """(construct path below the stack, rule) -> reason, for the app's cdk-nag acknowledgments."""
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    prefix = f"{synthesis.stack.node.path}/"
    found = {}
    for construct in synthesis.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != key:
                continue
            for rule, reason in entry.data.items():
                if rule.startswith(f"{ANNOTATION_PREFIX}AwsSolutions-"):
                    found[
                        (construct.node.path.removeprefix(prefix), rule.removeprefix(ANNOTATION_PREFIX))
                    ] = reason
    return found


def test_cfn_lint_finds_no_errors(synthesis):
    matches = lint_file(
        Path(synthesis.outdir / synthesis.stack.template_file), config=ManualArgs(regions=["us-east-1"])
    )
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    assert errors == []
    # The only warning is about the CDK's own custom resource provider (a redundant DependsOn).
    warnings = {
        (m.rule.id, m.path[1] if len(m.path) > 1 else "") for m in matches if not m.rule.id.startswith("E")
    }
    assert all(rule == "W3005" and name.startswith("CustomVpcRestrictDefaultSG") for rule, name in warnings)


def test_cdk_nag_reports_nothing_unacknowledged(synthesis):
    # cdk-nag 3 is a validation plugin: synthesis itself fails on an unacknowledged finding.
    report = json.loads((synthesis.outdir / "validation-report.json").read_text())
    assert all(plugin["conclusion"] == "success" for plugin in report["pluginReports"])
    annotations = Annotations.from_stack(synthesis.stack)
    assert annotations.find_error("*", Match.any_value()) == []
    assert annotations.find_warning("*", Match.any_value()) == []


def test_cdk_nag_acknowledgments_are_the_reviewed_ones_with_reasons(dev, prod):
    found = acknowledgments(dev)
    assert set(found) == ACKNOWLEDGED_DEV
    for (path, rule), reason in found.items():
        assert len(reason) >= 60, f"{path} {rule}: give a reason a reviewer can check"
    prod_rules = {rule.replace("wagate-dev-", "wagate-prod-") for _, rule in ACKNOWLEDGED_DEV}
    # prod keeps Container Insights on and imports its secret: nothing to acknowledge for either.
    prod_rules -= {"AwsSolutions-ECS4", "AwsSolutions-SMG4"}
    assert {rule for _, rule in acknowledgments(prod)} == prod_rules


def test_no_secret_value_reaches_the_cloud_assembly(synthesis, sentinel_secrets):
    """The secrets were in the environment during synthesis; none is in a template or an asset."""
    for path in synthesis.outdir.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                contents = [archive.read(name) for name in archive.namelist()]
        else:
            contents = [path.read_bytes()]
        for content in contents:
            for value in sentinel_secrets.values():
                assert value.encode() not in content, f"{value} leaked into {path}"


def test_no_environment_variable_holds_a_secret(synthesis, sentinel_secrets):
    function = synthesis.resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    (container,) = synthesis.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    assert "Secrets" not in container
    runner = {item["Name"]: item["Value"] for item in container["Environment"]}
    for env in (function, runner):
        for name in env:
            assert name not in sentinel_secrets
            assert not any(word in name for word in ("PASSWORD", "TOKEN", "SERVICE_ROLE", "JWT_SECRET"))
        for value in env.values():
            # Supabase keys are JWTs: "eyJ…".
            assert "eyJ" not in json.dumps(value)
