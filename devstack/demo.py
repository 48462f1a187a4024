"""make demo: the newcomer's first five minutes, on the local stack with the simulator.

Creates a session through the API, prints its QR code in the terminal, has the simulated phone
scan it, sends a customer message and shows the chatbot's reply arriving at the customer.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import qrcode

from devstack.stack import REPO, StackPaths, read_env_file


def _step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def _wait(check, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise SystemExit(f"demo: timed out waiting for {what}")


def run_demo(env: dict[str, str], state_dir: Path) -> None:
    import zxingcpp
    from PIL import Image

    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack",
            "--state-dir",
            str(state_dir),
            "token",
            "--email",
            "demo@wagate.local",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    api = httpx.Client(base_url=env["API_URL"], headers={"Authorization": f"Bearer {token}"}, timeout=15)
    sim = httpx.Client(base_url=env["SIMULATOR_URL"], timeout=15)

    _step("POST /api/sessions/create  (the dashboard's 'Connect WhatsApp')")
    session = api.post("/api/sessions/create", json={"chatbot_id": str(uuid.uuid4())}).json()
    print(f"    session {session['id']}: {session['status']}")

    started = time.monotonic()
    _wait(lambda: api.get(f"/api/sessions/{session['id']}").json()["status"] == "qr_ready", 60, "the QR code")
    print(f"    qr_ready after {time.monotonic() - started:.1f} s")
    png = api.get(f"/api/sessions/{session['id']}/qr").content
    qr_text = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text
    code = qrcode.QRCode(border=1)
    code.add_data(qr_text)
    code.print_ascii(invert=True)

    phone, customer = "4915100000042", "4917000000007"
    _step(f"the phone {phone} scans it (simulator: POST /control/scan)")
    sim.post("/control/scan", json={"qr": qr_text, "phone": phone, "name": "Demo Shop"}).raise_for_status()
    connected = _wait(
        lambda: (s := api.get(f"/api/sessions/{session['id']}").json())["status"] == "connected" and s,
        60,
        "connected",
    )
    print(f"    connected: {connected['phone_number']} ({connected.get('push_name')})")

    _step(f"a customer {customer} writes 'Hi! Do you deliver on Sundays?'")
    sim.post(
        "/control/messages", json={"from": customer, "to": phone, "text": "Hi! Do you deliver on Sundays?"}
    )
    sent_at = time.monotonic()
    received = _wait(
        lambda: sim.get("/control/messages", params={"number": customer}).json(), 60, "the reply"
    )
    print(f"    the customer received after {time.monotonic() - sent_at:.2f} s: {received[-1]['text']!r}")

    _step("GET /api/sessions/{id}/messages")
    for message in reversed(api.get(f"/api/sessions/{session['id']}/messages").json()["messages"]):
        print(f"    {message['direction']:<8} {message['status']:<8} {message['content']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", default=str(REPO / ".local"))
    args = parser.parse_args()
    paths = StackPaths(Path(args.state_dir).resolve())
    started_here = False
    if not (paths.running_pid() and paths.env_file.exists()):
        _step("starting the local stack with the simulator (make up SIM=1)")
        subprocess.run(
            [sys.executable, "-m", "devstack", "--state-dir", str(paths.state_dir), "up", "--sim"], check=True
        )
        started_here = True
    env = read_env_file(paths.env_file)
    if "SIMULATOR_URL" not in env:
        print("demo: the running stack has no simulator; `make down`, then `make demo`", file=sys.stderr)
        return 1
    try:
        run_demo(env, paths.state_dir)
    finally:
        if started_here:
            _step("stopping the stack (make down)")
            subprocess.run(
                [sys.executable, "-m", "devstack", "--state-dir", str(paths.state_dir), "down"], check=False
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
