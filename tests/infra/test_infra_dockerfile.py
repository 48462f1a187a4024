"""runner/Dockerfile, checked without a Docker engine: parsed, and held against the project."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from infra.components.runners import (
    DOCKERFILE,
    HEALTH_CHECK_COMMAND,
    HEARTBEAT_FILE,
    HEARTBEAT_MAX_AGE_SECONDS,
    IMAGE_CONTEXT_EXCLUDES,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE = "mcr.microsoft.com/playwright/python"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, rest = current.partition(" ")
        logical.append((keyword.upper(), rest.strip()))
        current = ""
    return logical


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions((REPO_ROOT / DOCKERFILE).read_text())


def args(dockerfile: list[tuple[str, str]]) -> dict[str, str]:
    return dict(rest.split("=", 1) for keyword, rest in dockerfile if keyword == "ARG" and "=" in rest)


def env(dockerfile: list[tuple[str, str]]) -> dict[str, str]:
    values = {}
    for keyword, rest in dockerfile:
        if keyword == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                values[name] = value
    return values


def expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables[m.group(1) or m.group(2)], text)


def playwright_requirement() -> Requirement:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    (requirement,) = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "playwright"]
    return requirement


def test_base_image_is_playwrights_python_image_within_the_project_range(dockerfile):
    (base,) = [rest for keyword, rest in dockerfile if keyword == "FROM"]
    image, _, tag = expand(base, args(dockerfile)).partition(":")
    assert image == IMAGE
    match = re.fullmatch(r"v(\d+\.\d+\.\d+)-(noble|jammy)", tag)
    assert match, f"unexpected tag {tag}"
    version = Version(match.group(1))
    assert version in playwright_requirement().specifier
    assert version >= Version("1.65")


def test_python_playwright_is_pinned_to_the_image_release(dockerfile):
    # Browsers in the image match exactly one Playwright release; pip must not pick another.
    runs = " ".join(rest for keyword, rest in dockerfile if keyword == "RUN")
    assert '"playwright==${PLAYWRIGHT_VERSION}"' in runs
    assert "pip install" in runs and " . " in f"{runs} "


def test_copy_sources_exist_and_are_in_the_cdk_build_context(dockerfile, dev):
    (asset,) = [p for p in dev.outdir.glob("asset.*") if p.is_dir() and (p / DOCKERFILE).exists()]
    for keyword, rest in dockerfile:
        if keyword != "COPY":
            continue
        *sources, _destination = shlex.split(rest)
        for source in sources:
            assert not source.startswith("--"), "no COPY --from/--chown needed"
            assert (REPO_ROOT / source).exists(), source
            assert (asset / source).exists(), f"{source} is excluded from the image's build context"
    staged = {path.name for path in asset.iterdir()}
    assert staged == {"pyproject.toml", "README.md", "wagate", "runner"}
    assert not list(asset.rglob("__pycache__"))
    assert "*" in IMAGE_CONTEXT_EXCLUDES


def test_build_context_installs_the_runner_with_its_bridge(dev, tmp_path):
    """What `pip install .` does in the image, done on the staged build context (no Docker)."""
    (asset,) = [p for p in dev.outdir.glob("asset.*") if p.is_dir() and (p / DOCKERFILE).exists()]
    context = shutil.copytree(asset, tmp_path / "context")  # pip writes build files into it
    wheels = tmp_path / "wheels"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w"]
    subprocess.run([*pip_wheel, str(wheels), "."], cwd=context, check=True, capture_output=True)
    (wheel,) = wheels.glob("wagate-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"runner/__main__.py", "wagate/config.py", "wagate/browser.py"} <= names
    assert any(name.startswith("runner/") and name.endswith(".js") for name in names)


def test_command_runs_the_runner_module(dockerfile):
    (command,) = [rest for keyword, rest in dockerfile if keyword == "CMD"]
    assert command == '["python", "-m", "runner"]'  # exec form: python receives SIGTERM
    assert not [rest for keyword, rest in dockerfile if keyword == "ENTRYPOINT"]
    assert (REPO_ROOT / "runner" / "__init__.py").exists()
    assert (REPO_ROOT / "runner" / "__main__.py").exists()


def test_playwrights_own_chromium_is_used(dockerfile):
    assert env(dockerfile)["CHROMIUM_PATH"] == ""


def test_health_check_uses_the_heartbeat_file(dockerfile):
    assert env(dockerfile)["HEARTBEAT_FILE"] == HEARTBEAT_FILE
    (check,) = [rest for keyword, rest in dockerfile if keyword == "HEALTHCHECK"]
    # The same check as the ECS task definition's.
    assert HEALTH_CHECK_COMMAND in check
    assert '"$HEARTBEAT_FILE"' in check


@pytest.mark.parametrize(
    ("age_s", "healthy"),
    [
        (5, True),
        (HEARTBEAT_MAX_AGE_SECONDS - 10, True),
        (HEARTBEAT_MAX_AGE_SECONDS + 10, False),
        (None, False),
    ],
)
def test_health_check_command_judges_the_heartbeat_age(tmp_path, age_s, healthy):
    """Run under a POSIX sh (dash on the image's Ubuntu), as ECS's CMD-SHELL does."""
    heartbeat = tmp_path / "heartbeat"
    if age_s is not None:
        heartbeat.write_text("1")
        then = time.time() - age_s
        os.utime(heartbeat, (then, then))
    result = subprocess.run(
        ["sh", "-c", HEALTH_CHECK_COMMAND], env={"HEARTBEAT_FILE": str(heartbeat), "PATH": "/usr/bin:/bin"}
    )
    assert (result.returncode == 0) is healthy


def test_runs_as_an_unprivileged_user(dockerfile):
    users = [rest for keyword, rest in dockerfile if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
