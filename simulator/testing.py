"""Helpers for test suites that need the simulator: run it as a process, drive its control API.

    with SimulatorProcess(ref_first_ms=2000, ref_next_ms=1000, ref_count=3) as sim:
        page.goto(sim.url)
        ...
        sim.control.scan(qr_string, phone="15550100")
        message_id = sim.control.send_message("4915112345678", "15550100", "hi")
        sim.control.received("4915112345678")

`sim.acontrol` is the same client for asyncio code. `decode_qr_png` reads the QR string out of a PNG
(bytes, base64 or a data URL), e.g. the gateway's QR image, so it can be scanned here.

`SimulatorProcess(tls=write_self_signed_certificate(tmp_dir))` serves HTTPS (`simulator.tls`); its
`url` and control clients then use https and trust that certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from simulator.control_client import (
    AsyncSimulatorControl,
    SimulatorControl,
    SimulatorControlError,
    media_payload,
)
from simulator.qr import decode_qr_png
from simulator.tls import TlsFiles

__all__ = [
    "AsyncSimulatorControl",
    "SimulatorControl",
    "SimulatorControlError",
    "SimulatorProcess",
    "decode_qr_png",
    "free_port",
    "media_payload",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
_READY_LINE = re.compile(r"simulator ready on https?://[^:/]+:(\d+)/")


def _temporary_log_path() -> Path:
    handle, path = tempfile.mkstemp(prefix="simulator-", suffix=".log")
    os.close(handle)
    return Path(path)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class SimulatorProcess:
    """`python -m simulator` as a child process (on a free port unless `port` is given), with settings.

    Settings are `SimulatorConfig` names: `SimulatorProcess(ref_first_ms=2000, ack_read_ms=-1)`.
    Use it as a (sync or async) context manager, or call `start()` / `stop()`. Its output goes to
    `log_path` (a temporary file unless given); a failed start raises with the output's tail.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 20.0,
        log_path: str | os.PathLike | None = None,
        tls: TlsFiles | None = None,
        **settings: Any,
    ) -> None:
        self.host = host
        self.tls = tls
        self.port = port
        self._requested_port = port
        self.settings = settings
        self.startup_timeout = startup_timeout
        self._owns_log = log_path is None
        self.log_path = Path(log_path) if log_path else _temporary_log_path()
        self._process: subprocess.Popen | None = None
        self._control: SimulatorControl | None = None
        self._acontrol: AsyncSimulatorControl | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the simulator has not started yet (its port is chosen at start)")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/"

    @property
    def _verify(self) -> ssl.SSLContext | bool:
        return self.tls.client_context() if self.tls else True

    @property
    def control(self) -> SimulatorControl:
        if self._control is None:
            self._control = SimulatorControl(self.url, verify=self._verify)
        return self._control

    @property
    def acontrol(self) -> AsyncSimulatorControl:
        if self._acontrol is None:
            self._acontrol = AsyncSimulatorControl(self.url, verify=self._verify)
        return self._acontrol

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "simulator", "--host", self.host, "--port", str(self.port or 0)]
        for name, value in self.settings.items():
            args += ["--" + name.replace("_", "-"), str(value)]
        if self.tls:
            args += ["--tls-cert", str(self.tls.cert_path), "--tls-key", str(self.tls.key_path)]
        return args

    def start(self) -> SimulatorProcess:
        self.port = self._requested_port
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        }
        with self.log_path.open("w") as log:
            self._process = subprocess.Popen(self.command(), env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            return self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self) -> SimulatorProcess:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        verify = self._verify
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"the simulator exited with {self._process.returncode}: {self._log_tail()}"
                )
            if self.port is None:
                self.port = self._announced_port()
            if self.port is not None:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(self.url + "control/health", timeout=1.0, verify=verify).status_code == 200:
                        return self
            time.sleep(0.05)
        raise TimeoutError(
            f"the simulator did not become healthy within {self.startup_timeout}s: {self._log_tail()}"
        )

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and self._owns_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> SimulatorProcess:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc_info: object) -> None:
        if self._acontrol is not None:
            await self._acontrol.aclose()
            self._acontrol = None
        await asyncio.to_thread(self.stop)

    def _announced_port(self) -> int | None:
        with contextlib.suppress(OSError):
            found = _READY_LINE.search(self.log_path.read_text())
            return int(found.group(1)) if found else None
        return None

    def _log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        return ""
