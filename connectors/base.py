"""Steps every channel shares: typed text stays text, dedupe of retried deliveries, and
one turn at a time per sender.

Platforms retry a webhook they think failed (WeChat three times within 15 s, Telegram
until it gets a 200). A retried delivery must be answered from the first processing,
never processed twice, and two messages from one traveller must reach Rasa in the
order they were sent, even when the webhook acknowledges first and processes later.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Optional, Text, Tuple

ZERO_WIDTH_SPACE = "\u200b"


def as_plain_text(text: Optional[Text]) -> Optional[Text]:
    """Escape typed "/intent{...}" so Rasa reads it as a sentence, not a command.

    Rasa treats a message starting with "/" as an intent with entities, so anyone could
    skip the NLU and set entities. The zero-width space is removed again by our
    normaliser before NLU, so the message is understood like any other sentence.
    """
    if text and text.lstrip().startswith("/"):
        return ZERO_WIDTH_SPACE + text
    return text


class RecentDeliveries:
    """The outcome of recently processed deliveries, keyed by the platform's message id.

    ``once(key, work)`` runs ``work`` for the first delivery of ``key``; a retry that
    arrives while it runs, or later within ``ttl`` seconds, awaits or returns the same
    result. Bounded, so a flood of ids cannot grow memory without limit.
    """

    def __init__(self, ttl: float = 600.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: "OrderedDict[str, Tuple[float, asyncio.Future]]" = OrderedDict()

    def seen(self, key: str) -> bool:
        self._expire()
        return key in self._entries

    async def once(self, key: str, work: Callable[[], Awaitable[Any]]) -> Tuple[Any, bool]:
        """Returns (result, first) where ``first`` is False for a retried delivery."""
        self._expire()
        entry = self._entries.get(key)
        if entry is not None:
            return await asyncio.shield(entry[1]), False
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._entries[key] = (time.monotonic(), future)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        try:
            result = await work()
        except BaseException as error:  # a retry must see the same failure, not rerun it
            future.set_exception(error)
            future.exception()  # mark retrieved so asyncio does not log it twice
            raise
        future.set_result(result)
        return result, True

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.ttl
        while self._entries:
            key, (started, _) = next(iter(self._entries.items()))
            if started >= cutoff:
                break
            self._entries.popitem(last=False)


class SenderTurns:
    """One turn at a time per sender, in arrival order; different senders run in parallel."""

    def __init__(self) -> None:
        self._locks: Dict[str, asyncio.Lock] = {}
        self._waiting: Dict[str, int] = {}

    @asynccontextmanager
    async def turn(self, sender_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(sender_id, asyncio.Lock())
        self._waiting[sender_id] = self._waiting.get(sender_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[sender_id] -= 1
            if not self._waiting[sender_id]:  # nobody queued: forget the sender
                del self._waiting[sender_id]
                self._locks.pop(sender_id, None)
