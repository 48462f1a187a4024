"""Both checkpoint strategies against real parts: Debian's Chromium on the simulator's WhatsApp Web,
moto's S3. A page is linked by scanning its QR, the login is sealed into S3, and a fresh context
(or profile) restored from it is logged in without a QR. The sealed object holds no readable
login, and one that was tampered with, sealed with another key or moved to another session is
refused with a reason instead of being used."""

from __future__ import annotations

import os
import uuid

import pytest

from devstack.testing import StackHandle
from runner.browser import BrowserOwner
from runner.checkpoint import (
    CheckpointBucket,
    Checkpoints,
    CheckpointUnreadable,
    ContextStrategy,
    ProfileStrategy,
    Sealer,
    object_key,
)
from tests.e2e import Simulator, fresh_number
from tests.simulator.driver import QR_STRING_JS

NOISE_PRIVATE_KEY_JS = "() => JSON.parse(localStorage.getItem('WANoiseInfo')).privKey"
STATE_JS = "() => window.require && window.require('WAWebSocketModel').Socket.state"


@pytest.fixture
async def browser():
    owner = BrowserOwner()
    await owner.start()
    yield owner
    await owner.close()


def _checkpoints(stack: StackHandle, strategy, key: bytes) -> Checkpoints:
    bucket = CheckpointBucket(stack.env["WAGATE_CHECKPOINT_BUCKET"], client=stack.s3())
    return Checkpoints(strategy, Sealer(static_key=key), bucket)


async def _open_whatsapp(strategy, session_id: str, state: bytes | None, url: str):
    context = await strategy.open(session_id, state)
    page = context.pages[0] if context.pages else await context.new_page()
    await page.goto(url, wait_until="commit")
    await page.wait_for_function("window.Debug && window.Debug.VERSION", timeout=20_000)
    return context, page


@pytest.mark.parametrize("kind", ["context", "profile"])
async def test_a_login_sealed_into_s3_restores_without_a_qr(
    kind: str, stack: StackHandle, simulator: Simulator, browser: BrowserOwner, tmp_path
) -> None:
    strategy = (
        ContextStrategy(browser) if kind == "context" else ProfileStrategy(browser, tmp_path / "profiles")
    )
    key = os.urandom(32)
    checkpoints = _checkpoints(stack, strategy, key)
    session_id, phone = str(uuid.uuid4()), fresh_number()

    context, page = await _open_whatsapp(strategy, session_id, None, simulator.url + "/")
    await page.wait_for_function("() => window.require('WAWebConnModel').Conn.ref", timeout=20_000)
    simulator.scan(await page.evaluate(QR_STRING_JS), phone)
    await page.wait_for_function(f"({STATE_JS})() === 'CONNECTED'", timeout=20_000)
    private_key = await page.evaluate(NOISE_PRIVATE_KEY_JS)
    if strategy.capture_after_close:  # as the runner does on shutdown and restart
        await context.close()
        size = await checkpoints.save(session_id, 7, None)
    else:
        size = await checkpoints.save(session_id, 7, context)
        await context.close()
    await strategy.discard(session_id)
    assert size > 0

    sealed = (
        stack.s3().get_object(Bucket=checkpoints.bucket.bucket, Key=object_key(session_id, 7))["Body"].read()
    )
    for secret in (private_key, phone, "WANoiseInfo", "privKey", "last-wid-md"):
        assert secret.encode() not in sealed, f"{secret!r} is readable in the checkpoint object"

    restored = await checkpoints.load(session_id)
    assert (restored.epoch, restored.problem) == (7, None)
    context, page = await _open_whatsapp(strategy, session_id, restored.state, simulator.url + "/")
    try:
        await page.wait_for_function(f"({STATE_JS})() === 'CONNECTED'", timeout=20_000)
        assert await page.evaluate(NOISE_PRIVATE_KEY_JS) == private_key
        devices = simulator.http.get("/control/devices").json()
        mine = [d for d in devices if d["phone"] == phone]
        assert len(mine) == 1, "the restored page is the same linked device, not a new one"
        assert mine[0]["online"]
    finally:
        await context.close()
        await strategy.discard(session_id)
        checkpoints.bucket.erase(session_id)


async def test_unusable_checkpoints_are_refused_with_a_reason(
    stack: StackHandle, browser: BrowserOwner
) -> None:
    strategy = ContextStrategy(browser)
    key = os.urandom(32)
    checkpoints = _checkpoints(stack, strategy, key)
    sealer = checkpoints.sealer
    session_id = str(uuid.uuid4())
    state = b'{"cookies":[],"origins":[]}'
    blob = sealer.seal(state, session_id=session_id, epoch=3, strategy="context")
    assert sealer.open(blob, session_id=session_id)[1] == state

    tampered = bytearray(blob)
    tampered[-5] ^= 0x01
    with pytest.raises(CheckpointUnreadable, match="corrupted"):
        sealer.open(bytes(tampered), session_id=session_id)
    with pytest.raises(CheckpointUnreadable, match="another key"):
        Sealer(static_key=os.urandom(32)).open(blob, session_id=session_id)
    with pytest.raises(CheckpointUnreadable, match="another session"):
        sealer.open(blob, session_id=str(uuid.uuid4()))
    with pytest.raises(CheckpointUnreadable, match="not a wagate checkpoint"):
        sealer.open(b"garbage", session_id=session_id)

    # In S3: the newest epoch is garbage, an older one is good -> the older one is used.
    s3, bucket = stack.s3(), checkpoints.bucket.bucket
    s3.put_object(Bucket=bucket, Key=object_key(session_id, 3), Body=blob)
    s3.put_object(Bucket=bucket, Key=object_key(session_id, 4), Body=b"garbage")
    restored = await checkpoints.load(session_id)
    assert (restored.state, restored.epoch) == (state, 3)
    # Only unusable ones -> nothing restored, and the reason is given.
    s3.put_object(Bucket=bucket, Key=object_key(session_id, 3), Body=bytes(tampered))
    restored = await checkpoints.load(session_id)
    assert restored.state is None
    assert "epoch 4: not a wagate checkpoint" in restored.problem
    assert "epoch 3: the checkpoint is corrupted" in restored.problem
    # An older writer cannot replace a newer checkpoint: writing epoch 5 removes the older ones,
    # and a late write under epoch 4 is ignored in favour of 5.
    checkpoints.bucket.put(
        session_id, 5, sealer.seal(state, session_id=session_id, epoch=5, strategy="context")
    )
    checkpoints.bucket.put(session_id, 4, blob)
    restored = await checkpoints.load(session_id)
    assert restored.epoch == 5
    checkpoints.bucket.erase(session_id)
    assert (await checkpoints.load(session_id)).state is None


def test_kms_envelope_keys_seal_and_open_checkpoints(stack: StackHandle) -> None:
    """CHECKPOINT_KMS_KEY_ID (as deployed): a data key per checkpoint from KMS (moto's server),
    only its encrypted form beside the checkpoint, the session id bound as encryption context."""
    kms = stack._boto("kms")
    key_id = kms.create_key(Description="wagate test checkpoints")["KeyMetadata"]["KeyId"]
    sealer = Sealer(kms_key_id=key_id, kms=kms)
    session_id = str(uuid.uuid4())
    blob = sealer.seal(b'{"origins":[]}', session_id=session_id, epoch=1, strategy="context")
    header, plaintext = sealer.open(blob, session_id=session_id)
    assert plaintext == b'{"origins":[]}'
    assert header["kek"]["kms"] == key_id and "static" not in header["kek"]
    with pytest.raises(CheckpointUnreadable, match="no KMS key is configured"):
        Sealer(static_key=os.urandom(32)).open(blob, session_id=session_id)
    with pytest.raises(CheckpointUnreadable, match="corrupted"):
        sealer.open(blob[:-1] + bytes([blob[-1] ^ 1]), session_id=session_id)
