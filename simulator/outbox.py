"""A linked device's pending frames: what the server still owes the page, kept until the page confirms.

The WhatsApp server holds messages for a companion device while it is offline and delivers them when
it reconnects. Here every frame for a device gets a sequence number; the page confirms with
`{"t": "receipt", "upto": seq}`, and a reconnecting page gets everything after its last confirmation.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class DeviceOutbox:
    confirmed_seq: int = 0
    last_seq: int = 0
    _frames: deque[tuple[int, dict]] = field(default_factory=deque)

    def push(self, frame: dict) -> int:
        self.last_seq += 1
        self._frames.append((self.last_seq, {**frame, "seq": self.last_seq}))
        return self.last_seq

    def after(self, seq: int) -> list[dict]:
        """Frames newer than `seq`, oldest first."""
        return [frame for number, frame in self._frames if number > seq]

    def confirm(self, upto: int) -> list[dict]:
        """Drop frames up to `upto` (the page has them); returns the dropped frames."""
        dropped: list[dict] = []
        while self._frames and self._frames[0][0] <= upto:
            dropped.append(self._frames.popleft()[1])
        self.confirmed_seq = max(self.confirmed_seq, min(upto, self.last_seq))
        return dropped

    def __len__(self) -> int:
        return len(self._frames)
