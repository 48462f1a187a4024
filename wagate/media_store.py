"""Where media bytes live: S3, beside the checkpoints (DESIGN.md 9d).

- `media/{user_id}/{session uuid}/{message row id}`: the file of every stored message, inbound
  (downloaded by the runner through WhatsApp Web) and outbound (copied there when it is sent), so the
  history shows what the customer sent and got. Kept WAGATE_MEDIA_RETENTION_DAYS (the bucket's
  lifecycle, 90 days by default).
- `media-uploads/{user_id}/{media_id}`: what a tenant uploads with a presigned PUT before sending
  it (POST /api/media); unsent ones expire after a day.

The user id leads every key, so erasing a user is two prefixes, a session's media one. Readers
(chatbots, the dashboard, API users) only ever get presigned GET URLs that live
WAGATE_MEDIA_URL_TTL_S (15 minutes by default). Blocking boto3: the runner calls it in a thread.
"""

from __future__ import annotations

import hashlib
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from wagate.errors import QueueError
from wagate.media import SNIFF_BYTES
from wagate.objects import ObjectStore
from wagate.queues import BOTO_CONFIG

MEDIA_ROOT = "media/"
UPLOAD_ROOT = "media-uploads/"
DEFAULT_URL_TTL_S = 900
# Presigned URLs signed with SigV4 (X-Amz-Expires: a lifetime, not a date; what S3 wants of KMS objects)
SIGV4 = BOTO_CONFIG.merge(Config(signature_version="s3v4"))


class MediaStorageError(QueueError):
    """S3 did not do what was asked (503 `storage_unavailable` at the API)."""


def _part(value: str, what: str) -> str:
    text = str(value or "")
    if not text or "/" in text or text in (".", ".."):
        raise ValueError(f"not a {what}: {value!r}")
    return text


def message_key(user_id: str, session_id: str, message_row_id: str) -> str:
    return session_prefix(user_id, session_id) + _part(message_row_id, "message id")


def session_prefix(user_id: str, session_id: str) -> str:
    return f"{MEDIA_ROOT}{_part(user_id, 'user id')}/{_part(session_id, 'session id')}/"


def upload_key(user_id: str, media_id: str) -> str:
    return f"{UPLOAD_ROOT}{_part(user_id, 'user id')}/{_part(media_id, 'media id')}"


def user_prefixes(user_id: str) -> tuple[str, str]:
    user = _part(user_id, "user id")
    return f"{MEDIA_ROOT}{user}/", f"{UPLOAD_ROOT}{user}/"


class MediaStore:
    def __init__(
        self,
        bucket: str,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        url_ttl_s: int = DEFAULT_URL_TTL_S,
    ) -> None:
        self.bucket = bucket
        self.url_ttl_s = url_ttl_s
        self._s3 = client or boto3.client("s3", endpoint_url=endpoint_url, config=SIGV4)
        self._objects = ObjectStore(bucket, client=self._s3)

    @classmethod
    def from_settings(cls, settings: Any) -> MediaStore:
        return cls(
            settings.media_bucket,
            endpoint_url=settings.aws_endpoint_url,
            url_ttl_s=settings.media_url_ttl_s,
        )

    def _fail(self, what: str, exc: Exception) -> MediaStorageError:
        return MediaStorageError(f"cannot {what} in s3://{self.bucket}: {exc}", code="storage_unavailable")

    def put(self, key: str, data: bytes, mime: str) -> str:
        """Store `data` (SSE as the bucket says); its sha256 (hex)."""
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=mime)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("store media", exc) from exc
        return hashlib.sha256(data).hexdigest()

    def get(self, key: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("read media", exc) from exc

    def head(self, key: str) -> int | None:
        """The object's size; None when there is none."""
        try:
            return int(self._s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._fail("look up media", exc) from exc
        except BotoCoreError as exc:
            raise self._fail("look up media", exc) from exc

    def head_bytes(self, key: str, length: int = SNIFF_BYTES) -> bytes:
        """The first `length` bytes (to know the file's type without reading it all)."""
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{length - 1}")
            return response["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("read media", exc) from exc

    def tail_bytes(self, key: str, length: int) -> bytes:
        """The last `length` bytes (where a video may keep its index)."""
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=-{length}")
            return response["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("read media", exc) from exc

    def copy(self, source_key: str, key: str, mime: str) -> None:
        try:
            self._s3.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": source_key},
                ContentType=mime,
                MetadataDirective="REPLACE",
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("copy media", exc) from exc

    def sha256_of(self, key: str) -> str:
        """The sha256 of a stored object, read in chunks (an upload may be 100 MB)."""
        digest = hashlib.sha256()
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            for chunk in iter(lambda: body.read(1 << 20), b""):
                digest.update(chunk)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("read media", exc) from exc
        return digest.hexdigest()

    def download_url(self, key: str, *, filename: str | None = None, mime: str | None = None) -> str:
        """A presigned GET that lives `url_ttl_s`."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if mime:
            params["ResponseContentType"] = mime
        if filename:
            safe = filename.replace('"', "").replace("\\", "")
            params["ResponseContentDisposition"] = f'inline; filename="{safe}"'
        try:
            return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=self.url_ttl_s)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("sign a media URL", exc) from exc

    def upload_url(self, key: str) -> str:
        """A presigned PUT that lives `url_ttl_s`: the file goes straight to S3, past the API."""
        try:
            return self._s3.generate_presigned_url(
                "put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.url_ttl_s
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("sign an upload URL", exc) from exc

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("delete media", exc) from exc

    def delete_prefix(self, prefix: str) -> int:
        """Every version of every object under `prefix` (a session's or a user's media)."""
        return self._objects.delete_prefix(prefix)
