"""The dashboard's Webhooks section end to end, in a real Chromium against the real stack and its
webhook dispatcher: the local user adds an endpoint pointing at a real receiver on 127.0.0.1, sees
its signing secret once, sends a test event and watches its delivery turn "Delivered" (the
receiver accepts only a request whose Standard Webhooks signature verifies with the secret the
page showed), then deletes the endpoint.

Needs: `stack` (tests/conftest.py: its dispatcher is a supervised part) and `dashboard_url`
(tests/dashboard/conftest.py). No runner or simulator: a test event needs no WhatsApp session.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import async_playwright, expect
from standardwebhooks import Webhook

from devstack.testing import StackHandle
from tests.dashboard.test_dashboard_e2e import open_dashboard
from tests.webhooks.receiver import Receiver
from wagate.browser import chromium_launch_options

pytestmark = pytest.mark.slow

DELIVERY_TIMEOUT_MS = 30_000  # the dispatcher looks for due deliveries every 0.05-0.5 s


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An app's webhook endpoint: answers 204 to a request signed with its secret, 401 otherwise."""
    made = Receiver(status=204).start()
    try:
        yield made
    finally:
        made.stop()


def webhooks_of(api_url: str, token: str) -> list[dict]:
    response = httpx.get(f"{api_url}/api/webhooks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["webhooks"]


def delete_webhooks_at(api_url: str, token: str, url: str) -> None:
    """What a failed run may leave behind (the demo user keeps its endpoints across tests)."""
    auth = {"Authorization": f"Bearer {token}"}
    for webhook in webhooks_of(api_url, token):
        if webhook["url"] == url:
            httpx.delete(f"{api_url}/api/webhooks/{webhook['id']}", headers=auth)


async def test_add_an_endpoint_send_a_test_event_and_delete_it(
    stack: StackHandle, receiver: Receiver, dashboard_url: str
) -> None:
    api_url = stack.env["API_URL"]
    note = f"dashboard e2e {uuid.uuid4().hex[:6]}"

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        token = ""
        try:
            page = await open_dashboard(browser, dashboard_url)
            token = (await page.evaluate("window.__WAGATE__"))["accessToken"]
            section = page.get_by_role("region", name="Webhooks")
            form = section.get_by_role("region", name="Add an endpoint")

            # Add the receiver as an endpoint for one event type.
            await form.get_by_label("Endpoint URL").fill(receiver.url)
            await form.get_by_role("checkbox", name="message.received").check()
            await form.get_by_label("Description (optional)").fill(note)
            await form.get_by_role("button", name="Add endpoint").click()

            # Its secret, shown this once, to copy.
            shown = form.get_by_label("Signing secret of the new endpoint: shown this once")
            await expect(shown).to_have_value(re.compile(r"^whsec_[A-Za-z0-9+/=]+$"))
            await expect(form.get_by_text("it will not be shown again")).to_be_visible()
            secret = await shown.input_value()
            receiver.secrets.append(secret)
            (listed,) = [w for w in webhooks_of(api_url, token) if w["url"] == receiver.url]
            assert listed["events"] == ["message.received"] and listed["description"] == note
            assert "secret" not in listed and secret not in json.dumps(webhooks_of(api_url, token))

            # Never again: after a reload the endpoint is listed, its secret is not.
            await page.reload()
            endpoint = section.get_by_role("article", name=receiver.url)
            await expect(endpoint.get_by_text("Enabled", exact=True)).to_be_visible()
            await expect(endpoint).to_contain_text(note)
            await expect(page.get_by_label(re.compile("shown this once"))).to_have_count(0)
            await expect(page.get_by_text(secret)).to_have_count(0)

            # A test event: its delivery appears and turns Delivered once the receiver verified it.
            await endpoint.get_by_role("button", name="Send test event").click()
            await expect(endpoint.get_by_text("Test event sent (ping)")).to_be_visible()
            deliveries_toggle = endpoint.get_by_role("button", name="Deliveries")
            await expect(deliveries_toggle).to_have_attribute("aria-expanded", "true")
            items = endpoint.get_by_role("list", name="Deliveries, newest first").get_by_role("listitem")
            ping = items.filter(has=page.locator("code", has_text=re.compile("^ping$")))
            await expect(ping).to_have_count(1)
            await expect(ping.locator(".wg-badge")).to_have_text("Delivered", timeout=DELIVERY_TIMEOUT_MS)
            await expect(ping).to_contain_text("1 attempt · last answer: HTTP 204")
            await ping.get_by_role("button", name="Attempt log").click()
            attempts = ping.get_by_role("list", name="Attempts, oldest first")
            await expect(attempts).to_contain_text(re.compile(r"Attempt 1, .*: HTTP 204 in \d+ ms"))

            # What the receiver got: one request, signed with the secret the page showed.
            event_id = await ping.locator("p", has_text="webhook-id").locator("code").first.inner_text()
            (request,) = receiver.attempts_of(event_id)
            assert request.verified, f"the signature did not verify: {request.headers}"
            assert request.body is not None and request.body["type"] == "ping"
            Webhook(secret).verify(request.raw, request.headers)  # raises if it does not verify
            assert request.headers["content-type"].startswith("application/json")

            # Delete it, confirmed: gone from the page and from the API.
            await endpoint.get_by_role("button", name="Delete").click()
            confirm = endpoint.get_by_role("group", name="Confirm delete")
            await confirm.get_by_role("button", name="Yes, delete").click()
            await expect(endpoint).to_have_count(0)
            await expect(section.get_by_text(f"Endpoint {receiver.url} deleted.")).to_be_attached()
            assert receiver.url not in [w["url"] for w in webhooks_of(api_url, token)]
            await page.reload()
            await expect(section.get_by_role("heading", name="Your endpoints")).to_be_visible()
            await expect(section.get_by_role("article", name=receiver.url)).to_have_count(0)
        finally:
            await browser.close()
            if token:
                delete_webhooks_at(api_url, token, receiver.url)
