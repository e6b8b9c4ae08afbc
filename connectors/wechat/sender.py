"""The customer-service message API: answers after the passive window, and outbound sends.

wechatpy's client against ``TRIPDESK_WECHAT_API_BASE``, every request with a timeout,
the access token cached in memory or shared through Redis and refreshed once when
WeChat refuses it. WeChat's error codes become :class:`bot.outbound.DeliveryError`
saying whether a retry may help. :class:`WeChatSender` is the channel's outbound
sender, registered with ``bot.outbound`` when this package is imported.

Docs: https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html ,
https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
"""
from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any, Dict, Optional, Sequence, Tuple

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from bot.outbound import Buttons, DeliveryError, register_sender
from connectors.wechat.config import CHANNEL, ENV_APPID, ENV_SECRET, ENV_TOKEN, WeChatConfig, load_config
from connectors.wechat.conversations import SendAllowance, WeChatConversations, shared_conversations
from connectors.wechat.messages import render_answer, split_text

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 10.0
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential / token, token expired
CREDENTIAL_ERRORS = frozenset({40001, 40013, 40125, 40164, 41002, 41004})
PERMANENT_ERRORS = {
    40003: "not an openid of this account",
    43004: "the traveller does not follow the account",
    45002: "text longer than WeChat accepts",
    45015: "outside WeChat's 48-hour customer-service window, or the traveller unfollowed",
    45047: "WeChat's customer-service quota for this traveller is used up",
    48001: "the account lacks the customer-service API permission",
}
RETRYABLE_ERRORS = {-1: "WeChat is busy", 45009: "WeChat API call limit reached"}


class _TimeoutSession(requests.Session):
    """wechatpy fetches the access token without a timeout; every request gets one here."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


class _ApiClient(WeChatClient):
    """wechatpy's client against a configurable API base (the tests' recording server)."""

    def __init__(self, config: WeChatConfig, storage: SessionStorage) -> None:
        assert config.app_id and config.app_secret
        super().__init__(config.app_id, config.app_secret.reveal(), session=storage,
                         timeout=HTTP_TIMEOUT_S, auto_retry=False)  # we refresh once, below
        self.API_BASE_URL = config.api_base
        self._http = _TimeoutSession(HTTP_TIMEOUT_S)

    def fetch_access_token(self) -> Dict[str, Any]:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def _token_storage(config: WeChatConfig) -> SessionStorage:
    """Where the access token is cached: Redis when configured (shared by processes), else memory."""
    if config.redis_url is None:
        return MemoryStorage()
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    client = redis.Redis.from_url(config.redis_url.reveal(), socket_timeout=5,
                                  socket_connect_timeout=5)
    return RedisStorage(client, prefix="tripdesk:wechat")


def _delivery_error(error: WeChatClientException) -> DeliveryError:
    code = error.errcode
    if code is None:  # an HTTP error status
        status = getattr(error.response, "status_code", None)
        return DeliveryError(f"WeChat API answered HTTP {status}", retryable=True)
    if code in CREDENTIAL_ERRORS:
        return DeliveryError(f"WeChat refused the credentials (errcode {code}): check {ENV_APPID}, "
                             f"{ENV_SECRET} and the account's IP whitelist", retryable=False)
    if code in PERMANENT_ERRORS:
        return DeliveryError(f"{PERMANENT_ERRORS[code]} (errcode {code})", retryable=False)
    if code in RETRYABLE_ERRORS:
        return DeliveryError(f"{RETRYABLE_ERRORS[code]} (errcode {code})", retryable=True)
    return DeliveryError(f"WeChat error {code}: {error.errmsg}", retryable=False)


class WeChatApi:
    """The customer-service text API; blocking SDK calls run in a worker thread with timeouts."""

    def __init__(self, client: WeChatClient) -> None:
        self.client = client

    @classmethod
    def from_config(cls, config: WeChatConfig) -> "WeChatApi":
        return cls(_ApiClient(config, _token_storage(config)))

    async def send_text(self, openid: str, content: str) -> None:
        """Send one text; raises DeliveryError saying whether a later retry may help."""
        await asyncio.to_thread(self._send_blocking, openid, content)

    def _send_blocking(self, openid: str, content: str) -> None:
        try:
            self._send_refreshing_once(openid, content)
        except WeChatClientException as error:
            raise _delivery_error(error) from error
        except requests.RequestException as error:
            raise DeliveryError(f"WeChat API unreachable: {type(error).__name__}",
                                retryable=True) from error
        except Exception as error:  # e.g. Redis down while reading the token: record, don't lose
            log.exception("unexpected failure sending a WeChat message")
            raise DeliveryError(f"unexpected failure: {type(error).__name__}", retryable=True) from error

    def _send_refreshing_once(self, openid: str, content: str) -> None:
        """An expired or revoked token is refreshed once and the call repeated once."""
        try:
            self.client.message.send_text(openid, content)
        except WeChatClientException as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            log.info("WeChat access token refused (errcode %s); fetching a new one", error.errcode)
            self.client.fetch_access_token()
            self.client.message.send_text(openid, content)


@lru_cache(maxsize=None)
def shared_api(config: WeChatConfig) -> WeChatApi:
    """One client per process, so the cached access token is shared by channel and sender."""
    return WeChatApi.from_config(config)


async def send_parts(api: WeChatApi, allowance: SendAllowance, openid: str,
                     parts: Sequence[str]) -> Tuple[int, Optional[DeliveryError]]:
    """Send parts in order within the traveller's quota; (parts sent, the failure if any)."""
    for index, part in enumerate(parts):
        refusal = allowance.refusal(openid)
        if refusal:
            return index, DeliveryError(refusal, retryable=False)
        try:
            await api.send_text(openid, part)
        except DeliveryError as failure:
            return index, failure
        allowance.spend(openid)
    return len(parts), None


class WeChatSender:
    """Sends text and numbered buttons to a follower later (agent replies, surveys, reminders).

    Raises :class:`bot.outbound.DeliveryError` (also importable from here) when WeChat
    will not take the message; the caller records it. Nothing is sent when the known
    quota cannot carry every part, and a failure after some parts went out is final, so
    a retry never repeats what the traveller already read.
    """

    channel = CHANNEL

    def __init__(self, api: WeChatApi, conversations: WeChatConversations) -> None:
        self.api = api
        self.conversations = conversations

    @classmethod
    def from_environment(cls) -> Optional["WeChatSender"]:
        """The sender, or None when the customer-service API is not configured (for bot.outbound)."""
        config = load_config()
        if config is None or not config.can_send:
            log.info("WeChat customer-service API not configured (%s, %s, %s); no outbound WeChat "
                     "messages", ENV_TOKEN, ENV_APPID, ENV_SECRET)
            return None
        return cls(shared_api(config), shared_conversations(config.undelivered_file))

    async def send(self, recipient_id: str, text: str, buttons: Buttons = ()) -> None:
        body, offered = render_answer([{"text": text, "buttons": list(buttons)}])
        parts = split_text(body)
        if not parts:
            raise DeliveryError("nothing to send: empty text", retryable=False)
        allowance = self.conversations.allowance
        available = allowance.available(recipient_id)
        if available is not None and available < len(parts):
            reason = allowance.refusal(recipient_id) or (
                f"{len(parts)} parts but WeChat's quota allows {available} more")
            raise DeliveryError(reason, retryable=False)
        sent, failure = await send_parts(self.api, allowance, recipient_id, parts)
        if failure is not None:
            if sent == 0:
                raise failure
            raise DeliveryError(f"{failure.reason} (after {sent} of {len(parts)} parts were "
                                "delivered)", retryable=False) from failure
        self.conversations.offers.remember(recipient_id, offered)



register_sender(CHANNEL, WeChatSender.from_environment)
