"""The README's Edge Function lines verify what wagate signs, in another language: the npm
package `standardwebhooks` in Node (Deno runs the same package in a Supabase Edge Function) against
calls signed by `wagate.signing`, the code every runner signs with; and what it must refuse.
`make test` installs the package (`tests/interop`, npm ci)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wagate.signing import new_signing_secret, signature_headers

INTEROP = Path(__file__).resolve().parents[1] / "interop"


def node_verify(secret: str, body: bytes, headers: dict[str, str]) -> dict:
    node = shutil.which("node")
    if node is None or not (INTEROP / "node_modules" / "standardwebhooks").is_dir():
        pytest.fail(
            "Node and tests/interop's packages are needed: `cd tests/interop && npm ci` (make test does)"
        )
    done = subprocess.run(
        [node, str(INTEROP / "verify.mjs")],
        input=json.dumps({"secret": secret, "body": body.decode(), "headers": headers}),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_edge_function_lines_verify_wagates_signature_and_refuse_the_rest() -> None:
    secret, other = new_signing_secret(), new_signing_secret()
    body = json.dumps({"message": {"text": "Grüße 👋"}, "chatbot_id": "c"}, ensure_ascii=False).encode()
    headers = signature_headers([secret], message_id="row-1", body=body)
    verified = node_verify(secret, body, headers)
    assert verified == {"ok": True, "payload": json.loads(body)}
    # during a rotation's overlap a call carries both signatures: either secret verifies it
    both = signature_headers([other, secret], message_id="row-1", body=body)
    assert node_verify(secret, body, both)["ok"] and node_verify(other, body, both)["ok"]
    refused = {
        "another secret": node_verify(other, body, headers),
        "a changed body": node_verify(secret, body.replace(b"c", b"d"), headers),
        "a replay after 10 minutes": node_verify(
            secret,
            body,
            signature_headers(
                [secret], message_id="row-1", body=body, now=datetime.now(UTC) - timedelta(minutes=10)
            ),
        ),
        "no signature": node_verify(secret, body, {"webhook-id": "row-1"}),
    }
    assert {name: result["ok"] for name, result in refused.items()} == dict.fromkeys(refused, False)
