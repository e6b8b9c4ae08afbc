"""The action server: rasa-sdk's own app, answering only Rasa.

`python -m bot.action_server --port 5055` (started by `bot.cli start_services`). Actions
take the traveller's identity from the tracker in the request body, so whoever can post
to /webhook can act as any traveller. Before any action runs, every request except
/health must therefore carry the secret Rasa sends (``endpoints.yml``:
``action_endpoint.headers``), compared in constant time: missing → 401, wrong → 403.
Compressed bodies are refused (415) before rasa-sdk would inflate them, and Sanic refuses
bodies over :data:`MAX_BODY_BYTES` (413) before reading them. The server listens on
``TRIPDESK_ACTIONS_HOST`` (bot/exposure.py), 127.0.0.1 unless a private network is named.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from typing import List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import DEFAULT_SERVER_PORT
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import exposure

log = logging.getLogger(__name__)

SECRET_HEADER = "X-TripDesk-Action-Secret"  # noqa: S105 (a header name; endpoints.yml sends it)
# A call carries the domain (35 KB as JSON) and the tracker of the current session
# (sessions expire after 60 idle minutes): a 60-turn conversation of searches, bookings
# listed, cancellations started and FAQs measured 0.32 MB (455 events), so 2 MB leaves
# room for a conversation six times as long.
MAX_BODY_BYTES = 2 * 1024 * 1024
UNGUARDED_PATHS = ("/health",)
PLAIN_ENCODINGS = ("", "identity")


def refusal(request: Request, secret: str) -> Optional[HTTPResponse]:
    """Why this request must not reach rasa-sdk's handlers, as a response; None if it may."""
    if request.path in UNGUARDED_PATHS:
        return None
    provided = request.headers.get(SECRET_HEADER)
    if not provided:
        return response.json({"error": f"missing {SECRET_HEADER}"}, status=401)
    if not hmac.compare_digest(provided.encode("utf-8"), secret.encode("utf-8")):
        return response.json({"error": f"wrong {SECRET_HEADER}"}, status=403)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in PLAIN_ENCODINGS:
        return response.json({"error": "compressed bodies are not accepted"}, status=415)
    return None


def guarded_app(secret: str, actions_package: str = "actions",
                max_body_bytes: int = MAX_BODY_BYTES) -> Sanic:
    """rasa-sdk's app (no cross-origin access) behind the secret, encoding and size checks."""
    if not secret:
        raise ValueError(f"{exposure.ACTIONS_SECRET_ENV} is empty")
    app = create_app(actions_package, cors_origins=None)
    app.config.REQUEST_MAX_SIZE = max_body_bytes

    @app.middleware("request")
    async def only_rasa(request: Request) -> Optional[HTTPResponse]:
        return refusal(request, secret)

    @app.exception(SanicException)
    async def as_sanic_says(_: Request, error: SanicException) -> HTTPResponse:
        """Sanic's own refusals (413 too large, 400 bad JSON) keep their status; rasa-sdk's
        catch-all handler would turn them into 500 and echo the body."""
        return response.json({"error": str(error)}, status=error.status_code)

    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.action_server", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_SERVER_PORT)
    parser.add_argument("--actions", default="actions", help="package holding the actions")
    args = parser.parse_args(argv)
    secret = os.environ.get(exposure.ACTIONS_SECRET_ENV, "").strip()
    if not secret:
        raise SystemExit(f"{exposure.ACTIONS_SECRET_ENV} is not set: the action server needs "
                         "the secret Rasa sends (`make run` provides one)")
    utils.configure_colored_logging(os.environ.get("LOG_LEVEL", "INFO"))
    utils.update_sanic_log_level()
    host = exposure.actions_host()
    app = guarded_app(secret, args.actions)
    log.info("action server on http://%s:%s (secret required)", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
