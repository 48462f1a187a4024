"""The local stack is safe to run on a developer's machine (issue: any web page the developer
visited could read the demo user's token from /config.js, and replace the gateway's key set to
forge tokens for anyone). Shown in a real Chromium where a browser is what attacks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import async_playwright

from devstack.chatbots import LoopbackServer
from wagate.browser import chromium_launch_options


@pytest.fixture
def evil_site() -> Iterator[dict[str, str]]:
    """A page on another origin, served as `localhost` (another site than 127.0.0.1) and as
    127.0.0.1 on another port (the same site, another origin), that tries to load /config.js."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = LoopbackServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        yield {
            "pages": pages,
            "cross_site": f"http://localhost:{port}",
            "same_site": f"http://127.0.0.1:{port}",
        }
    finally:
        server.shutdown()
        server.server_close()


async def test_no_other_page_can_read_config_js(stack, evil_site) -> None:
    dashboard = stack.env["DASHBOARD_URL"]
    evil_site["pages"]["/steal.html"] = (
        "<!doctype html><script>window.__stolen = null;</script>"
        f'<script src="{dashboard}/config.js" onerror="window.__blocked = true"></script>'
        "<script>window.__stolen = window.__WAGATE__ ? window.__WAGATE__.accessToken : null;</script>"
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            for origin in (evil_site["cross_site"], evil_site["same_site"]):
                page = await browser.new_page()
                await page.goto(f"{origin}/steal.html")
                assert await page.evaluate("window.__stolen") is None, origin
                assert await page.evaluate("window.__blocked") is True, origin
                await page.close()
            # The demo page itself still gets it.
            own = await browser.new_page()
            await own.goto(f"{dashboard}/")
            assert await own.evaluate("window.__WAGATE__ && window.__WAGATE__.accessToken")
        finally:
            await browser.close()


def test_config_js_is_refused_to_requests_that_are_not_the_page_itself(stack) -> None:
    url = f"{stack.env['DASHBOARD_URL']}/config.js"
    for headers in ({}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        response = httpx.get(url, headers=headers)
        assert response.status_code == 403, headers
        assert "eyJ" not in response.text
    # DNS rebinding: a page on a name the attacker points at 127.0.0.1 is "same-origin" with itself
    port = urlsplit(url).port
    rebound = httpx.get(url, headers={"Sec-Fetch-Site": "same-origin", "Host": f"attacker.example:{port}"})
    assert rebound.status_code == 403
    own = httpx.get(url, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200
    assert own.headers["cross-origin-resource-policy"] == "same-origin"


def test_the_gateways_local_endpoints_want_the_service_key_and_json(stack) -> None:
    jwks_url = f"{stack.supabase_url}/auth/v1/_local/jwks"
    forged_set = {"keys": [{"kty": "oct", "k": "Zm9yZ2Vk", "kid": "forged"}]}
    before = httpx.get(f"{stack.supabase_url}/auth/v1/.well-known/jwks.json").json()
    attempts = [
        httpx.post(jwks_url, json=forged_set),  # no key
        httpx.post(jwks_url, json=forged_set, headers={"apikey": stack.env["SUPABASE_ANON_KEY"]}),
        httpx.post(  # what a cross-site <form enctype="text/plain"> can send, even with the key
            jwks_url,
            content=json.dumps(forged_set),
            headers={"Content-Type": "text/plain", "apikey": stack.env["SUPABASE_SERVICE_ROLE_KEY"]},
        ),
    ]
    assert [response.status_code for response in attempts] == [401, 401, 415]
    assert httpx.get(f"{stack.supabase_url}/auth/v1/.well-known/jwks.json").json() == before
    bot_url = f"{stack.supabase_url}/functions/v1/_local/bot"
    assert httpx.post(bot_url, json={"mode": "down"}).status_code == 401
    assert httpx.get(bot_url).status_code == 401  # its last call's headers are not for anyone


def test_the_api_answers_cors_to_the_dashboards_origin_only(stack) -> None:
    dashboard = stack.env["DASHBOARD_URL"]
    allowed = {origin.strip() for origin in stack.env["CORS_ALLOW_ORIGINS"].split(",")}
    assert dashboard in allowed and "*" not in allowed
    for origin in ("https://evil.example", "null", f"http://localhost:{urlsplit(dashboard).port + 1}"):
        preflight = httpx.options(
            f"{stack.api_url}/api/sessions/create",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers, origin
        assert "access-control-allow-methods" not in preflight.headers, origin
        answer = httpx.get(f"{stack.api_url}/api/health", headers={"Origin": origin})
        assert "access-control-allow-origin" not in answer.headers, origin
    answer = httpx.get(f"{stack.api_url}/api/health", headers={"Origin": dashboard})
    assert answer.headers["access-control-allow-origin"] == dashboard
