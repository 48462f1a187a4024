"""Retry timing, as a pure function (dramatiq's compute_backoff)."""

from __future__ import annotations

import random


def compute_backoff(
    attempt: int,
    *,
    base_s: float = 0.2,
    factor: float = 2.0,
    max_s: float = 10.0,
    jitter: float = 0.1,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number `attempt` (1-based): exponential, capped, with jitter."""
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    delay = min(max_s, base_s * factor ** (attempt - 1))
    spread = delay * jitter
    return max(0.0, delay + (rng or random).uniform(-spread, spread))
