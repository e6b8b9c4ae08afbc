"""The Rasa server, started in-process so its API token never appears in argv.

`python -m bot.rasa_server --model ... --port 5005` (started by `bot.cli start_services`)
does what `rasa run` does (Rasa's own ``rasa.api.run`` → ``serve_application``), with the
exposure rules of bot/exposure.py: the interface from ``TRIPDESK_HOST``, the HTTP API on
or off, its token read from ``TRIPDESK_API_TOKEN`` in the environment (`rasa run` only
takes it as ``--auth-token``, which anyone on the machine can read with `ps`), and
cross-origin access only for listed origins, never ``*``.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import List, Optional

from bot import exposure

log = logging.getLogger(__name__)


def api_token() -> Optional[str]:
    """The API token from the environment; the API is not started without one."""
    if not exposure.api_enabled():
        return None
    token = os.environ.get(exposure.API_TOKEN_ENV, "").strip()
    if not token:
        raise SystemExit(f"{exposure.API_TOKEN_ENV} is not set but the HTTP API is enabled "
                         f"({exposure.ENABLE_API_ENV}, or {exposure.ENV_NAME}=development)")
    return token


def configure_logging() -> None:
    """The logging `rasa run` sets up before serving (rasa/__main__.py). Given no level,
    Rasa's helpers read ``LOG_LEVEL`` (a name such as DEBUG) themselves; passing the name
    through would fail, as they take the number."""
    level = None
    import rasa.utils.io
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(level, None, warn_only_once=True, filter_repeated_logs=True)
    tf_env.setup_tf_environment()
    rasa.utils.io.configure_colored_logging(level)
    configure_structlog(level)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.rasa_server", description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--endpoints", default="endpoints.yml")
    parser.add_argument("--credentials", default="credentials.yml")
    parser.add_argument("--port", type=int, default=5005)
    args = parser.parse_args(argv)
    host = exposure.rasa_host()
    token = api_token()
    cors = exposure.cors_origins()
    configure_logging()

    import rasa.api
    from rasa.core import constants

    log.info("Rasa server on http://%s:%s, HTTP API %s, cross-origin from %s", host, args.port,
             "on (token)" if token else "off", ", ".join(cors) or "no other site")
    rasa.api.run(
        model=args.model, endpoints=args.endpoints, credentials=args.credentials,
        interface=host, port=args.port, enable_api=token is not None, auth_token=token,
        cors=cors or None, response_timeout=constants.DEFAULT_RESPONSE_TIMEOUT,
        request_timeout=constants.DEFAULT_REQUEST_TIMEOUT,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
