"""How the servers are exposed: interfaces, the HTTP API, cross-origin access, REST.

Every setting here is read from the environment when asked, so `bot.cli start_services`,
the two server entry modules and the REST channel see the same answer. The rule they
implement (README, "How the servers are exposed"):

- ``TRIPDESK_ENV`` is ``development`` (the default, what `make run`, `make chat` and the
  tests use) or ``production``.
- The action server listens on ``TRIPDESK_ACTIONS_HOST`` (default 127.0.0.1) and answers
  only calls carrying the shared secret (bot/action_server.py).
- The Rasa server (channels, widget, API) listens on ``TRIPDESK_HOST``: 127.0.0.1 in
  development, every interface in production (the platforms' webhooks must reach it).
- Rasa's HTTP API is on in development (loopback, token) and off in production unless
  ``TRIPDESK_ENABLE_API=1``; its token comes from the environment, never from argv.
- Cross-origin requests are allowed only from listed origins (``TRIPDESK_CORS_ORIGINS``,
  else the sites allowed to embed the widget), never from any site.
- REST needs ``Authorization: Bearer $TRIPDESK_REST_TOKEN`` when that is set; without it
  REST is open in development and refused (403) in production.
"""
from __future__ import annotations

import os
from typing import List, Mapping, Optional

DEVELOPMENT = "development"
PRODUCTION = "production"
ENVIRONMENTS = (DEVELOPMENT, PRODUCTION)
LOOPBACK = "127.0.0.1"
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 (production channels must be reachable)

ENV_NAME = "TRIPDESK_ENV"
HOST_ENV = "TRIPDESK_HOST"
ACTIONS_HOST_ENV = "TRIPDESK_ACTIONS_HOST"
ENABLE_API_ENV = "TRIPDESK_ENABLE_API"
CORS_ENV = "TRIPDESK_CORS_ORIGINS"
WIDGET_ORIGINS_ENV = "TRIPDESK_WEBCHAT_ALLOWED_ORIGINS"  # connectors/webchat reads it too
REST_TOKEN_ENV = "TRIPDESK_REST_TOKEN"  # noqa: S105 (names, not secrets)
API_TOKEN_ENV = "TRIPDESK_API_TOKEN"  # noqa: S105
ACTIONS_SECRET_ENV = "TRIPDESK_ACTIONS_SECRET"  # noqa: S105


class ExposureError(ValueError):
    """A setting that would expose a server in a way we refuse; names the setting."""


def _environ(environ: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def deployment(environ: Optional[Mapping[str, str]] = None) -> str:
    """``development`` or ``production``; anything else is an operator's typo, refused."""
    value = _environ(environ).get(ENV_NAME, "").strip().lower() or DEVELOPMENT
    if value not in ENVIRONMENTS:
        raise ExposureError(f"{ENV_NAME} must be one of {', '.join(ENVIRONMENTS)}, not {value!r}")
    return value


def in_production(environ: Optional[Mapping[str, str]] = None) -> bool:
    return deployment(environ) == PRODUCTION


def rasa_host(environ: Optional[Mapping[str, str]] = None) -> str:
    """The interface of the Rasa server: loopback while developing, public in production."""
    env = _environ(environ)
    default = EVERY_INTERFACE if in_production(env) else LOOPBACK
    return env.get(HOST_ENV, "").strip() or default


def actions_host(environ: Optional[Mapping[str, str]] = None) -> str:
    """The interface of the action server: loopback unless a private network is named."""
    return _environ(environ).get(ACTIONS_HOST_ENV, "").strip() or LOOPBACK


def reachable_address(host: str) -> str:
    """Where a process on this machine reaches a server bound to ``host``."""
    return LOOPBACK if host in (EVERY_INTERFACE, "::", "") else host


def api_enabled(environ: Optional[Mapping[str, str]] = None) -> bool:
    """Rasa's HTTP API (read and drive any conversation): on while developing, opt-in in production."""
    value = _environ(environ).get(ENABLE_API_ENV, "").strip().lower()
    if value:
        return value in ("1", "true", "yes", "on")
    return not in_production(environ)


def cors_origins(environ: Optional[Mapping[str, str]] = None) -> List[str]:
    """Origins allowed cross-origin requests (the widget on another site); none by default."""
    env = _environ(environ)
    listed = _origins(env.get(CORS_ENV, ""))
    if "*" in listed or ".*" in listed:
        raise ExposureError(f"{CORS_ENV} must list origins, not '*'")
    # The widget's "*" means "any site may embed it" (its signed session is the
    # credential); that never becomes a wildcard for REST and the API.
    return listed or [origin for origin in _origins(env.get(WIDGET_ORIGINS_ENV, "")) if origin != "*"]


def _origins(value: str) -> List[str]:
    return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
