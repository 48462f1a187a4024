"""cdk-nag (AwsSolutions pack) acknowledgments: helpers, so each component acknowledges the findings
it causes, next to their cause and with a reason a reviewer can check.

cdk-nag 3 runs as a CDK validation plugin (added in `infra/app.py`): an unacknowledged finding stops
synthesis, so `make synth` and the tests fail on any new one. IAM5 findings are acknowledged one by
one, by their full id, e.g. `AwsSolutions-IAM5[Resource::*]`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` on `scope` (and what it contains)."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def wildcard_resource(resource: str) -> str:
    """The id of the IAM5 finding for `resource`, written as cdk-nag renders it."""
    return f"AwsSolutions-IAM5[Resource::{resource}]"


def rendered_arn(service: str, resource: str) -> str:
    """An ARN built with `Stack.format_arn`, as cdk-nag renders it in a finding id."""
    return f"arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"


def logical_id(construct: IConstruct) -> str:
    """The template's logical id of an L2 construct's resource; finding ids render a Ref to it as
    `<LogicalId>` and a GetAtt as `<LogicalId.Attribute>`."""
    element = construct.node.default_child
    assert isinstance(element, CfnElement)
    return Stack.of(element).resolve(Stack.of(element).get_logical_id(element))
