"""wagate's REST API (AWS Chalice): routes, and the webhook dispatcher's schedule; the logic is in
`wagate.service` and `wagate.webhooks`.

Routes live in `chalicelib/routes/` as Blueprints; clients are built lazily in `chalicelib/deps.py`;
errors become HTTP responses in `chalicelib/errors.py`. The shared package `wagate` is packaged
through the symlink `vendor/wagate`.
"""

from __future__ import annotations

from chalice import Chalice, Rate
from chalicelib import deps
from chalicelib.errors import normalize_chalice_errors
from chalicelib.http import add_cors_headers
from chalicelib.routes.admin import admin
from chalicelib.routes.analytics import analytics
from chalicelib.routes.chatbots import chatbots
from chalicelib.routes.messages import messages
from chalicelib.routes.meta import meta
from chalicelib.routes.sessions import sessions
from chalicelib.routes.webhooks import webhooks

app = Chalice(app_name="wagate-api")
app.register_middleware(normalize_chalice_errors, "http")
app.register_middleware(add_cors_headers, "http")
app.register_blueprint(meta)
app.register_blueprint(sessions)
app.register_blueprint(messages)
app.register_blueprint(chatbots)
app.register_blueprint(webhooks)
app.register_blueprint(admin)
app.register_blueprint(analytics)


# The webhook dispatcher (wagate/webhooks.py): started every minute, it dispatches for
# WEBHOOK_RUN_S (50 s) of it; runs overlap safely (deliveries are claimed with SKIP LOCKED).
# A schedule rather than an SQS source: the events are rows in Postgres, written by its triggers,
# and nothing outside the database would know when to send a message to wake a consumer.
@app.schedule(Rate(1, unit=Rate.MINUTES), name="webhook-dispatcher")
def dispatch_webhooks(event: object) -> dict:
    import asyncio

    from wagate.webhooks import dispatch_for

    dispatcher = asyncio.run(dispatch_for(deps.settings()))
    return {"delivered": dispatcher.delivered, "failed_attempts": dispatcher.failed_attempts}
