"""The Lambda package: `chalice package` builds it, and the app imports and answers from the zip
alone, in a clean interpreter that has only what Lambda's Python runtime has besides the zip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

API_LAMBDA = Path(__file__).resolve().parents[2] / "api_lambda"
# What AWS Lambda's Python runtime provides besides the standard library.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")

PROBE = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import jwt, jwt.algorithms
import app, wagate
assert wagate.__file__.startswith(sys.argv[1]), wagate.__file__
assert jwt.algorithms.has_crypto, "cryptography is missing from the package"

def event(method, path, headers=None):
    return {
        "resource": path, "path": path, "httpMethod": method,
        "requestContext": {"resourcePath": path, "httpMethod": method, "path": path},
        "headers": headers or {}, "multiValueHeaders": {}, "pathParameters": {},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "stageVariables": None, "body": None, "isBase64Encoded": False,
    }

now = int(time.time())
token = jwt.encode({"sub": "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "aud": "authenticated",
                    "iss": "http://127.0.0.1:9/auth/v1", "exp": now + 60}, "s" * 64, algorithm="HS256")
answers = {
    "openapi": app.app(event("GET", "/api/openapi.json"), None),
    "no_token": app.app(event("GET", "/api/sessions"), None),
    "store_down": app.app(event("GET", "/api/sessions", {"authorization": "Bearer " + token}), None),
}
print(json.dumps({name: {"status": a["statusCode"], "body": json.loads(a["body"])}
                  for name, a in answers.items()}))
"""


def lambda_runtime_dir(tmp_path: Path) -> Path:
    """A directory holding only boto3 and its dependencies (links into this venv)."""
    runtime = tmp_path / "lambda-runtime"
    runtime.mkdir()
    site = Path(boto3.__file__).resolve().parents[1]
    for name in LAMBDA_RUNTIME_PACKAGES:
        (runtime / name).symlink_to(site / name)
    return runtime


@pytest.mark.slow
def test_the_chalice_package_imports_and_answers_in_a_clean_interpreter(tmp_path: Path) -> None:
    out = tmp_path / "package"
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from chalice.cli import main; sys.exit(main())",
            "package",
            str(out),
        ],
        cwd=API_LAMBDA,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        names = archive.namelist()
        archive.extractall(extracted)
    assert "app.py" in names and "wagate/service.py" in names and "chalicelib/openapi.py" in names
    assert not any(name.startswith(("boto3/", "botocore/")) for name in names)  # Lambda provides them

    clean_env = {
        "PATH": os.environ.get("PATH", ""),
        "SUPABASE_URL": "http://127.0.0.1:9",
        "SUPABASE_SERVICE_ROLE_KEY": "service-role",
        "SUPABASE_JWT_SECRET": "s" * 64,
        "WAGATE_START_QUEUE_URL": "http://127.0.0.1:9/000000000000/start",
        "WAGATE_CHECKPOINT_BUCKET": "checkpoints",
        "WAGATE_HTTP_TIMEOUT_S": "2",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    # -I: no environment or user site; -S: not even this venv's site-packages.
    probe = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(extracted), str(lambda_runtime_dir(tmp_path))],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    answers = json.loads(probe.stdout.strip().splitlines()[-1])
    assert answers["openapi"]["status"] == 200 and answers["openapi"]["body"]["openapi"].startswith("3.")
    assert answers["no_token"] == {
        "status": 401,
        "body": {"error": {"code": "unauthorized", "message": "missing Authorization header"}},
    }
    assert answers["store_down"]["status"] == 503
    assert answers["store_down"]["body"]["error"]["code"] == "database_unavailable"


def test_the_shared_package_is_vendored_by_a_symlink() -> None:
    vendored = API_LAMBDA / "vendor" / "wagate"
    assert vendored.is_symlink() and os.readlink(vendored) == "../../wagate"
    assert (vendored / "service.py").is_file()
