"""The app's entry points and stage settings: `make synth` (python infra/app.py) and cdk.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.app import cli_context
from infra.settings import PLACEHOLDER_SUPABASE_URL, SettingsError, StageSettings, settings_from_context

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_JSON = json.loads((REPO_ROOT / "infra" / "cdk.json").read_text())
STAGES = CDK_JSON["context"]["wagate:stages"]


def test_cdk_json_runs_the_app_and_defines_dev_and_prod():
    assert CDK_JSON["app"] == "python app.py"
    assert CDK_JSON["context"]["stage"] == "dev"
    assert set(STAGES) == {"dev", "prod"}
    for stage in STAGES:
        settings_from_context(stage, STAGES, {})  # every block is valid


def test_stage_defaults_and_names():
    dev = settings_from_context("dev", STAGES, {})
    assert dev.stack_name == "wagate-dev"
    assert dev.start_queue_name == "wagate-dev-start"
    assert dev.runner_queue_prefix == "wagate-dev-runner-"
    assert dev.nat_gateways == 1
    assert dev.media_retention_days == 90
    assert dev.media_cors_origin_list == ["*"]
    assert dev.uses_placeholder_supabase_url
    assert dev.supabase_url == PLACEHOLDER_SUPABASE_URL


def test_cli_overrides_are_typed():
    overrides = {
        "supabase_url": "https://x.supabase.co",
        "max_runners": "9",
        "retain_data": "true",
        "media_retention_days": "30",
        "media_cors_origins": "https://a.example.com, https://b.example.com",
        "unknown": "x",
    }
    settings = settings_from_context("dev", STAGES, overrides)
    assert settings.supabase_url == "https://x.supabase.co"
    assert settings.max_runners == 9
    assert settings.retain_data is True
    assert settings.media_retention_days == 30
    assert settings.media_cors_origin_list == ["https://a.example.com", "https://b.example.com"]


@pytest.mark.parametrize(
    ("stage", "overrides", "message"),
    [
        ("staging", {}, "unknown stage"),
        ("dev", {"supabase_url": "http://127.0.0.1:25421"}, "https URL"),
        ("dev", {"max_runners": "many"}, "integer"),
        ("dev", {"min_runners": "5", "max_runners": "2"}, "min_runners"),
        ("dev", {"nat_gateways": "0"}, "nat_gateways"),
        ("dev", {"retain_data": "maybe"}, "true or false"),
        ("dev", {"media_retention_days": "0"}, "media_retention_days"),
        ("dev", {"media_cors_origins": ""}, "media_cors_origins"),
        ("dev", {"media_cors_origins": "app.example.com"}, "media_cors_origins"),
    ],
)
def test_bad_settings_are_refused_by_name(stage, overrides, message):
    with pytest.raises(SettingsError, match=message):
        settings_from_context(stage, STAGES, overrides)


def test_unknown_stage_keys_in_cdk_json_are_refused():
    with pytest.raises(SettingsError, match="runner_cpus"):
        settings_from_context("dev", {"dev": {"runner_cpus": 1}}, {})


def test_stage_names_are_short_and_lower_case():
    with pytest.raises(SettingsError):
        StageSettings(stage="Prod")
    with pytest.raises(SettingsError):
        StageSettings(stage="a-very-long-stage-name")


def test_cli_context_reads_c_options():
    assert cli_context(["-c", "stage=prod", "--context", "supabase_url=https://a.supabase.co"]) == {
        "stage": "prod",
        "supabase_url": "https://a.supabase.co",
    }
    with pytest.raises(SystemExit):
        cli_context(["-c", "stage"])


def test_make_synth_entry_point_writes_templates_without_the_cdk_cli(tmp_path):
    """`python infra/app.py -c …` reads cdk.json itself; no AWS credentials, no Docker."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CDK_")) or key == "AWS_DEFAULT_REGION"
    }
    env.update(
        CDK_OUTDIR=str(tmp_path), AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_CONFIG_FILE="/nonexistent"
    )
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "infra" / "app.py"), "-c", "stage=prod", "-c", "max_runners=7"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "wagate-prod.template.json").read_text())
    (target,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"
    ]
    assert target["Properties"]["MaxCapacity"] == 7
    assert not (tmp_path / "chalice.out").exists()
