"""Auth checkpoints: a session's WhatsApp Web login, sealed with AES-GCM and kept in S3, so any
runner can bring the session back without a new QR.

Object layout: `checkpoints/{session uuid}/epoch-{epoch:012d}.ckpt`. A runner only ever writes
under its own epoch (the lease's fencing token), and a restore reads the newest epoch that opens,
so a runner that lost its lease can never overwrite a newer owner's checkpoint.

An object is `MAGIC | header length (4 bytes) | header (JSON) | AES-GCM ciphertext`. The header
names the algorithm, the session, the epoch, the strategy and how the data key is protected: the
static key's fingerprint (`CHECKPOINT_KEY`), or a KMS-encrypted data key (`CHECKPOINT_KMS_KEY_ID`,
envelope encryption with the session id as encryption context). The whole header is the AEAD's
associated data: a checkpoint moved to another session, or edited, does not open. The key itself
never sits beside the checkpoint.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import gzip
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import struct
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wagate.errors import ConfigError, WagateError
from wagate.objects import ObjectStore, checkpoint_prefix
from wagate.queues import BOTO_CONFIG

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

    from runner.browser import BrowserOwner

MAGIC = b"WAGATE-CKPT\x01"
ALGORITHM = "AES-256-GCM"
STRATEGIES = ("context", "profile")
_EPOCH_KEY = re.compile(r"epoch-(\d{12})\.ckpt$")


class CheckpointConfigError(ConfigError):
    """The runner cannot seal checkpoints with what it was given."""


class CheckpointUnreadable(Exception):
    """A checkpoint exists but cannot be used (corrupted, another key, another session)."""


class CheckpointStorageError(Exception):
    """S3 (or KMS) could not be reached."""


# ---------------------------------------------------------------------------------------- sealing
class Sealer:
    """AES-256-GCM with a fresh data key per checkpoint, itself protected by the static key or KMS."""

    def __init__(self, *, static_key: bytes | None = None, kms_key_id: str | None = None, kms=None) -> None:
        if static_key is None and not kms_key_id:
            raise CheckpointConfigError(
                "set CHECKPOINT_KEY (32 bytes, base64) or CHECKPOINT_KMS_KEY_ID to encrypt checkpoints"
            )
        if static_key is not None and len(static_key) != 32:
            raise CheckpointConfigError("CHECKPOINT_KEY must be 32 bytes (base64 of 32 random bytes)")
        self._static = static_key
        self._kms_key_id = kms_key_id
        self._kms = kms
        self.fingerprint = (
            hmac.new(static_key, b"wagate checkpoint key id", hashlib.sha256).hexdigest()[:16]
            if static_key
            else None
        )

    @classmethod
    def from_env(cls, env: dict[str, str] | Any, *, endpoint_url: str | None = None) -> Sealer:
        kms_key_id = (env.get("CHECKPOINT_KMS_KEY_ID") or "").strip()
        if kms_key_id:
            return cls(
                kms_key_id=kms_key_id, kms=boto3.client("kms", endpoint_url=endpoint_url, config=BOTO_CONFIG)
            )
        raw = (env.get("CHECKPOINT_KEY") or "").strip()
        if not raw:
            return cls()  # raises with the message saying what to set
        try:
            key = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointConfigError("CHECKPOINT_KEY must be base64 (of 32 random bytes)") from None
        return cls(static_key=key)

    def seal(self, plaintext: bytes, *, session_id: str, epoch: int, strategy: str) -> bytes:
        data_key = AESGCM.generate_key(bit_length=256)
        header: dict[str, Any] = {
            "v": 1,
            "alg": ALGORITHM,
            "session": session_id,
            "epoch": epoch,
            "strategy": strategy,
            "created": datetime.now(UTC).isoformat(),
            "nonce": base64.b64encode(os.urandom(12)).decode(),
        }
        if self._kms_key_id:
            generated = self._kms.generate_data_key(
                KeyId=self._kms_key_id, KeySpec="AES_256", EncryptionContext={"wagate-session": session_id}
            )
            data_key = generated["Plaintext"]
            header["kek"] = {
                "kms": self._kms_key_id,
                "edk": base64.b64encode(generated["CiphertextBlob"]).decode(),
            }
        else:
            wrap_nonce = os.urandom(12)
            wrapped = AESGCM(self._static).encrypt(wrap_nonce, data_key, session_id.encode())
            header["kek"] = {
                "static": self.fingerprint,
                "edk": base64.b64encode(wrap_nonce + wrapped).decode(),
            }
        header_bytes = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
        nonce = base64.b64decode(header["nonce"])
        ciphertext = AESGCM(data_key).encrypt(nonce, gzip.compress(plaintext, 6), header_bytes)
        return MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + ciphertext

    def open(self, blob: bytes, *, session_id: str) -> tuple[dict, bytes]:
        """The header and the plaintext; CheckpointUnreadable says why not."""
        header, header_bytes, ciphertext = _split(blob)
        if header.get("session") != session_id:
            raise CheckpointUnreadable("the checkpoint belongs to another session")
        kek = header.get("kek") or {}
        try:
            edk = base64.b64decode(kek["edk"])
            if "kms" in kek:
                if self._kms is None:
                    raise CheckpointUnreadable(
                        "the checkpoint was sealed with KMS, but no KMS key is configured"
                    )
                try:
                    data_key = self._kms.decrypt(
                        CiphertextBlob=edk, EncryptionContext={"wagate-session": session_id}
                    )["Plaintext"]
                except ClientError as exc:
                    raise CheckpointUnreadable(f"KMS refused the checkpoint's data key: {exc}") from exc
            else:
                if self._static is None or kek.get("static") != self.fingerprint:
                    raise CheckpointUnreadable("the checkpoint was encrypted with another key")
                data_key = AESGCM(self._static).decrypt(edk[:12], edk[12:], session_id.encode())
            nonce = base64.b64decode(header["nonce"])
            return header, gzip.decompress(AESGCM(data_key).decrypt(nonce, ciphertext, header_bytes))
        except InvalidTag:
            raise CheckpointUnreadable("the checkpoint is corrupted (authentication failed)") from None
        except (KeyError, TypeError, ValueError, binascii.Error, OSError, EOFError) as exc:
            raise CheckpointUnreadable(f"the checkpoint is corrupted ({type(exc).__name__})") from None


def _split(blob: bytes) -> tuple[dict, bytes, bytes]:
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 4:
        raise CheckpointUnreadable("not a wagate checkpoint (corrupted or foreign object)")
    (length,) = struct.unpack(">I", blob[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    header_bytes = blob[start : start + length]
    try:
        header = json.loads(header_bytes)
    except ValueError:
        raise CheckpointUnreadable("the checkpoint's header is corrupted") from None
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise CheckpointUnreadable("the checkpoint's header is corrupted or of an unknown version")
    return header, header_bytes, blob[start + length :]


# ---------------------------------------------------------------------------------------- storage
def object_key(session_id: str, epoch: int) -> str:
    return f"{checkpoint_prefix(session_id)}epoch-{epoch:012d}.ckpt"


class CheckpointBucket:
    """The checkpoint objects of every session in one bucket (blocking boto3; call in a thread)."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, client=None) -> None:
        self.bucket = bucket
        self._s3 = client or boto3.client("s3", endpoint_url=endpoint_url, config=BOTO_CONFIG)
        self._objects = ObjectStore(bucket, client=self._s3)

    def erase(self, session_id: str) -> int:
        """Every checkpoint of the session, every version (the login is gone for good)."""
        try:
            return self._objects.delete_checkpoints(session_id)
        except WagateError as exc:
            raise CheckpointStorageError(str(exc)) from exc

    def _epochs(self, session_id: str) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=checkpoint_prefix(session_id)
        )
        for page in pages:
            for item in page.get("Contents", []):
                match = _EPOCH_KEY.search(item["Key"])
                if match:
                    found.append((int(match.group(1)), item["Key"]))
        return sorted(found, reverse=True)

    def put(self, session_id: str, epoch: int, blob: bytes) -> None:
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=object_key(session_id, epoch),
                Body=blob,
                ContentType="application/octet-stream",
                Metadata={"wagate-epoch": str(epoch)},
            )
            # Older epochs are superseded (the bucket's versioning and lifecycle keep them a while).
            for older, key in self._epochs(session_id):
                if older < epoch:
                    self._s3.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise CheckpointStorageError(f"cannot write the checkpoint to s3://{self.bucket}: {exc}") from exc

    def newest_first(self, session_id: str) -> list[tuple[int, bytes]]:
        try:
            blobs = []
            for epoch, key in self._epochs(session_id):
                body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                blobs.append((epoch, body))
            return blobs
        except (BotoCoreError, ClientError) as exc:
            raise CheckpointStorageError(f"cannot read checkpoints from s3://{self.bucket}: {exc}") from exc


# ---------------------------------------------------------------------------------------- strategies
class Strategy(Protocol):
    name: str
    settle_s: float  # after login, wait this long before the first periodic checkpoint
    first_capture_s: float  # a new login is captured this long after WhatsApp accepted it
    capture_after_close: bool  # the login is only complete on disk once the browser has closed

    async def open(self, session_id: str, state: bytes | None) -> BrowserContext: ...

    async def capture(self, session_id: str, context: BrowserContext | None) -> bytes: ...

    async def discard(self, session_id: str) -> None: ...


class ContextStrategy:
    """A context of the runner's shared browser; the login is `storage_state(indexed_db=True)`
    (cookies, localStorage, IndexedDB with binary values; a CryptoKey does not survive it)."""

    name = "context"
    settle_s = 1.0
    first_capture_s = 0.0  # storage_state reads the page's storage as it is now
    capture_after_close = False

    def __init__(self, browser: BrowserOwner) -> None:
        self.browser = browser

    async def open(self, session_id: str, state: bytes | None) -> BrowserContext:
        storage_state = json.loads(state) if state else None
        return await self.browser.new_context(storage_state=storage_state)

    async def capture(self, session_id: str, context: BrowserContext | None) -> bytes:
        if context is None:
            raise ValueError("the context strategy captures from an open context")
        state = await context.storage_state(indexed_db=True)
        return json.dumps(state, separators=(",", ":")).encode()

    async def discard(self, session_id: str) -> None:
        return None


PROFILE_FOLDERS = ("Default/IndexedDB", "Default/Local Storage")


class ProfileStrategy:
    """A browser of its own per session, on a user-data-dir whose IndexedDB and Local Storage
    folders are archived (whatsapp-web.js RemoteAuth's approach; keeps CryptoKeys, costs a browser)."""

    name = "profile"
    # Chromium writes Local Storage to disk lazily (seconds later) and completely when it closes:
    # a live capture waits for that; on shutdown and restart the browser is closed first.
    settle_s = 10.0
    first_capture_s = 10.0
    capture_after_close = True

    def __init__(self, browser: BrowserOwner, root: Path) -> None:
        self.browser = browser
        self.root = root

    def _dir(self, session_id: str) -> Path:
        return self.root / session_id

    async def open(self, session_id: str, state: bytes | None) -> BrowserContext:
        directory = self._dir(session_id)
        await asyncio.to_thread(_reset_profile, directory, state)
        return await self.browser.persistent_context(directory)

    async def capture(self, session_id: str, context: BrowserContext | None) -> bytes:
        return await asyncio.to_thread(_archive_profile, self._dir(session_id))

    async def discard(self, session_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._dir(session_id), True)


def _reset_profile(directory: Path, state: bytes | None) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, mode=0o700)
    if state:
        with tarfile.open(fileobj=io.BytesIO(state), mode="r:gz") as archive:
            for member in archive.getmembers():
                if not member.name.startswith(PROFILE_FOLDERS) or not (member.isfile() or member.isdir()):
                    raise CheckpointUnreadable(f"unexpected entry in the profile archive: {member.name[:80]}")
            archive.extractall(directory, filter="data")


def _archive_profile(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as archive:
        for folder in PROFILE_FOLDERS:
            source = directory / folder
            if not source.exists():
                continue
            for path in sorted(source.rglob("*")):
                if path.is_file() and path.name != "LOCK":
                    try:
                        archive.add(path, arcname=str(path.relative_to(directory)), recursive=False)
                    except FileNotFoundError:  # LevelDB rotated a file while we read the folder
                        continue
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------- facade
@dataclass
class Restored:
    state: bytes | None  # None: nothing to restore (log in with a QR)
    epoch: int | None = None
    problem: str | None = None  # why a checkpoint that exists could not be used


class Checkpoints:
    """What a session uses: load the newest readable login, save one, erase them all."""

    def __init__(self, strategy: Strategy, sealer: Sealer, bucket: CheckpointBucket) -> None:
        self.strategy = strategy
        self.sealer = sealer
        self.bucket = bucket

    async def load(self, session_id: str) -> Restored:
        blobs = await asyncio.to_thread(self.bucket.newest_first, session_id)
        problems: list[str] = []
        for epoch, blob in blobs:
            try:
                header, plaintext = self.sealer.open(blob, session_id=session_id)
            except CheckpointUnreadable as exc:
                problems.append(f"epoch {epoch}: {exc}")
                continue
            if header.get("strategy") != self.strategy.name:
                problems.append(f"epoch {epoch}: saved by the {header.get('strategy')!r} strategy")
                continue
            return Restored(plaintext, epoch)
        if problems:
            return Restored(None, problem="; ".join(problems))
        return Restored(None)

    async def save(self, session_id: str, epoch: int, context: BrowserContext | None) -> int:
        plaintext = await self.strategy.capture(session_id, context)
        blob = await asyncio.to_thread(
            self.sealer.seal, plaintext, session_id=session_id, epoch=epoch, strategy=self.strategy.name
        )
        await asyncio.to_thread(self.bucket.put, session_id, epoch, blob)
        return len(blob)

    async def erase(self, session_id: str) -> None:
        await asyncio.to_thread(self.bucket.erase, session_id)
        await self.strategy.discard(session_id)
