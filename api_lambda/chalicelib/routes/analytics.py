"""Analytics routes: a chatbot's figures (JSON or CSV) and its message history as CSV."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.http import caller, json_response, query, route
from wagate.analytics import export_cursor
from wagate.analytics_csv import figures_csv, history_csv
from wagate.errors import InvalidInput

analytics = Blueprint(__name__)

FORMATS = ("json", "csv")
NEXT_CURSOR_HEADER = "X-Wagate-Next-Cursor"


def csv_response(text: str, filename: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            **(headers or {}),
        },
    )


@route(analytics, "/api/analytics", method="GET")
def get_analytics() -> Response:
    request = analytics.current_request
    user = caller(request)
    params = query(request)
    output = params.get("format", "json")
    if output not in FORMATS:
        raise InvalidInput("'format' must be json or csv", code="invalid_parameter")
    report = deps.service().analytics.report(user, params)
    if output == "json":
        return json_response(report)
    return csv_response(figures_csv(report), f"analytics-{report['chatbot_id']}-{report['bucket']}.csv")


@route(analytics, "/api/analytics/messages.csv", method="GET")
def export_messages() -> Response:
    """The period's messages, oldest first; a capped export names where the next one starts."""
    request = analytics.current_request
    user = caller(request)
    period, pages = deps.service().analytics.history(user, query(request))
    text, last = history_csv(pages)
    headers = {NEXT_CURSOR_HEADER: export_cursor(last)} if last is not None else {}
    return csv_response(text, f"messages-{period.chatbot_id}.csv", headers)
