"""REST channel whose typed text is always text.

Rasa treats a message starting with "/" as an intent with entities
(`/inform{"booking_ref": ...}`, `/restart`), so anyone could skip the NLU and set
entities. Here such text is escaped with a zero-width space, which Rasa does not
read as a command and which our normaliser removes before NLU: the message is
understood like any other sentence. Docs: https://rasa.com/docs/rasa/connectors/your-own-website#rest-channels
"""
from __future__ import annotations

import hmac
import os
from typing import Any, Dict, Optional, Text


from rasa.core.channels.channel import InputChannel
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import exposure
from connectors.base import (
    ZERO_WIDTH_SPACE,
    AgentReplies,
    InputPolicy,
    OnNewMessage,
    Secret,
    as_plain_text,
    client_address,
    guard_turns,
    refusal_replies,
)

__all__ = ["SafeRestInput", "REST_PREFIX", "ZERO_WIDTH_SPACE", "as_plain_text"]


REST_PREFIX = "rest:"


def bad_request(request: Request) -> Optional[str]:
    """What is wrong with a message request, or None: a conversation needs its own sender
    (without one Rasa files it under a shared "default" conversation) and some text."""
    body = _json_or_none(request)
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        return "'sender' (a non-empty string naming the conversation) is required"
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        return "'message' (non-empty text) is required"
    return None


class SafeRestInput(RestInput):
    """The stock REST channel (same URL, /webhooks/rest/webhook) minus typed commands,
    with the client's sender id kept in its own namespace, behind a token outside
    development.

    A REST client picks any sender id it likes. Rasa keys conversations by sender id
    alone, so without a prefix a client could continue a Telegram user's conversation
    (their id is a guessable number) and inherit what that conversation verified. With
    it, REST conversations and identities ("rest:<id>") can never meet another
    channel's. REST is for the terminal chat, tests and trusted back-ends: with
    ``TRIPDESK_REST_TOKEN`` set every request needs ``Authorization: Bearer <token>``;
    without it REST is open in development only (bot/exposure.py), otherwise 403.
    """

    def __init__(self, token: Optional[Secret] = None, open_without_token: bool = True) -> None:
        self.token = token
        self.open_without_token = open_without_token

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        token = os.environ.get(exposure.REST_TOKEN_ENV, "").strip()
        return cls(Secret(token) if token else None,
                   open_without_token=not exposure.in_production())

    def refused(self, request: Request) -> bool:
        """True unless the request carries the configured token (or none is needed)."""
        if self.token is None:
            return not self.open_without_token
        scheme, _, provided = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() != "bearer" or not hmac.compare_digest(
            provided.strip().encode("utf-8"), self.token.reveal().encode("utf-8"))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's REST routes behind, in order: the token, a well-formed request, the
        channel's input policy; a failed or timed-out turn answers the apology
        (connectors/base.py)."""
        rest = guard_turns(self.name(), on_new_message, super().blueprint)
        policy = InputPolicy.for_channel(self.name())

        @rest.middleware("request")
        async def admit(request: Request) -> Optional[HTTPResponse]:
            if self.refused(request):
                return response.json({"error": "REST needs a valid bearer token"}, status=403)
            if request.method != "POST":
                return None  # the stock handler answers health checks
            problem = bad_request(request)
            if problem:
                return response.json({"error": problem}, status=400)
            return await self._refusal(request, policy)

        return rest

    async def _refusal(self, request: Request, policy: InputPolicy) -> Optional[HTTPResponse]:
        """A message over the limits is answered politely here and never reaches Rasa."""
        sender = await self._extract_sender(request)
        refusal = policy.check(sender, self._extract_message(request), client_address(request))
        if refusal is None:
            return None
        replies = (await refusal_replies(AgentReplies(request.app.ctx.agent, self.name()),
                                         refusal, policy, sender or "")
                   if refusal.tell else [])  # a flood is told once, not answered each time
        return response.json([{"recipient_id": sender, **reply} for reply in replies],
                             status=refusal.status, headers=refusal.headers)

    def _extract_message(self, req: Request) -> Optional[Text]:
        return as_plain_text(super()._extract_message(req))

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = await super()._extract_sender(req)
        return f"{REST_PREFIX}{sender}" if sender is not None else None

    def _extract_input_channel(self, req: Request) -> Text:
        """Always "rest": the body's ``input_channel`` would let a client pose as another channel."""
        return self.name()


def _json_or_none(request: Request) -> Any:
    try:
        return request.json
    except Exception:  # malformed JSON: left to the stock handler
        return None
