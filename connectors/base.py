"""Steps every channel shares: secrets kept out of logs, typed text stays text, dedupe of
retried deliveries, one turn at a time per sender, work that outlives the webhook
request, the traveller marked as seen, the replies a channel answers itself, and the
apology for a turn that failed or took too long (:func:`run_turn`).

Platforms retry a webhook they think failed (WeChat three times within 15 s, Telegram
until it gets a 200). A retried delivery must be answered from the first processing,
never processed twice, and two messages from one traveller must reach Rasa in the
order they were sent, even when the webhook acknowledges first and processes later.

What a connector hands to Rasa: an offered button or menu payload as its raw text
(``UserMessage(text=payload)``), so "/affirm" is read as the intent by Rasa's own
"/intent{...}" reader; anything the traveller typed through :func:`as_plain_text`, so
typed "/intent{...}" stays a sentence (bot/text.py ``normalize`` tells the two apart).
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    List,
    Optional,
    Protocol,
    Sequence,
    Set,
    Text,
    Tuple,
)

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint

log = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]  # what Rasa gives a channel's blueprint
ZERO_WIDTH_SPACE = "\u200b"


class Secret:
    """A secret string whose repr and str never show it (read once from the environment)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:  # frozen configs holding a Secret are cache keys (lru_cache)
        return hash(self._value)


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


class BackgroundWork:
    """Work that goes on after the platform got its answer (a turn, a store update).

    asyncio keeps only a weak reference to a task, so a task nobody holds may be
    collected mid-turn; each one is held here until it ends.
    """

    def __init__(self) -> None:
        self._tasks: Set["asyncio.Task[Any]"] = set()

    def start(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for all work, including work started meanwhile (tests, orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def record_seen(record: Callable[[str, str], Any], channel: str, sender_id: str,
                      shown_as: Optional[str] = None) -> None:
    """Remember the traveller wrote on ``channel`` just now, so outbound messages pick it.

    ``record`` (bot.outbound.record_inbound) blocks on the database, so it runs in a
    thread; a store that is down is logged and never stops the conversation.
    ``shown_as`` is the sender as the channel's logs may show it (masked).
    """
    try:
        await asyncio.to_thread(record, channel, sender_id)
    except Exception:
        log.exception("could not record %s sender %s as seen", channel,
                      sender_id if shown_as is None else shown_as)


class Replies(Protocol):
    """Renders named domain responses for one traveller."""

    async def render(self, names: Sequence[str], sender_id: str) -> List[Dict[str, Any]]:
        ...


class AgentReplies:
    """What a channel answers itself (welcome, menu, "text only, please"), as domain responses.

    Rendered by the running agent's NLG, so the copy stays in domain.yml with every other
    reply and Traditional writers get Traditional. Each reply is a chain of response
    names: the first the domain has wins, so a dedicated response can be added to the
    domain without touching the channel.
    """

    def __init__(self, agent: Any, channel: str) -> None:
        self.agent = agent
        self.channel = channel

    def first_known(self, names: Sequence[str]) -> Optional[str]:
        """The first of ``names`` the domain has, or None (also before a model is loaded)."""
        domain = getattr(self.agent, "domain", None)
        if domain is None:
            return None
        return next((name for name in names if name in domain.responses), None)

    async def render(self, names: Sequence[str], sender_id: str, **values: Any) -> List[Dict[str, Any]]:
        """The first known response of ``names`` for ``sender_id``; ``values`` fill its placeholders."""
        name = self.first_known(names)
        if name is None:
            log.warning("none of the responses %s is in the domain; nothing sent", list(names))
            return []
        domain = self.agent.domain
        tracker = (await self.agent.tracker_store.retrieve(sender_id)
                   or DialogueStateTracker(sender_id, domain.slots))
        reply = await self.agent.nlg.generate(name, tracker, self.channel, **values)
        return [reply] if reply else []


# --- a turn that fails or hangs still gets an answer ------------------------------------

ENV_TURN_TIMEOUT = "TRIPDESK_TURN_TIMEOUT_SECONDS"
# Rasa waits up to 300 s for the action server (rasa.core.constants.DEFAULT_REQUEST_TIMEOUT,
# passed explicitly by RemoteAction.run: neither endpoints.yml nor the environment can
# lower it in Rasa 3.6). A traveller gets the apology after this many seconds instead.
DEFAULT_TURN_TIMEOUT_S = 12.0
SERVICE_UNAVAILABLE: Tuple[str, ...] = ("utter_service_unavailable", "utter_technical_problem")


@lru_cache(maxsize=1)
def turn_timeout() -> float:
    """Seconds one turn may take before the traveller gets the apology (read once)."""
    raw = os.environ.get(ENV_TURN_TIMEOUT, "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_TURN_TIMEOUT_S
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %.0f", ENV_TURN_TIMEOUT, raw,
                    DEFAULT_TURN_TIMEOUT_S)
        return DEFAULT_TURN_TIMEOUT_S
    return seconds if seconds > 0 else DEFAULT_TURN_TIMEOUT_S


class _WatchedOutput(OutputChannel):
    """The channel's own output, noting whether the turn sent the traveller anything."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:  # type: ignore[override]  # the NLG picks channel-specific copy by it
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    def __getattr__(self, attribute: str) -> Any:  # e.g. CollectingOutputChannel.messages
        return getattr(self.inner, attribute)


async def apologise(output: OutputChannel, replies: Replies, sender_id: str) -> None:
    """Send the service-unavailable response (with the hotline) on ``output``; never raises."""
    from bot.contacts import hotline_values  # the knowledge base: loaded when first needed

    try:
        rendered = await replies.render(SERVICE_UNAVAILABLE, sender_id, **hotline_values())
        for reply in rendered:
            await output.send_response(sender_id, dict(reply))
    except Exception:
        log.exception("the apology for a failed turn could not be sent")


async def run_turn(on_new_message: OnNewMessage, message: UserMessage, replies: Replies,
                   timeout: Optional[float] = None) -> bool:
    """Hand ``message`` to Rasa; a turn that fails, says nothing or runs out of time gets an apology.

    When the action server is down Rasa logs the error and ends the turn without a word;
    when it hangs Rasa waits 300 s. Either way the traveller gets, within
    :func:`turn_timeout`, a polite answer with the way to a person. Returns whether the
    turn answered by itself.
    """
    watched = _WatchedOutput(message.output_channel)
    message.output_channel = watched
    limit = turn_timeout() if timeout is None else timeout
    try:
        await asyncio.wait_for(on_new_message(message), limit)
    except asyncio.TimeoutError:
        log.error("turn on %s took longer than %.0f s (set by %s); apologised",
                  message.input_channel, limit, ENV_TURN_TIMEOUT)
    except Exception:
        log.exception("turn on %s failed; apologised", message.input_channel)
    else:
        if watched.sent:
            return True
        log.error("turn on %s ended without a reply (is the action server up?); apologised",
                  message.input_channel)
    await apologise(watched.inner, replies, message.sender_id)
    return False


def guard_turns(channel: str, on_new_message: OnNewMessage,
                make_blueprint: Callable[[OnNewMessage], Blueprint]) -> Blueprint:
    """A stock Rasa channel's blueprint whose turns go through :func:`run_turn`.

    For channels (REST) whose routes we do not write ourselves: the agent that renders
    the apology is taken from the app the blueprint is registered in.
    """
    apps: List[Any] = []

    async def guarded(message: UserMessage) -> None:
        if not apps:  # not served yet (tests calling the handler directly)
            await on_new_message(message)
            return
        await run_turn(on_new_message, message, AgentReplies(apps[0].ctx.agent, channel))

    blueprint = make_blueprint(guarded)

    @blueprint.listener("before_server_start")
    async def remember_app(app: Any, _: Any) -> None:
        apps[:] = [app]

    return blueprint


# --- shutdown: acknowledged work finishes; undelivered outbound messages are resumed ---------

SHUTDOWN_SEND_GRACE_S = 20.0  # after the last turn's timeout: its answer still has to go out
OUTBOUND_RETRY_INTERVAL_S = 30.0


def shutdown_grace() -> float:
    """How long shutdown waits for acknowledged turns: a turn's bound plus sending its answer."""
    return turn_timeout() + SHUTDOWN_SEND_GRACE_S


def finish_on_shutdown(blueprint: Blueprint, channel: str, drain: Callable[[], Awaitable[None]]) -> None:
    """Finish in-flight work before the server stops, and resume undelivered outbound sends.

    A webhook answers the platform before the turn runs (Telegram, WeChat) and the widget
    acknowledges at once, so on SIGTERM those messages would be lost: Sanic's
    ``before_server_stop`` runs while the event loop still serves the turns, and waits
    here (bounded by :func:`shutdown_grace`). Every channel also makes sure the outbound
    retry loop runs once in the app (``bot.outbound.retry_pending``).
    """

    @blueprint.listener("after_server_start")
    async def start_outbound_retries(app: Any, _: Any) -> None:
        if getattr(app.ctx, "tripdesk_outbound_retries", None) is None:
            from bot.outbound import retry_pending_forever

            app.ctx.tripdesk_outbound_retries = asyncio.ensure_future(
                retry_pending_forever(OUTBOUND_RETRY_INTERVAL_S))

    @blueprint.listener("before_server_stop")
    async def finish_in_flight(app: Any, _: Any) -> None:
        try:
            await asyncio.wait_for(drain(), shutdown_grace())
        except asyncio.TimeoutError:
            log.error("%s: work still in flight after %.0f s at shutdown; abandoned", channel,
                      shutdown_grace())
        retries = getattr(app.ctx, "tripdesk_outbound_retries", None)
        if retries is not None:
            retries.cancel()
            app.ctx.tripdesk_outbound_retries = None
