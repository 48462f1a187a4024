"""wagate's REST API (AWS Chalice): routes only; the logic is in `wagate.service`.

Routes live in `chalicelib/routes/` as Blueprints; clients are built lazily in `chalicelib/deps.py`;
errors become HTTP responses in `chalicelib/errors.py`. The shared package `wagate` is packaged
through the symlink `vendor/wagate`.
"""

from __future__ import annotations

from chalice import Chalice
from chalicelib.errors import normalize_chalice_errors
from chalicelib.http import add_cors_headers
from chalicelib.routes.chatbots import chatbots
from chalicelib.routes.messages import messages
from chalicelib.routes.meta import meta
from chalicelib.routes.sessions import sessions

app = Chalice(app_name="wagate-api")
app.register_middleware(normalize_chalice_errors, "http")
app.register_middleware(add_cors_headers, "http")
app.register_blueprint(meta)
app.register_blueprint(sessions)
app.register_blueprint(messages)
app.register_blueprint(chatbots)
