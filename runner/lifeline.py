"""The browser dies with its runner, at once, wherever the runner runs.

Playwright starts its driver (Node) as a child of the runner, and the driver starts Chromium (in a
process group of its own). When the runner's Python process is killed alone (an OOM kill, a crash)
nothing tells them: the driver notices its closed pipe late or never, and Chromium's page stays
online, takes customers' messages and confirms them to WhatsApp with nobody left to store them.
In a container the kernel ends the whole PID namespace with its first process; elsewhere (the local
stack, a VM) it does not.

So the driver and the browser are started through two tiny launchers that ask the kernel to
SIGKILL them when their parent dies (`prctl(PR_SET_PDEATHSIG)`, through util-linux's `setpriv`,
then `exec`: the same process, no extra one): the driver dies with the runner, the browser with the
driver, and Chromium's own children with the browser (they exit when its IPC channel closes).
`python -m bench lifeline` measures the window with and without them.
"""

from __future__ import annotations

import atexit
import logging
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from playwright._impl._driver import compute_driver_executable

log = logging.getLogger("runner.lifeline")

NODE_PATH_VARIABLE = "PLAYWRIGHT_NODEJS_PATH"  # Playwright's own setting for the driver's Node


@dataclass(frozen=True)
class Lifeline:
    directory: Path
    setpriv: str

    def launcher(self, name: str, target: str) -> str:
        """An executable that runs `target` as itself, SIGKILLed by the kernel when its parent dies."""
        path = self.directory / name
        path.write_text(
            "#!/bin/sh\n"
            "# wagate: killed by the kernel when its parent dies, then runs the program as itself.\n"
            f'exec {shlex.quote(self.setpriv)} --pdeathsig KILL -- {shlex.quote(target)} "$@"\n'
        )
        path.chmod(0o700)
        return str(path)


_installed: Lifeline | None = None


def install() -> Lifeline | None:
    """Point Playwright's driver at a launcher of its Node (call before Playwright starts; once per
    process). None where the kernel cannot do it (no `setpriv`, not Linux): the runner says so."""
    global _installed
    if _installed is not None:
        return _installed
    setpriv = shutil.which("setpriv")
    if setpriv is None or not os.path.isdir("/proc/self"):
        log.warning("setpriv not found: Chromium may outlive a runner killed alone (install util-linux)")
        return None
    lifeline = Lifeline(Path(tempfile.mkdtemp(prefix="wagate-lifeline-")), setpriv)
    atexit.register(shutil.rmtree, lifeline.directory, True)
    node = os.environ.get(NODE_PATH_VARIABLE) or compute_driver_executable()[0]
    os.environ[NODE_PATH_VARIABLE] = lifeline.launcher("node", node)
    _installed = lifeline
    return lifeline
