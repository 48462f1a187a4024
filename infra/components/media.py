"""Media bytes (DESIGN.md §9d), kept in the checkpoint bucket under two prefixes of their own:

- `media/{user_id}/{session_uuid}/{message_row_id}`: every stored message's bytes (inbound,
  downloaded by a runner; outbound, copied there by the API at send time), expired after
  `media_retention_days`;
- `media-uploads/{user_id}/{media_id}`: what a tenant PUTs with a presigned URL before sending it,
  expired after a day when it was never sent.

Replaced and deleted versions under both go after a day, so erasing a user's media (a delete marker
per object) really removes the bytes soon. The bucket's own rules (replaced checkpoints after
`checkpoint_noncurrent_days`, incomplete uploads, expired delete markers) are bucket-wide and stay as
they are; where two expirations overlap S3 honours the shorter, so the 1-day media rules win under
their prefixes, and none of these rules reaches `checkpoints/`.

Objects are SSE-KMS with the checkpoint key (bucket default); browsers reach them only through
presigned URLs, which the bucket's CORS rule lets them use.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.components.checkpoints import CheckpointStore
from infra.nag import acknowledge, logical_id, wildcard_resource

MEDIA_PREFIX = "media/"
UPLOAD_PREFIX = "media-uploads/"
# A deletion removes every version at once (a deleted user's files do not linger as old versions).
ERASE = ("s3:DeleteObject", "s3:DeleteObjectVersion")
UPLOAD_DAYS = 1  # an upload not sent within a day is dropped
NONCURRENT_DAYS = 1  # a deleted or replaced media object is gone for good a day later
URL_TTL_S = 900  # lifetime of the presigned GET/PUT URLs the API hands out
CORS_MAX_AGE_S = 3600


class MediaStore(Construct):
    """Lifecycle, CORS and prefix-scoped grants for media objects in the checkpoint bucket."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        checkpoints: CheckpointStore,
        retention_days: int,
        cors_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, id)
        self.bucket = checkpoints.bucket
        self.key = checkpoints.key
        self.url_ttl_s = URL_TTL_S
        self.bucket.add_lifecycle_rule(
            id="expire-media",
            prefix=MEDIA_PREFIX,
            expiration=Duration.days(retention_days),
            noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
        )
        self.bucket.add_lifecycle_rule(
            id="expire-unsent-media-uploads",
            prefix=UPLOAD_PREFIX,
            expiration=Duration.days(UPLOAD_DAYS),
            noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
        )
        # Any origin by default: a presigned URL is itself the authorization (signed, per object,
        # short-lived), so CORS only lets browsers use it; the bucket stays private either way.
        self.bucket.add_cors_rule(
            allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.HEAD, s3.HttpMethods.PUT],
            allowed_origins=list(cors_origins),
            # what a browser's PUT may carry (Content-Type, checksums); the signature decides the rest
            allowed_headers=["*"],
            exposed_headers=["ETag"],
            max_age=CORS_MAX_AGE_S,
        )

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket_name

    def _objects(self, prefix: str) -> str:
        return self.bucket.arn_for_objects(f"{prefix}*")

    def _allow(self, grantee: iam.IGrantable, actions: list[str], prefixes: Sequence[str]) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=actions, resources=[self._objects(p) for p in prefixes])
        )

    def _grant_listing(self, grantee: iam.IGrantable) -> None:
        """Listing under the media prefixes only: deleting a session's or a user's media, every
        version of it (wagate.objects.ObjectStore.delete_prefix), at once."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket", "s3:ListBucketVersions"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{MEDIA_PREFIX}*", f"{UPLOAD_PREFIX}*"]}},
            )
        )

    def _acknowledge(self, grantee: iam.IGrantable) -> None:
        if not isinstance(grantee, Construct):
            return
        for prefix in (MEDIA_PREFIX, UPLOAD_PREFIX):
            acknowledge(
                grantee,
                wildcard_resource(f"<{logical_id(self.bucket)}.Arn>/{prefix}*"),
                "Media objects are keyed by user, session and message or upload ids, known only at "
                f"runtime; access is limited to the {prefix} prefix of the stage's own bucket.",
            )

    def grant_runner(self, grantee: iam.IGrantable) -> None:
        """A runner: stores inbound media and reads what it sends (its own copy or the tenant's
        upload), deletes both by prefix. The key comes with its checkpoint grant."""
        self._allow(grantee, ["s3:GetObject", "s3:PutObject", *ERASE], [MEDIA_PREFIX])
        self._allow(grantee, ["s3:GetObject", *ERASE], [UPLOAD_PREFIX])
        self._grant_listing(grantee)
        self._acknowledge(grantee)

    def grant_api(self, grantee: iam.IGrantable) -> None:
        """The API: signs presigned PUTs (uploads) and GETs, sniffs an upload's first bytes, copies
        an upload (or bytes fetched from a URL) into `media/` at send time, deletes by prefix."""
        self._allow(
            grantee,
            ["s3:GetObject", "s3:PutObject", *ERASE],
            [MEDIA_PREFIX, UPLOAD_PREFIX],
        )
        self._grant_listing(grantee)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                # SSE-KMS: GenerateDataKey to write an object, Decrypt to read one. Only through S3,
                # so the API cannot open the runners' envelope-encrypted checkpoint keys directly
                # (and S3 gives it no checkpoint object to read).
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}},
            )
        )
        self._acknowledge(grantee)
