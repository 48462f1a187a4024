"""Synthesize the CDK app once per test session (per stage) and share the result.

Synthesis is offline: no AWS credentials, no Docker; `chalice package` fetches the API's wheels
from PyPI (cached under api_lambda/.chalice/deployments/ after the first run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _silence_node_end_of_life_banner() -> None:
    try:
        major = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return
    os.environ.setdefault(
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", major.strip().lstrip("v").split(".")[0]
    )


_silence_node_end_of_life_banner()
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.app import build_app  # noqa: E402
from infra.stack import WagateStack  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_JSON = REPO_ROOT / "infra" / "cdk.json"
# Put in the environment while synthesizing: none of them may end up in the cloud assembly.
SENTINEL_SECRETS = {
    "SUPABASE_SERVICE_ROLE_KEY": "sentinel-service-role-key-5f1c",
    "SUPABASE_JWT_SECRET": "sentinel-jwt-secret-93ab",
    "CHECKPOINT_KEY": "sentinel-checkpoint-key-77d0",
}


@dataclass(frozen=True)
class Synthesis:
    app: cdk.App
    stack: WagateStack
    outdir: Path
    template: dict[str, Any]
    assertions: Template

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r["Type"] == kind}

    def one(self, kind: str) -> dict[str, Any]:
        (resource,) = self.of_type(kind).values()
        return resource

    def logical_id(self, construct: Any) -> str:
        return self.stack.resolve(self.stack.get_logical_id(construct.node.default_child))


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _chalice_project_modules() -> list[str]:
    return [n for n in sys.modules if n in ("app", "chalicelib") or n.startswith("chalicelib.")]


@contextmanager
def _fresh_chalice_modules() -> Iterator[None]:
    """`chalice package` imports the project as the top-level module `app` (+ `chalicelib`). When
    another suite already imported them in this interpreter, their Blueprints are registered to
    that app; package from fresh modules and put the others back afterwards. The loader also
    writes the stage's environment variables into os.environ: they are put back too, so later
    suites (and the processes they start) see the environment they had."""
    saved = {name: sys.modules.pop(name) for name in _chalice_project_modules()}
    environ = dict(os.environ)  # chalice's loader writes the stage's variables into os.environ
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        for name in _chalice_project_modules():
            del sys.modules[name]
        sys.modules.update(saved)


def synthesize(outdir: Path, **context: str) -> Synthesis:
    """The app as `make synth` builds it (cdk.json's context), with `context` as `-c` overrides."""
    full_context = json.loads(CDK_JSON.read_text())["context"]
    full_context.update(context)
    with _environment(SENTINEL_SECRETS), _fresh_chalice_modules():
        app = build_app(full_context, outdir=str(outdir))
        app.synth()
    (stack,) = [child for child in app.node.children if isinstance(child, WagateStack)]
    template = json.loads((outdir / stack.template_file).read_text())
    return Synthesis(
        app=app, stack=stack, outdir=outdir, template=template, assertions=Template.from_json(template)
    )


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    """The default stage, as `make synth` writes it (placeholder Supabase URL, stack-made secret)."""
    return synthesize(tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    """The prod stage with a configured project and an existing secret imported by name."""
    return synthesize(
        tmp_path_factory.mktemp("cdk-prod"),
        stage="prod",
        supabase_url="https://abcdefghijklmnop.supabase.co",
        secret_name="wagate/prod",
        cors_allow_origins="https://app.example.com,https://admin.example.com",
        jwt_audience="authenticated",
        media_retention_days="30",
        media_cors_origins="https://app.example.com, https://admin.example.com",
    )


@pytest.fixture(scope="session")
def sentinel_secrets() -> Mapping[str, str]:
    """Secret values that were in the environment while the app was synthesized."""
    return SENTINEL_SECRETS
