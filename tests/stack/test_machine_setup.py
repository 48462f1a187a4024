"""What a fresh machine needs, and starting right after a stop: `make install` installs what the
machine lacks (as root on Debian) or stops at once with the command to run; `make down` then
`make up` at once works on the default ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.stack import DEFAULT_PORTS, StackPaths

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "devstack" / "system-packages.sh"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_a_machine_with_everything_needs_nothing() -> None:
    done = _run({k: v for k, v in os.environ.items() if k != "CHROMIUM_PATH"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    # Playwright's own browser chosen: no system Chromium needed
    assert _run({**os.environ, "CHROMIUM_PATH": ""}).returncode == 0


def test_what_is_missing_is_named_with_the_command_to_run(tmp_path: Path) -> None:
    """No Node, npm, setpriv or apt-get on this PATH: the script stops and prints the command."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").symlink_to(shutil.which("id"))
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    done = subprocess.run(["/bin/bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "sudo apt-get install -y nodejs npm util-linux" in done.stderr
    wrong = _run({**os.environ, "CHROMIUM_PATH": str(tmp_path / "no-such-chromium")})
    assert wrong.returncode == 1 and "is not an executable" in wrong.stderr


def test_the_default_ports_are_never_a_clients_own_port() -> None:
    """A client connection takes its own port from the kernel's ephemeral range; once it closes,
    that port stays in TIME_WAIT for a minute and a server cannot bind it (SO_REUSEADDR or not):
    the stack's ports are outside the range, so `make up` right after `make down` finds them free."""
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    inside = {name: port for name, port in DEFAULT_PORTS.items() if low <= port <= high}
    assert not inside, f"in the ephemeral range {low}-{high}: {inside}"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_down_then_up_at_once_on_the_default_ports(tmp_path: Path) -> None:
    busy = [port for port in DEFAULT_PORTS.values() if _listening(port)]
    if busy:
        pytest.skip(f"a local stack (or another server) already listens on {busy}: `make down` first")
    cli = [sys.executable, "-m", "devstack", "--state-dir", str(tmp_path / "state")]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNERS", "SIM")}
    paths = StackPaths(tmp_path / "state")
    for _ in range(2):
        up = subprocess.run(
            [*cli, "up"], env={**env, "SIM": "1"}, capture_output=True, text=True, timeout=180
        )
        try:
            assert up.returncode == 0, up.stdout + up.stderr
            assert paths.running_pid() is not None
        finally:
            subprocess.run([*cli, "down"], check=True, env=env, capture_output=True, timeout=150)
