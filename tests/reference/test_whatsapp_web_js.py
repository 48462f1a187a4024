"""The reference: whatsapp-web.js 1.34.7, the npm package unmodified, drives the simulator the way it
drives WhatsApp Web. Its Chromium opens https://web.whatsapp.com/, which resolves to the simulator
served over TLS (a certificate made here); the library shows a QR, the phone scans it through the
control API, and a customer's message is answered with `msg.reply("pong: " + body)`; a customer's
media is downloaded with `msg.downloadMedia()` and sent back with `MessageMedia`.

When this fails, the simulator differs from WhatsApp Web somewhere the library depends on: change
the simulator toward the library, never the other way. `make test` installs the package
(`cd tests/reference && PUPPETEER_SKIP_DOWNLOAD=1 npm ci`)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from simulator.testing import SimulatorProcess, media_payload
from simulator.tls import write_self_signed_certificate
from tests.reliability.chromium import descendants
from tests.simulator import media_samples
from wagate.browser import chromium_executable

REFERENCE_DIR = Path(__file__).resolve().parent
SCRIPT = REFERENCE_DIR / "wwebjs_client.js"
INSTALL_HINT = "cd tests/reference && PUPPETEER_SKIP_DOWNLOAD=1 npm ci"
STEP_TIMEOUT_S = 90.0
PHONE = "15550100"
LID_CUSTOMER = "4917600012345"
CUSTOMER = "4915112345678"

# whatsapp-web.js only goes on (authenticated, ready) on a change of `hasSynced`, and subscribes to it
# several DevTools round trips after showing the QR; the simulator's 300 ms default can beat that.
SIMULATOR_SETTINGS = {"sync_ms": 2000}


class WwebjsClient:
    """`node wwebjs_client.js` with its Chromium: its JSON event lines, waited for in order."""

    def __init__(self, port: int, stderr_path: Path) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("Node (>= 18) is needed for the whatsapp-web.js reference test")
        if not (REFERENCE_DIR / "node_modules" / "whatsapp-web.js" / "package.json").is_file():
            pytest.fail(f"whatsapp-web.js is not installed: run `{INSTALL_HINT}` (make test does)")
        chromium = chromium_executable()
        if not chromium:
            pytest.fail("whatsapp-web.js needs Chromium: apt-get install chromium, or set CHROMIUM_PATH")
        self.stderr_path = stderr_path
        self.events: list[dict] = []
        self._tree: dict[int, int] = {}  # pid → start time, of the script's descendants seen so far
        self._lines: queue.Queue[dict | None] = queue.Queue()
        self._stderr = stderr_path.open("w")
        self.process = subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=REFERENCE_DIR,
            env={**os.environ, "SIMULATOR_PORT": str(port), "CHROMIUM_PATH": chromium},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "stdout", "text": line.rstrip()}
            self._lines.put(event)
        self._lines.put(None)  # the script's stdout closed

    def wait_for(self, name: str, timeout: float = STEP_TIMEOUT_S) -> dict:
        """The next `name` event; fails on an error event, an early exit, or after `timeout`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if event is None:
                self._lines.put(None)
                self.process.wait(5)
                self.fail(f"the script exited ({self.process.returncode}) before `{name}`")
            self.events.append(event)
            self._note_tree()
            if event["event"] == "error":
                self.fail(f"the script reported an error before `{name}`: {event.get('message')}")
            if event["event"] == name:
                return event
        self.fail(f"no `{name}` event within {timeout:.0f} s")

    def page_errors(self) -> list[dict]:
        """Page errors so far, including those printed after the last event waited for."""
        while True:
            try:
                event = self._lines.get_nowait()
            except queue.Empty:
                break
            if event is None:
                self._lines.put(None)
                break
            self.events.append(event)
        return [event for event in self.events if event["event"] == "page_error"]

    def fail(self, reason: str) -> NoReturn:
        seen = "\n".join(json.dumps(event)[:500] for event in self.events[-20:]) or "(none)"
        self._stderr.flush()
        stderr_tail = "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-30:])
        pytest.fail(
            f"whatsapp-web.js: {reason}\n--- its last events ---\n{seen}\n"
            f"--- its stderr (tail) ---\n{stderr_tail or '(empty)'}",
            pytrace=False,
        )

    def _note_tree(self) -> None:
        if self.process.poll() is None:
            for pid in descendants(self.process.pid):
                if (started := _start_time(pid)) is not None:
                    self._tree.setdefault(pid, started)

    def stop(self) -> None:
        """The script closes its browser on SIGTERM; whatever is left of its tree is killed. Chromium
        runs in a process group of its own (Puppeteer detaches it), so the tree is noted as the
        script runs and before it is stopped; a pid is killed only if it is still that process."""
        self._note_tree()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for pid, started in self._tree.items():
            if _start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self._stderr.close()


def _start_time(pid: int) -> int | None:
    """When `pid` started (clock ticks since boot): tells a process from a later one with its pid."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture
def tls_simulator(tmp_path: Path) -> Iterator[SimulatorProcess]:
    tls = write_self_signed_certificate(tmp_path / "tls")
    with SimulatorProcess(tls=tls, **SIMULATOR_SETTINGS) as simulator:
        yield simulator


@pytest.fixture
def wwebjs(tls_simulator: SimulatorProcess, tmp_path: Path) -> Iterator[WwebjsClient]:
    client = WwebjsClient(tls_simulator.port, tmp_path / "wwebjs-stderr.log")
    try:
        yield client
    finally:
        client.stop()


def link(control, wwebjs: WwebjsClient) -> None:
    qr = wwebjs.wait_for("qr")["qr"]
    assert qr.startswith("2@") and qr.endswith(",WEB"), qr
    linked = control.scan(qr, phone=PHONE, name="Shop")
    assert linked["phone"] == PHONE
    wwebjs.wait_for("authenticated")
    ready = wwebjs.wait_for("ready")
    assert ready["wid"] == f"{PHONE}@c.us", ready


def wait_received(control, wwebjs: WwebjsClient, number: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 10
    while len(received := control.received(number)) < count:
        if time.monotonic() > deadline:
            wwebjs.fail(f"{number} received {len(received)} of {count} messages: {received}")
        time.sleep(0.1)
    return received


def test_whatsapp_web_js_links_receives_and_replies(
    tls_simulator: SimulatorProcess, wwebjs: WwebjsClient
) -> None:
    control = tls_simulator.control
    link(control, wwebjs)

    text = "hello from the reference test"
    control.send_message(CUSTOMER, PHONE, text, name="Maria")
    message = wwebjs.wait_for("message")
    assert (message["from"], message["to"], message["body"], message["type"]) == (
        f"{CUSTOMER}@c.us", f"{PHONE}@c.us", text, "chat"
    ), message  # fmt: skip

    replied = wwebjs.wait_for("replied")
    assert replied["body"] == f"pong: {text}" and replied["to"] == f"{CUSTOMER}@c.us", replied
    assert replied["hasQuotedMsg"], "the reply should quote the customer's message (msgContextInfo)"

    deadline = time.monotonic() + 10
    while not (received := [m for m in control.received(CUSTOMER) if m["text"] == f"pong: {text}"]):
        if time.monotonic() > deadline:
            wwebjs.fail(f"the customer never received the reply: {control.received(CUSTOMER)}")
        time.sleep(0.1)
    assert received[0]["from"] == PHONE and received[0]["ack"] >= 1, received

    # A customer who writes by LID and hides their phone number, as most do on WhatsApp in 2026:
    # whatsapp-web.js gets `<lid>@lid` and its reply goes into that chat (from our LID).
    lid_text = "hello from a LID customer"
    control.send_message(LID_CUSTOMER, PHONE, lid_text, addressing="lid", phone_visible=False)
    message = wwebjs.wait_for("message")
    assert message["from"].endswith("@lid") and message["body"] == lid_text, message
    replied = wwebjs.wait_for("replied")
    assert replied["to"] == message["from"], replied
    deadline = time.monotonic() + 10
    while not [m for m in control.received(LID_CUSTOMER) if m["text"] == f"pong: {lid_text}"]:
        if time.monotonic() > deadline:
            wwebjs.fail(f"the LID customer never received the reply: {control.received(LID_CUSTOMER)}")
        time.sleep(0.1)
    assert not wwebjs.page_errors(), f"the page threw while whatsapp-web.js drove it: {wwebjs.page_errors()}"


def test_whatsapp_web_js_downloads_media_and_sends_media_back(
    tls_simulator: SimulatorProcess, wwebjs: WwebjsClient
) -> None:
    """The library, unmodified, downloads a customer's image, voice note and document
    (`msg.downloadMedia()`) and sends each back with `MessageMedia`: the image with a caption, the
    voice note with `sendAudioAsVoice`, the document with `sendMediaAsDocument`. Same bytes at both ends."""
    control = tls_simulator.control
    link(control, wwebjs)
    files = [
        ("image", media_samples.png(), "image/png", None, "a photo of the part", "image"),
        ("ptt", media_samples.wav(), "audio/wav", None, None, "ptt"),
        ("document", media_samples.pdf(), "application/pdf", "order 7.pdf", "the order", "document"),
    ]
    for count, (kind, data, mime, filename, caption, sent_type) in enumerate(files, start=1):
        control.send_message(
            CUSTOMER,
            PHONE,
            None,
            name="Maria",
            type=kind,
            caption=caption,
            media=media_payload(data, mime, filename),
        )
        message = wwebjs.wait_for("message")
        assert (message["type"], message["hasMedia"], message["body"]) == (kind, True, caption or ""), message
        downloaded = wwebjs.wait_for("media_downloaded")
        assert downloaded["downloaded"] and downloaded["sha256"] == media_samples.sha256(data), downloaded
        assert (downloaded["mimetype"], downloaded.get("filename"), downloaded["filesize"]) == (
            mime,
            filename,
            len(data),
        )
        sent = wwebjs.wait_for("media_sent")
        assert (sent["type"], sent["hasMedia"], sent["to"]) == (sent_type, True, f"{CUSTOMER}@c.us"), sent
        echoed = wait_received(control, wwebjs, CUSTOMER, count)[-1]
        assert echoed["id"] == sent["id"].split("_")[-1] and echoed["type"] == sent_type, echoed
        assert echoed["media"]["sha256"] == media_samples.sha256(data), echoed
        assert echoed["caption"] == (f"echo: {caption or ''}" if kind == "image" else None), echoed
        if kind == "document":
            assert echoed["media"]["filename"] == filename, echoed
        assert control.media(echoed["id"]) == data

    # Expired media: the library reports it cannot download it (undefined), and the page throws nothing.
    control.fail_media("expired")
    control.send_message(
        CUSTOMER, PHONE, None, type="image", media=media_payload(media_samples.png(), "image/png")
    )
    wwebjs.wait_for("message")
    assert wwebjs.wait_for("media_downloaded")["downloaded"] is False
    assert not wwebjs.page_errors(), f"the page threw while whatsapp-web.js drove it: {wwebjs.page_errors()}"
