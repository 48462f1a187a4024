"""The JavaScript bridge injected into WhatsApp Web (bridge.js), as text for `add_init_script`."""

from __future__ import annotations

from pathlib import Path

BRIDGE_JS = (Path(__file__).parent / "bridge.js").read_text()
