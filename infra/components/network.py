"""The runners' network: a VPC over two AZs, tasks in private subnets, egress through NAT.

The cheap default is one NAT gateway (`nat_gateways=1`, about 35 USD a month plus data); with 2 each
AZ keeps its own egress. S3 traffic (checkpoints) bypasses NAT through a free gateway endpoint.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct


class Network(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        nat_gateways: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(
                    name="runners", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                ),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)
            },
        )
        flow_log_group = logs.LogGroup(
            self, "FlowLogs", retention=log_retention, removal_policy=removal_policy
        )
        # Rejected traffic only: what an investigation needs, at a fraction of the cost of ALL.
        self.vpc.add_flow_log(
            "RejectedTraffic",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
        self.runner_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
