"""REST channel whose typed text is always text.

Rasa treats a message starting with "/" as an intent with entities
(`/inform{"booking_ref": ...}`, `/restart`), so anyone could skip the NLU and set
entities. Here such text is escaped with a zero-width space, which Rasa does not
read as a command and which our normaliser removes before NLU: the message is
understood like any other sentence. Docs: https://rasa.com/docs/rasa/connectors/your-own-website#rest-channels
"""
from __future__ import annotations

from typing import Any, Optional, Text


from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.base import (
    ZERO_WIDTH_SPACE,
    AgentReplies,
    InputPolicy,
    OnNewMessage,
    as_plain_text,
    client_address,
    guard_turns,
    refusal_replies,
)

__all__ = ["SafeRestInput", "REST_PREFIX", "ZERO_WIDTH_SPACE", "as_plain_text"]


REST_PREFIX = "rest:"


class SafeRestInput(RestInput):
    """The stock REST channel (same URL, /webhooks/rest/webhook) minus typed commands,
    with the client's sender id kept in its own namespace.

    A REST client picks any sender id it likes. Rasa keys conversations by sender id
    alone, so without a prefix a client could continue a Telegram user's conversation
    (their id is a guessable number) and inherit what that conversation verified. With
    it, REST conversations and identities ("rest:<id>") can never meet another
    channel's. REST is for the terminal chat, tests and trusted back-ends.
    """

    def _extract_message(self, req: Request) -> Optional[Text]:
        return as_plain_text(super()._extract_message(req))

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = await super()._extract_sender(req)
        return f"{REST_PREFIX}{sender}" if sender is not None else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's REST routes behind the channel's input policy; a failed or timed-out turn
        answers the apology (both in connectors/base.py)."""
        webhook = guard_turns(self.name(), on_new_message, super().blueprint)
        policy = InputPolicy.for_channel(self.name())

        @webhook.middleware("request")
        async def refuse_what_the_policy_refuses(request: Request) -> Optional[HTTPResponse]:
            """A message over the limits is answered politely here and never reaches Rasa."""
            if request.method != "POST" or not isinstance(_json_or_none(request), dict):
                return None  # the stock handler answers health checks and malformed bodies
            sender = await self._extract_sender(request)
            text = self._extract_message(request)
            refusal = policy.check(sender, text if isinstance(text, str) else None,
                                   client_address(request))
            if refusal is None:
                return None
            replies = (await refusal_replies(AgentReplies(request.app.ctx.agent, self.name()),
                                             refusal, policy, sender or "")
                       if refusal.tell else [])  # a flood is told once, not answered each time
            return response.json([{"recipient_id": sender, **reply} for reply in replies],
                                 status=refusal.status, headers=refusal.headers)

        return webhook


def _json_or_none(request: Request) -> Any:
    try:
        return request.json
    except Exception:  # malformed JSON: left to the stock handler
        return None
