"""The demo app as `make dev` / `make up` serve it (`DASHBOARD_URL`, :8080 by default): the built
page, and a /config.js that signs it in as the local demo user with only that user's token."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import jwt

from devstack import dashboard
from devstack.process import ProcessGroup
from devstack.stack import free_port
from devstack.testing import StackHandle

# What a browser sends when the page itself loads its /config.js (any other request is refused:
# tests/security/test_local_stack_safety.py).
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def read_config(script: str) -> dict:
    match = re.fullmatch(r"window\.__WAGATE__ = (\{.*\});\n", script, flags=re.DOTALL)
    assert match, f"not a config script: {script[:200]!r}"
    return json.loads(match.group(1))


def test_the_stack_serves_the_built_app(stack: StackHandle, dashboard_url: str) -> None:
    page = httpx.get(dashboard_url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"  # a rebuild is picked up on reload
    assert '<script src="/config.js"></script>' in page.text
    assert '<div id="root"></div>' in page.text
    bundle = re.search(r'<script type="module" crossorigin src="(/assets/[^"]+\.js)"', page.text)
    assert bundle, page.text
    script = httpx.get(dashboard_url.rstrip("/") + bundle.group(1))
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]

    # `make status` shows where it is.
    status = subprocess.run(
        [sys.executable, "-m", "devstack", "--state-dir", str(stack.paths.state_dir), "status"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(rf"DASHBOARD_URL\s+{re.escape(stack.env['DASHBOARD_URL'])}\s", status.stdout)


def test_config_js_signs_the_page_in_as_the_local_user(stack: StackHandle, dashboard_url: str) -> None:
    response = httpx.get(dashboard_url + "config.js", headers=SAME_ORIGIN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-store"
    for secret in ("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_JWT_SECRET", "SUPABASE_ANON_KEY"):
        assert stack.env[secret] not in response.text, f"{secret} must never reach the page"
    config = read_config(response.text)
    assert config["apiUrl"] == stack.api_url
    assert config["userEmail"] == dashboard.DEMO_EMAIL
    assert config["chatbotId"] == dashboard.DEMO_CHATBOT_ID

    # The token is the demo user's (a row in auth.users), and the API accepts it.
    secret = stack.env["SUPABASE_JWT_SECRET"]
    claims = jwt.decode(config["accessToken"], secret, algorithms=["HS256"], audience="authenticated")
    users = stack.sql("select id::text from auth.users where email = %s", (dashboard.DEMO_EMAIL,))
    assert users == [(claims["sub"],)]
    sessions = httpx.get(
        f"{stack.api_url}/api/sessions", headers={"Authorization": f"Bearer {config['accessToken']}"}
    )
    assert sessions.status_code == 200, sessions.text

    # Made per request: a fresh token, the same user.
    again = read_config(httpx.get(dashboard_url + "config.js", headers=SAME_ORIGIN).text)
    assert jwt.decode(again["accessToken"], options={"verify_signature": False})["sub"] == claims["sub"]
    assert stack.sql("select count(*) from auth.users where email = %s", (dashboard.DEMO_EMAIL,)) == [(1,)]


def test_without_a_build_the_page_says_what_to_run_and_serves_a_later_build(
    stack: StackHandle, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    port = free_port()
    spec = dashboard.process_spec(port, stack.paths.log_dir, stack.env)
    spec.env["DASHBOARD_DIST"] = str(dist)
    group = ProcessGroup()
    group.start(spec)
    url = f"http://127.0.0.1:{port}"
    try:
        missing = httpx.get(url + "/")
        assert missing.status_code == 503
        assert missing.headers["content-type"].startswith("text/html")
        assert "The dashboard is not built yet" in missing.text
        assert "make dashboard" in missing.text
        # the page's config does not need the build
        assert httpx.get(url + "/config.js", headers=SAME_ORIGIN).status_code == 200

        # A build made while the stack runs is served, without a restart.
        dist.mkdir()
        (dist / "index.html").write_text("<!doctype html><title>fresh build</title>")
        built = httpx.get(url + "/")
        assert built.status_code == 200
        assert "fresh build" in built.text
    finally:
        group.stop_all()
