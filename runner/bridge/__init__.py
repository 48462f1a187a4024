"""The JavaScript bridge injected into WhatsApp Web (`add_init_script`): its parts joined into one
script, with the runner's settings for it (see core.js for what each part does)."""

from __future__ import annotations

import json
from pathlib import Path

PARTS = ("core.js", "messages.js", "send.js", "media.js", "main.js")
_SOURCE = "\n".join((Path(__file__).parent / part).read_text() for part in PARTS)


def bridge_script(
    *, modules_wait_ms: int = 40_000, ciphertext_wait_ms: int = 60_000, send_result_wait_ms: int = 10_000
) -> str:
    """The bridge as one script. `modules_wait_ms`: how long the chat and message modules may take
    to register; `ciphertext_wait_ms`: how long an undecrypted message may wait to decrypt;
    `send_result_wait_ms`: how long a send's result is waited for (acks tell the rest)."""
    settings = json.dumps(
        {
            "modulesWaitMs": modules_wait_ms,
            "ciphertextWaitMs": ciphertext_wait_ms,
            "sendResultWaitMs": send_result_wait_ms,
        }
    )
    return f"(() => {{\nconst SETTINGS = {settings};\n{_SOURCE}\n}})();\n"


BRIDGE_JS = bridge_script()
