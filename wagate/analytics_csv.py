"""CSV exports of the analytics: the figures (a row per bucket and a total row) and the message
history of a period.

Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula, and a customer writes whatever they like: such text cells get a leading `'` (OWASP's
CSV injection advice) and every cell is quoted. An answer of a Lambda behind API Gateway is at
most 6 MB, counted as the JSON that carries it: the history export stops before that
(`MAX_EXPORT_BYTES`) and says where to go on.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from wagate.analytics import COUNTS
from wagate.media import MESSAGE_TYPES
from wagate.store import Row

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_EXPORT_BYTES = 5_000_000  # of the response's JSON encoding (Lambda's limit: 6 MB)
MEDIA_COLUMNS = tuple(kind for kind in MESSAGE_TYPES if kind != "chat")
HISTORY_HEADER = (
    "id",
    "timestamp",
    "session_id",
    "direction",
    "customer",
    "customer_phone",
    "customer_lid",
    "chat_id",
    "type",
    "status",
    "error_code",
    "reply_to",
    "content",
    "media_filename",
)


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet may read it: text that could start a formula is prefixed with `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _line(cells: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow([safe_cell(c) for c in cells])
    return out.getvalue()


def figures_csv(report: Mapping[str, Any]) -> str:
    """One row per bucket, then `total`: the counts, reply times, failures by code and media by
    direction and type (the columns of every media type, of every failure code in the period)."""
    codes = sorted(report["totals"]["failures"])
    header = [
        "bucket_start",
        *COUNTS,
        "reply_time_count",
        "reply_time_p50_ms",
        "reply_time_p95_ms",
        *(f"failures:{code}" for code in codes),
        *(f"media_in:{kind}" for kind in MEDIA_COLUMNS),
        *(f"media_out:{kind}" for kind in MEDIA_COLUMNS),
    ]

    def row(start: str, figures: Mapping[str, Any]) -> list[Any]:
        times, media = figures["reply_time_ms"], figures["media"]
        return [
            start,
            *(figures[name] for name in COUNTS),
            times["count"],
            times["p50"],
            times["p95"],
            *(figures["failures"].get(code, 0) for code in codes),
            *(media.get("inbound", {}).get(kind, 0) for kind in MEDIA_COLUMNS),
            *(media.get("outbound", {}).get(kind, 0) for kind in MEDIA_COLUMNS),
        ]

    lines = [_line(header)]
    lines += [_line(row(bucket["start"], bucket)) for bucket in report["buckets"]]
    lines.append(_line(row("total", report["totals"])))
    return "".join(lines)


def customer_of(row: Mapping[str, Any]) -> str:
    """The customer as the figures count them: phone, else LID, else the other party's number."""
    other = row["from_number"] if row["direction"] == "inbound" else row["to_number"]
    return row.get("customer_phone") or row.get("customer_lid") or other


def history_csv(pages: Iterable[list[Row]], *, max_bytes: int = MAX_EXPORT_BYTES) -> tuple[str, Row | None]:
    """The messages as CSV, and the last row written when the export stopped at `max_bytes`
    (None: complete)."""
    lines = [_line(HISTORY_HEADER)]
    size = _encoded_size(lines[0])
    last: Row | None = None
    for page in pages:
        for row in page:
            line = _line(
                [
                    row["id"],
                    row["timestamp"],
                    row["session_id"],
                    row["direction"],
                    customer_of(row),
                    *(row.get(name) for name in HISTORY_HEADER[5:]),
                ]
            )
            cost = _encoded_size(line)
            if size + cost > max_bytes:
                return "".join(lines), last
            lines.append(line)
            size += cost
            last = row
    return "".join(lines), None


def _encoded_size(text: str) -> int:
    """Bytes `text` takes in the JSON of a Lambda proxy answer (non-ASCII and quotes are escaped)."""
    return len(json.dumps(text)) - 2
