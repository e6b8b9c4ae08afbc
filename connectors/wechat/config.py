"""WeChat settings, read once from the environment (docs/channels/wechat.md).

``TRIPDESK_WECHAT_TOKEN`` (required; without it the routes answer 503),
``TRIPDESK_WECHAT_APPID`` and ``TRIPDESK_WECHAT_SECRET`` (customer-service API; AES mode
also needs the AppID), ``TRIPDESK_WECHAT_AES_KEY`` (EncodingAESKey, safe mode),
``TRIPDESK_WECHAT_API_BASE`` (default the real API), ``TRIPDESK_REDIS_URL`` (share the
access token through Redis), ``TRIPDESK_WECHAT_PASSIVE_SECONDS`` and
``TRIPDESK_WECHAT_UNDELIVERED_FILE``.

Docs: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

from wechatpy.crypto import WeChatCrypto

from bot.settings import PROJECT_ROOT
from connectors.base import Secret, seconds_from_environment, secret_from_environment

log = logging.getLogger(__name__)

CHANNEL = "wechat"
ENV_TOKEN = "TRIPDESK_WECHAT_TOKEN"  # noqa: S105 - names, not secrets
ENV_APPID = "TRIPDESK_WECHAT_APPID"
ENV_SECRET = "TRIPDESK_WECHAT_SECRET"  # noqa: S105
ENV_AES_KEY = "TRIPDESK_WECHAT_AES_KEY"
ENV_API_BASE = "TRIPDESK_WECHAT_API_BASE"
ENV_REDIS_URL = "TRIPDESK_REDIS_URL"
ENV_PASSIVE_SECONDS = "TRIPDESK_WECHAT_PASSIVE_SECONDS"
ENV_UNDELIVERED_FILE = "TRIPDESK_WECHAT_UNDELIVERED_FILE"
DEFAULT_API_BASE = "https://api.weixin.qq.com/cgi-bin/"
DEFAULT_UNDELIVERED_FILE = PROJECT_ROOT / "var" / "wechat-undelivered.jsonl"

DEFAULT_PASSIVE_S = 4.0  # WeChat gives up after 5 s
MAX_PASSIVE_S = 4.5


def _passive_seconds(env: Mapping[str, str]) -> float:
    """How long the webhook waits for the bot's answer (bounded below WeChat's 5 s)."""
    seconds = seconds_from_environment(env, ENV_PASSIVE_SECONDS, DEFAULT_PASSIVE_S)
    return min(max(seconds, 0.0), MAX_PASSIVE_S)


def _aes_key(env: Mapping[str, str], token: str, app_id: Optional[str]) -> Optional[Secret]:
    """The EncodingAESKey if it is usable; a wrong one is reported, not fatal."""
    key = secret_from_environment(env, ENV_AES_KEY)
    if key is None:
        return None
    if not app_id:
        log.error("%s is set but %s is not: AES (safe mode) messages answer 503 until both are set",
                  ENV_AES_KEY, ENV_APPID)
        return None
    try:
        WeChatCrypto(token, key.reveal(), app_id)
    except Exception:  # the SDK asserts on length and fails on base64: same message either way
        log.error("%s must be the 43-character EncodingAESKey from the WeChat admin console; "
                  "AES (safe mode) messages answer 503 until it is fixed", ENV_AES_KEY)
        return None
    return key


@dataclass(frozen=True)
class WeChatConfig:
    """The WeChat settings, read once from the environment."""

    token: Secret
    app_id: Optional[str] = None
    app_secret: Optional[Secret] = None
    aes_key: Optional[Secret] = None
    api_base: str = DEFAULT_API_BASE
    redis_url: Optional[Secret] = None  # may carry a password
    passive_seconds: float = DEFAULT_PASSIVE_S
    undelivered_file: Optional[Path] = DEFAULT_UNDELIVERED_FILE
    aes_required: bool = False  # a key is configured (even a wrong one): plaintext is refused

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> Optional["WeChatConfig"]:
        """The settings, or None when the token is not set (the channel is off)."""
        env = os.environ if environ is None else environ
        token = env.get(ENV_TOKEN, "").strip()
        if not token:
            return None
        app_id = env.get(ENV_APPID, "").strip() or None
        api_base = env.get(ENV_API_BASE, "").strip() or DEFAULT_API_BASE
        undelivered = env.get(ENV_UNDELIVERED_FILE, "").strip()
        return cls(
            token=Secret(token), app_id=app_id, app_secret=secret_from_environment(env, ENV_SECRET),
            aes_key=_aes_key(env, token, app_id), api_base=api_base.rstrip("/") + "/",
            redis_url=secret_from_environment(env, ENV_REDIS_URL), passive_seconds=_passive_seconds(env),
            undelivered_file=Path(undelivered) if undelivered else DEFAULT_UNDELIVERED_FILE,
            aes_required=bool(env.get(ENV_AES_KEY, "").strip()),
        )

    @property
    def can_send(self) -> bool:
        """Whether the customer-service API can be called (it needs AppID and AppSecret)."""
        return bool(self.app_id and self.app_secret)

    def crypto(self) -> Optional[WeChatCrypto]:
        if self.aes_key is None or not self.app_id:
            return None
        return WeChatCrypto(self.token.reveal(), self.aes_key.reveal(), self.app_id)


@lru_cache(maxsize=1)
def load_config() -> Optional[WeChatConfig]:
    """The process's settings, read from the environment once."""
    return WeChatConfig.from_environment()

