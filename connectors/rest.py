"""REST channel whose typed text is always text.

Rasa treats a message starting with "/" as an intent with entities
(`/inform{"booking_ref": ...}`, `/restart`), so anyone could skip the NLU and set
entities. Here such text is escaped with a zero-width space, which Rasa does not
read as a command and which our normaliser removes before NLU: the message is
understood like any other sentence. Docs: https://rasa.com/docs/rasa/connectors/your-own-website#rest-channels
"""
from __future__ import annotations

from typing import Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from connectors.base import ZERO_WIDTH_SPACE, as_plain_text

__all__ = ["SafeRestInput", "ZERO_WIDTH_SPACE", "as_plain_text"]


class SafeRestInput(RestInput):
    """The stock REST channel (same URL, /webhooks/rest/webhook) minus typed commands."""

    def _extract_message(self, req: Request) -> Optional[Text]:
        return as_plain_text(super()._extract_message(req))
