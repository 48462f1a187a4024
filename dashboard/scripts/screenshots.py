"""Screenshots of the dashboard for the README, rendered from the built app (dashboard/dist) in
headless Chromium against a recorded API state, so no stack is needed:

    docs/dashboard-connect.png    the dialog showing a QR code and its countdown
    docs/dashboard-connected.png  connected, with the live message history
    docs/dashboard-phone.png      the dialog on a 360 px wide phone screen
    docs/dashboard-fleet.png      the operator's Fleet page (an admin's token)
    docs/dashboard-insights.png   the business owner's Insights page, the last 7 days by day

Run from the repository root after `npm run build` in dashboard/:

    .venv/bin/python dashboard/scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.async_api import Page, Route, async_playwright, expect

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from runner.qr import render_qr_png  # noqa: E402 - after the path is set
from wagate.browser import chromium_launch_options  # noqa: E402

DIST = REPO / "dashboard" / "dist"
DOCS = REPO / "docs"
ORIGIN = "http://dashboard.local"
CHATBOT_ID = "3f1c2a9e-5b7d-4c1e-9a2f-0d6b8e4c7a11"
SESSION_ID = "8d2e4f60-1a3b-4c5d-8e9f-a0b1c2d3e4f5"
# A login string shaped like WhatsApp Web's: ref, noise key, identity key, adv secret.
QR_STRING = (
    "2@Xk3vP9mQ7rT2wY8zA1bC4dE6fG0hJ5kL3nM8pR2sU7vW9xZ1aB4cD6eF8gH0jK2,"
    "p5Vq8dRk2Lw9Zx3Nc7Bm1Ht6Gy4Fj0Sa8Dq2We5Rt=,"
    "J7kL9mN2pQ4rS6tU8vW0xY1zA3bC5dE7fG9hI2jK4lM=,"
    "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qw9E="
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def session(status: str, now: datetime) -> dict:
    base = {
        "id": SESSION_ID,
        "session_id": "wa-8d2e4f60",
        "chatbot_id": CHATBOT_ID,
        "status": status,
        "phone_number": None,
        "push_name": None,
        "qr_code": None,
        "qr_expires_at": None,
        "pairing_code": None,
        "connected_at": None,
        "last_error": None,
        "created_at": iso(now - timedelta(minutes=3)),
        "updated_at": iso(now),
    }
    if status == "qr_ready":
        base.update(qr_code=render_qr_png(QR_STRING), qr_expires_at=iso(now + timedelta(seconds=47)))
    if status == "connected":
        base.update(
            phone_number="15550142277",
            push_name="Rosa's Bakery",
            connected_at=iso(now - timedelta(minutes=2)),
        )
    return base


def messages(now: datetime) -> list[dict]:
    customer, own = "447700900123", "15550142277"
    script = [
        ("inbound", "Hi! Do you have sourdough today?", "replied", None, 95),
        ("outbound", "Morning! Yes, fresh sourdough until 2 pm. Shall I keep one for you?", "sent", 3, 93),
        ("inbound", "Yes please, I'll pick it up at noon.", "replied", None, 40),
        ("outbound", "Done: one sourdough saved for you at noon. See you then!", "sent", 2, 38),
    ]
    rows = []
    for n, (direction, text, status, ack, seconds_ago) in enumerate(script):
        inbound = direction == "inbound"
        rows.append(
            {
                "id": f"00000000-0000-4000-8000-00000000000{n}",
                "session_id": SESSION_ID,
                "message_id": f"wamid.demo{n}",
                "direction": direction,
                "from_number": customer if inbound else own,
                "to_number": own if inbound else customer,
                "content": text,
                "status": status,
                "ack": ack,
                "timestamp": iso(now - timedelta(seconds=seconds_ago)),
                "reply_to": None,
                "error": None,
            }
        )
    return list(reversed(rows))  # newest first, as the API answers


def fleet(now: datetime) -> dict:
    """GET /api/admin/fleet as an operator sees it: three runners (one lost), a stuck session."""

    def runner(n: int, active: int, age: float, restarts: int, queue: tuple[int, int, int]) -> dict:
        return {
            "runner_id": f"runner-7f3a{n}c",
            "capacity": 50,
            "active_sessions": active,
            "started_at": iso(now - timedelta(hours=6 - n)),
            "heartbeat_at": iso(now - timedelta(seconds=age)),
            "heartbeat_age_s": age,
            "alive": age <= 20,
            "browser_restarts": restarts,
            "queue": dict(zip(("visible", "in_flight", "dead_letters"), queue, strict=True)),
        }

    def hour(ago: int) -> str:
        return iso((now - timedelta(hours=ago)).replace(minute=0, second=0, microsecond=0))

    return {
        "generated_at": iso(now),
        "heartbeat_window_s": 20,
        "stuck_after_s": 300,
        "runners": [
            runner(1, 41, 2.1, 0, (0, 1, 0)),
            runner(2, 38, 4.6, 1, (0, 0, 0)),
            runner(3, 12, 47.0, 0, (2, 0, 0)),
        ],
        "queues": {"start": {"visible": 3, "in_flight": 1, "dead_letters": 0}},
        "sessions": {
            "by_status": {
                "pending": 3,
                "starting": 2,
                "qr_ready": 4,
                "connected": 1187,
                "disconnected": 9,
                "failed": 2,
            },
            "total": 1207,
        },
        "stuck_sessions": [
            {
                "id": "c41d7e2a-9b3f-4e6a-8d1c-5f2b7a9e0d34",
                "user_id": "a8e2f1c9-3d4b-4a7e-9c6f-1b0d2e3f4a5b",
                "chatbot_id": CHATBOT_ID,
                "status": "starting",
                "status_since": iso(now - timedelta(minutes=9)),
                "runner_id": "runner-7f3a3c",
                "lease_expires_at": iso(now - timedelta(minutes=6)),
                "last_error_code": "whatsapp_web_did_not_load",
                "reason": "opening_too_long",
            }
        ],
        "failures": {
            "since": hour(24),
            "by_hour": [
                {"hour": hour(3), "sessions": {"connection_lost": 2}, "messages": {"chatbot_timeout": 5}},
                {
                    "hour": hour(1),
                    "sessions": {},
                    "messages": {"chatbot_timeout": 1, "number_not_on_whatsapp": 3},
                },
                {"hour": hour(0), "sessions": {"whatsapp_web_did_not_load": 1}, "messages": {}},
            ],
        },
    }


def analytics(query: dict[str, list[str]]) -> dict:
    """GET /api/analytics by day for the period asked: a bakery's chatbot, busier at the weekend."""
    start, end = date.fromisoformat(query["from"][0]), date.fromisoformat(query["to"][0])
    days = [start + timedelta(days=n) for n in range((end - start).days)]

    def figures(messages_in: int, failed: int, new: int, conversations: int) -> dict:
        answered = messages_in - failed - (2 if messages_in else 0)
        return {
            "conversations": conversations, "new_customers": new,
            "returning_customers": conversations - new, "messages_in": messages_in,
            "messages_out": answered, "answered": answered, "failed": failed,
            "unanswered": messages_in - answered - failed, "replies_sent": answered,
            "replies_failed": failed, "replies_queued": 0,
            "reply_time_ms": {"count": answered, "p50": 2300, "p95": 8700},
            "failures": {"chatbot_timeout": failed} if failed else {},
            "media": {"inbound": {"image": messages_in // 12}, "outbound": {}},
        }  # fmt: skip

    buckets = []
    for n, day in enumerate(days):
        volume = (140 if day.weekday() >= 5 else 90) + (n * 7) % 25
        buckets.append({"start": f"{day.isoformat()}T00:00:00+00:00",
                        **figures(volume, n % 3, 4 + n % 5, volume // 4)})  # fmt: skip

    def total(name: str) -> int:
        return sum(bucket[name] for bucket in buckets)

    # A customer who writes on several days is one conversation of the period.
    totals = figures(
        total("messages_in"), total("failed"), total("new_customers"), total("conversations") * 2 // 3
    )
    totals["media"] = {"inbound": {"image": 61, "ptt": 23}, "outbound": {"document": 4}}
    by_hour = [0, 0, 0, 0, 0, 0, 2, 14, 48, 71, 64, 58, 77, 69, 41, 38, 45, 66, 93, 81, 52, 27, 9, 3]
    return {
        "chatbot_id": CHATBOT_ID, "session_id": None,
        "from": f"{start.isoformat()}T00:00:00+00:00", "to": f"{end.isoformat()}T00:00:00+00:00",
        "bucket": "day", "tz": query.get("tz", ["UTC"])[0], "totals": totals, "buckets": buckets,
        "busiest_hours": {"by_hour": by_hour, "by_weekday_hour": [[0] * 24 for _ in range(7)]},
    }  # fmt: skip


async def serve(page: Page, status: str, *, operator: bool = False, hash_page: str = "") -> None:
    config = {
        "apiUrl": "",  # the recorded API answers on the page's own origin
        "accessToken": "recorded-demo-token",
        "chatbotId": CHATBOT_ID,
        "userEmail": "rosa@example.com",
    }

    async def handle(route: Route) -> None:
        path = urlparse(route.request.url).path
        now = datetime.now(UTC)
        if path == "/config.js":
            body = f"window.__WAGATE__ = {json.dumps(config)};"
            await route.fulfill(status=200, content_type="text/javascript", body=body)
        elif path == "/api/sessions":
            await route.fulfill(json={"sessions": [session(status, now)]})
        elif path == f"/api/sessions/{SESSION_ID}":
            await route.fulfill(json=session(status, now))
        elif path == f"/api/sessions/{SESSION_ID}/messages":
            rows = messages(now) if status == "connected" else []
            await route.fulfill(json={"messages": rows, "next_cursor": None})
        elif path == "/api/admin/fleet":
            if operator:
                await route.fulfill(json=fleet(now))
            else:
                await route.fulfill(
                    status=404, json={"error": {"code": "not_found", "message": "no such route"}}
                )
        elif path == "/api/analytics":
            await route.fulfill(json=analytics(parse_qs(urlparse(route.request.url).query)))
        elif path == "/api/webhooks":
            await route.fulfill(json={"webhooks": []})
        else:
            file = DIST / (path.lstrip("/") or "index.html")
            if not file.is_file():
                await route.fulfill(status=404, body="not found")
                return
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            await route.fulfill(status=200, content_type=content_type, body=file.read_bytes())

    await page.route(f"{ORIGIN}/**", handle)
    hash_page = hash_page or ("fleet" if operator else "")
    await page.goto(f"{ORIGIN}/#{hash_page}" if hash_page else f"{ORIGIN}/")


async def main() -> None:
    if not (DIST / "index.html").exists():
        sys.exit(f"{DIST} is missing: run `npm run build` in dashboard/ first")
    DOCS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            desktop = await browser.new_page(viewport={"width": 1024, "height": 860})
            await serve(desktop, "qr_ready")
            await desktop.get_by_role("button", name="Connect WhatsApp").click()
            await expect(desktop.get_by_role("img", name="WhatsApp QR code", exact=False)).to_be_visible()
            await desktop.screenshot(path=DOCS / "dashboard-connect.png")

            connected = await browser.new_page(viewport={"width": 1024, "height": 860})
            await serve(connected, "connected")
            await expect(connected.get_by_text("Done: one sourdough saved")).to_be_visible()
            await connected.screenshot(path=DOCS / "dashboard-connected.png", full_page=True)

            phone = await browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
            await serve(phone, "qr_ready")
            await phone.get_by_role("button", name="Connect WhatsApp").click()
            await expect(phone.get_by_role("img", name="WhatsApp QR code", exact=False)).to_be_visible()
            overflow = await phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"the page is {overflow} px wider than a 360 px screen"
            await phone.screenshot(path=DOCS / "dashboard-phone.png")

            operator = await browser.new_page(viewport={"width": 1100, "height": 860})
            await serve(operator, "connected", operator=True)
            await expect(operator.get_by_role("heading", level=1, name="Fleet")).to_be_visible()
            await expect(operator.get_by_text("Gone", exact=True)).to_be_visible()
            await operator.screenshot(path=DOCS / "dashboard-fleet.png", full_page=True)

            owner = await browser.new_page(viewport={"width": 1100, "height": 860}, timezone_id="UTC")
            await serve(owner, "connected", hash_page="insights")
            await expect(owner.get_by_role("heading", level=1, name="Insights")).to_be_visible()
            await expect(owner.get_by_role("img", name="Busiest hours")).to_be_visible()
            await owner.locator(".recharts-bar-rectangle").first.wait_for()
            await owner.screenshot(path=DOCS / "dashboard-insights.png", full_page=True)
        finally:
            await browser.close()
    for name in (
        "dashboard-connect.png",
        "dashboard-connected.png",
        "dashboard-phone.png",
        "dashboard-fleet.png",
        "dashboard-insights.png",
    ):
        print(DOCS / name)


if __name__ == "__main__":
    asyncio.run(main())
