"""Server-issued, signed widget sessions.

Rasa's socket.io channel lets the browser choose its own session id, so anyone who
guesses or copies an id can read and write that traveller's conversation. Here the
server issues the id and signs it (HMAC-SHA256 with ``TRIPDESK_WEBCHAT_SECRET``); the
browser keeps the signed token and presents it on every connection. A token that was
not signed by us, or was signed for another session, is refused.

Token format: ``<session_id>.<issued_at>.<hex hmac>`` where ``session_id`` is
``wc`` + 32 hex digits (the Rasa sender id) and ``issued_at`` is Unix seconds.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from connectors.base import Secret

logger = logging.getLogger(__name__)

SECRET_ENV = "TRIPDESK_WEBCHAT_SECRET"  # noqa: S105 (the variable's name, not a secret)
SESSION_DAYS_ENV = "TRIPDESK_WEBCHAT_SESSION_DAYS"
SECRET_FILE_NAME = "webchat.secret"  # noqa: S105 (a file name)
MIN_SECRET_LENGTH = 16
SESSION_ID = re.compile(r"^wc[0-9a-f]{32}$")
CLOCK_SKEW_SECONDS = 300
MAX_TOKEN_LENGTH = 200


class WebchatSecret(Secret):
    """The signing key; masked like every :class:`connectors.base.Secret`."""

    __slots__ = ()

    def sign(self, message: str) -> str:
        return hmac.new(self.reveal().encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def load_secret(var_dir: Path) -> WebchatSecret:
    """The secret from the environment, else one generated once and kept in var/.

    Keeping the generated secret on disk (0600) means sessions survive a restart of a
    single machine; several Rasa instances must share ``TRIPDESK_WEBCHAT_SECRET``.
    """
    value = os.environ.get(SECRET_ENV, "")
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"{SECRET_ENV} is too short ({len(value)} characters): use at least "
                f"{MIN_SECRET_LENGTH}, e.g. the output of `openssl rand -hex 32`."
            )
        return WebchatSecret(value)
    return WebchatSecret(_secret_from_file(var_dir / SECRET_FILE_NAME))


def _secret_from_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret_file(path)
    value = secrets.token_hex(32)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(value)
    logger.warning(
        "%s is not set: generated a webchat session secret in %s (0600). Set %s in "
        "production, the same on every Rasa instance.", SECRET_ENV, path, SECRET_ENV,
    )
    return value


def _read_secret_file(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
        logger.warning("%s was readable by other users; its permissions are now 0600", path)
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(f"{path} holds no usable secret: delete it (a new one is generated) or set {SECRET_ENV}.")
    logger.info("webchat sessions signed with the secret kept in %s", path)
    return value


@dataclass(frozen=True)
class Session:
    session_id: str
    token: str


class SessionSigner:
    """Issues, renews and verifies signed session tokens; keeps no state of its own."""

    def __init__(self, secret: WebchatSecret, max_age_seconds: float) -> None:
        self._secret = secret
        self.max_age_seconds = max_age_seconds

    @classmethod
    def from_environment(cls, var_dir: Path) -> "SessionSigner":
        days = float(os.environ.get(SESSION_DAYS_ENV, "30"))
        return cls(load_secret(var_dir), max_age_seconds=days * 86400)

    def issue(self) -> Session:
        return self._signed("wc" + secrets.token_hex(16))

    def renew(self, token: object) -> Optional[Session]:
        """A fresh signature for a valid token (sliding expiry), None when invalid."""
        session_id = self.verify(token)
        return self._signed(session_id) if session_id else None

    def verify(self, token: object) -> Optional[str]:
        """The session id a token was signed for, or None for anything we did not sign."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            return None
        parts = token.split(".")
        if len(parts) != 3 or not SESSION_ID.match(parts[0]) or not parts[1].isdigit():
            return None
        session_id, issued, signature = parts
        expected = self._secret.sign(f"webchat-session:{session_id}.{issued}")
        if not hmac.compare_digest(expected, signature):
            return None
        age = time.time() - int(issued)
        if age < -CLOCK_SKEW_SECONDS or age > self.max_age_seconds:
            return None
        return session_id

    def _signed(self, session_id: str) -> Session:
        issued = str(int(time.time()))
        signature = self._secret.sign(f"webchat-session:{session_id}.{issued}")
        return Session(session_id, f"{session_id}.{issued}.{signature}")
