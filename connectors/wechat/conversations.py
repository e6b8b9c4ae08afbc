"""What each WeChat follower was offered and may still be sent, and what could not be.

Shared in one process by the input channel and the outbound sender: the buttons last
offered (a reply of "1" is the first one), WeChat's customer-service quota per
traveller action (5 messages within 48 hours after a message, 3 within a minute after
a menu click or a follow), and the answers that did not reach the traveller (WARNING
log, memory, a masked JSON-lines file).

Docs: https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import unicodedata
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable, Deque, Dict, List, Mapping, Optional, Sequence, Tuple

from bot.privacy import mask_details, open_private
from bot.privacy import mask_identifier as _masked
from connectors.base import RecentlyUsed

log = logging.getLogger(__name__)

# WeChat's customer-service quota per traveller action: (messages, seconds).
QUOTAS = {"message": (5, 48 * 3600), "menu": (3, 60), "subscribe": (3, 60)}


class OfferedButtons:
    """The buttons last offered to each openid, so that a reply of "1" means the first one.

    Only the latest answer counts: an answer without buttons clears them, so "1" after
    "几位？" stays the number one. Bounded in travellers and in time.
    """

    def __init__(self, max_travellers: int = 20_000, ttl: float = 24 * 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_travellers = max_travellers
        self.ttl = ttl
        self.clock = clock
        self._offers: RecentlyUsed[str, Tuple[float, List[Dict[str, str]]]] = RecentlyUsed(max_travellers)

    def remember(self, openid: str, buttons: Sequence[Mapping[str, str]]) -> None:
        self._offers.pop(openid)
        if buttons:
            self._offers.put(openid, (self.clock(), [dict(b) for b in buttons]))

    def payload_for(self, openid: str, text: str) -> Optional[str]:
        """The payload of the offered button whose number or title the traveller typed
        ("1", or "支付问题" read off the list), else None."""
        offer = self._offers.get(openid)
        if offer is None or self.clock() - offer[0] > self.ttl:
            return None
        choice = unicodedata.normalize("NFKC", text).strip().rstrip("。.")
        buttons = offer[1]
        if not (choice.isascii() and choice.isdigit()):
            titled = [b for b in buttons if unicodedata.normalize("NFKC", str(b.get("title", ""))).strip() == choice]
            return titled[0]["payload"] if len(titled) == 1 else None
        number = int(choice)
        return buttons[number - 1]["payload"] if 1 <= number <= len(buttons) else None

    def forget(self, openid: str) -> None:
        self._offers.pop(openid)


@dataclass
class _Quota:
    scene: str
    remaining: int
    expires_at: float


class SendAllowance:
    """How many customer-service messages WeChat still accepts for each openid.

    WeChat grants a quota per traveller action (5 within 48 h after a message, 3 within
    a minute after a menu click or a follow) and refuses beyond it (45015, 45047).
    Counting here means an answer that cannot go out is recorded at once. An openid this
    process has not seen is left to WeChat to judge.
    """

    def __init__(self, clock: Callable[[], float] = time.time, max_travellers: int = 50_000) -> None:
        self.clock = clock
        self.max_travellers = max_travellers
        self._quotas: RecentlyUsed[str, List[_Quota]] = RecentlyUsed(max_travellers)

    def grant(self, openid: str, scene: str) -> None:
        count, seconds = QUOTAS[scene]
        now = self.clock()
        kept = [q for q in self._quotas.get(openid) or [] if q.expires_at > now
                and not (scene == "message" and q.scene == "message")]
        kept.append(_Quota(scene, count, now + seconds))
        self._quotas.put(openid, kept[-4:])

    def _live(self, openid: str) -> Optional[List[_Quota]]:
        quotas = self._quotas.get(openid)
        if quotas is None:
            return None
        now = self.clock()
        return [q for q in quotas if q.expires_at > now]

    def available(self, openid: str) -> Optional[int]:
        """Messages still allowed, or None when this process does not know the traveller."""
        live = self._live(openid)
        return None if live is None else sum(q.remaining for q in live)

    def refusal(self, openid: str) -> Optional[str]:
        """Why WeChat would refuse one more message now, or None."""
        live = self._live(openid)
        if live is None or any(q.remaining > 0 for q in live):
            return None
        if not live:
            return "outside WeChat's 48-hour customer-service window (last message too old)"
        return "WeChat's customer-service quota for the traveller's last message is used up"

    def spend(self, openid: str) -> None:
        live = sorted((q for q in self._live(openid) or [] if q.remaining > 0),
                      key=lambda q: q.expires_at)
        if live:
            live[0].remaining -= 1

    def forget(self, openid: str) -> None:
        self._quotas.pop(openid)


@dataclass(frozen=True)
class Undelivered:
    """A bot answer that did not reach the traveller, with the reason."""

    at: str
    openid: str
    text: str
    reason: str
    retryable: bool


class UndeliveredLog:
    """What could not be delivered: a WARNING, the latest entries in memory, a JSON-lines file.

    The file (``TRIPDESK_WECHAT_UNDELIVERED_FILE``, default var/wechat-undelivered.jsonl)
    is for the outbound layer or an operator in another process; one JSON object a line,
    with the openid and any personal data in the text masked, created 0600.
    """

    def __init__(self, path: Optional[Path] = None, keep: int = 1000) -> None:
        self.path = path
        self._entries: Deque[Undelivered] = deque(maxlen=keep)

    @property
    def entries(self) -> List[Undelivered]:
        return list(self._entries)

    async def record(self, openid: str, parts: Sequence[str], reason: str, retryable: bool) -> Undelivered:
        entry = Undelivered(datetime.now(timezone.utc).isoformat(), openid, "\n\n".join(parts),
                            reason, retryable)
        self._entries.append(entry)
        log.warning("WeChat answer to %s not delivered (%d characters): %s", _masked(openid),
                    len(entry.text), reason, extra={"wechat_undelivered": mask_details(asdict(entry))})
        if self.path is not None:
            try:
                await asyncio.to_thread(self._append, entry)
            except OSError:
                log.exception("could not write the undelivered WeChat answer to %s", self.path)
        return entry

    def _append(self, entry: Undelivered) -> None:
        assert self.path is not None  # masked and 0600: the file outlives the conversation
        with open_private(self.path) as out:
            out.write(json.dumps(mask_details(asdict(entry)), ensure_ascii=False) + "\n")


class WeChatConversations:
    """Per-traveller state the input channel and the outbound sender share in one process."""

    def __init__(self, undelivered_file: Optional[Path] = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.offers = OfferedButtons()
        self.allowance = SendAllowance(clock)
        self.undelivered = UndeliveredLog(undelivered_file)


@lru_cache(maxsize=None)
def shared_conversations(undelivered_file: Optional[Path]) -> WeChatConversations:
    return WeChatConversations(undelivered_file)
