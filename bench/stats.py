"""Pure numbers: summaries (min/median/p99), linear fits, target checks. No I/O."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summary(values: Sequence[float], *, digits: int = 2) -> dict:
    """count, min, median, p90, p99, max and mean of `values` (rounded)."""
    if not values:
        return {"count": 0}
    r = lambda v: round(float(v), digits)  # noqa: E731
    return {
        "count": len(values),
        "min": r(min(values)),
        "median": r(statistics.median(values)),
        "p90": r(percentile(values, 90)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values)),
        "mean": r(statistics.fmean(values)),
    }


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares (slope, intercept) of ys over xs."""
    if len(xs) < 2:
        raise ValueError("a fit needs at least two points")
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        raise ValueError("a fit needs at least two distinct x values")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var
    return slope, mean_y - slope * mean_x


def target(name: str, value: float | None, limit: float, *, at_most: bool = True, unit: str = "") -> dict:
    """One entry of the JSON's `targets`: met when value <= limit (or >= with at_most=False).
    A value of None (not measurable in this run) is never met."""
    met = value is not None and not (isinstance(value, float) and math.isnan(value))
    if met:
        met = value <= limit if at_most else value >= limit
    return {
        "name": name,
        "value": None if value is None else round(float(value), 3),
        "target": f"{'<=' if at_most else '>='} {limit}{(' ' + unit) if unit else ''}",
        "met": bool(met),
    }


def ms(seconds: float) -> float:
    return seconds * 1000.0
