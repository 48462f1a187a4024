"""Where the runners keep encrypted auth checkpoints: `s3://{bucket}/checkpoints/{session uuid}/…`.

Private, TLS-only, KMS-encrypted and versioned, so an overwritten or deleted checkpoint can be
recovered for `checkpoint_noncurrent_days` and then expires. The KMS key also serves the runners'
own envelope encryption (CHECKPOINT_KMS_KEY_ID). Server access logs go to a second bucket.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge, logical_id, wildcard_resource

CHECKPOINT_PREFIX = "checkpoints/"
ACCESS_LOG_DAYS = 90


class CheckpointStore(Construct):
    def __init__(self, scope: Construct, id: str, *, stage: str, noncurrent_days: int) -> None:
        super().__init__(scope, id)
        # Both are kept when the stack is destroyed: they hold users' WhatsApp logins, and deleting
        # the key would make every checkpoint unreadable. infra/README.md says how to remove them.
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/wagate-{stage}-checkpoints",
            description=f"wagate {stage}: encrypts auth checkpoints (S3 and the runners' envelope keys)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            # Server access log delivery supports SSE-S3 only on the target bucket.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(ACCESS_LOG_DAYS))
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            (
                "This is the server access log bucket of the checkpoint bucket; logging it into "
                "itself or a third bucket adds cost and no audit value."
            ),
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="checkpoint-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-replaced-and-deleted-checkpoints",
                    noncurrent_version_expiration=Duration.days(noncurrent_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

    @property
    def objects_arn(self) -> str:
        return self.bucket.arn_for_objects(f"{CHECKPOINT_PREFIX}*")

    def _acknowledge_objects(self, grantee: iam.IGrantable) -> None:
        if isinstance(grantee, Construct):
            acknowledge(
                grantee,
                wildcard_resource(f"<{logical_id(self.bucket)}.Arn>/{CHECKPOINT_PREFIX}*"),
                "Checkpoint objects are keyed by session uuid, known only at runtime; access is limited "
                f"to the {CHECKPOINT_PREFIX} prefix of the stage's own bucket.",
            )

    def _grant_listing(self, grantee: iam.IGrantable, action: str) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[action],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{CHECKPOINT_PREFIX}*"]}},
            )
        )

    def grant_read_write(self, grantee: iam.IGrantable) -> None:
        """A runner: read, write and delete checkpoints, with the key for SSE-KMS and its own
        envelope encryption."""
        self._grant_listing(grantee, "s3:ListBucket")
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[self.objects_arn],
            )
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                resources=[self.key.key_arn],
            )
        )
        self._acknowledge_objects(grantee)

    def grant_erase(self, grantee: iam.IGrantable) -> None:
        """The API, erasing a deleted session's auth state: every version and delete marker under
        its prefix (`wagate.objects.ObjectStore.delete_prefix`); no reads, no key."""
        self._grant_listing(grantee, "s3:ListBucketVersions")
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:DeleteObject", "s3:DeleteObjectVersion"], resources=[self.objects_arn]
            )
        )
        self._acknowledge_objects(grantee)
