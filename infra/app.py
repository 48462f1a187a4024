"""The CDK app: `python infra/app.py [-c stage=prod] [-c KEY=VALUE…]` (make synth) or the CDK CLI
from `infra/` (make deploy), which runs this file with cdk.json's context.

Run directly, it reads cdk.json itself, so synthesis needs no CDK CLI and no AWS credentials.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.settings import settings_from_node  # noqa: E402
from infra.stack import WagateStack  # noqa: E402


def cli_context(argv: Sequence[str]) -> dict[str, str]:
    """`-c KEY=VALUE` / `--context KEY=VALUE` pairs, as the CDK CLI takes them."""
    context: dict[str, str] = {}
    args = list(argv)
    for index, arg in enumerate(args):
        if arg in ("-c", "--context") and index + 1 < len(args):
            key, sep, value = args[index + 1].partition("=")
            if not sep:
                raise SystemExit(f"context must be KEY=VALUE, got {args[index + 1]!r}")
            context[key] = value
    return context


def build_app(
    context: dict[str, Any] | None = None, *, outdir: str | None = None, **stack_kwargs: Any
) -> cdk.App:
    """The app with its stage's stack and the AwsSolutions (cdk-nag) checks."""
    app = cdk.App(context=context, outdir=outdir)
    WagateStack(app, settings=settings_from_node(app.node), **stack_kwargs)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app


def main(argv: Sequence[str]) -> None:
    context: dict[str, Any] | None = None
    outdir = os.environ.get("CDK_OUTDIR")
    if "CDK_CONTEXT_JSON" not in os.environ:
        # Not started by the CDK CLI: take cdk.json's context like the CLI would.
        context = json.loads((HERE / "cdk.json").read_text())["context"]
        context.update(cli_context(argv))
        outdir = outdir or str(HERE / "cdk.out")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # `chalice package` wants a region
    build_app(context, outdir=outdir).synth()


if __name__ == "__main__":
    main(sys.argv[1:])
