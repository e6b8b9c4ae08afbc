"""Steps every channel shares: secrets kept out of logs, typed text stays text, dedupe of
retried deliveries, one turn at a time per sender, work that outlives the webhook
request, the traveller marked as seen, the replies a channel answers itself, the
input policy (how long a message and how many messages a channel passes to the bot), and the
apology for a turn that failed or took too long (:func:`run_turn`).

Platforms retry a webhook they think failed (WeChat three times within 15 s, Telegram
until it gets a 200). A retried delivery must be answered from the first processing,
never processed twice, and two messages from one traveller must reach Rasa in the
order they were sent, even when the webhook acknowledges first and processes later.

What a connector hands to Rasa: an offered button or menu payload as its raw text
(``UserMessage(text=payload)``), so "/affirm" is read as the intent by Rasa's own
"/intent{...}" reader; anything the traveller typed through :func:`as_plain_text`, so
typed "/intent{...}" stays a sentence (bot/text.py ``normalize`` tells the two apart).

Also here, once for every channel module: secrets read from the environment
(:func:`secret_from_environment`), control characters stripped from typed text
(:func:`without_control_characters`), the replies a channel answers itself
(:data:`CHANNEL_REPLIES`), bounded per-traveller memory such as the buttons each
traveller was offered (:class:`RecentlyUsed`), and the noisy libraries quieted
(:func:`quiet_noisy_libraries`, called by ``connectors/__init__.py``).
"""
from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Generic,
    Hashable,
    List,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Set,
    Text,
    Tuple,
    TypeVar,
)

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint

log = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]  # what Rasa gives a channel's blueprint
ZERO_WIDTH_SPACE = "\u200b"
# C0/C1 control characters except tab and newline: they carry no meaning in a chat and
# PostgreSQL cannot store NUL in the tracker store.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Libraries whose logs would leak a secret, and why; set to WARNING once per process.
NOISY_LIBRARIES: Dict[str, str] = {
    "urllib3.connectionpool": "logs request URLs at DEBUG; WeChat's token URL carries the AppSecret",
    "httpx": "logs every request URL at INFO; Bot API URLs contain the Telegram token",
    "httpcore": "logs connections and requests at DEBUG (the Telegram token again)",
    "telegram": "logs Bot API requests at DEBUG",
}


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


def secret_from_environment(env: Mapping[str, str], name: str) -> Optional[Secret]:
    """The variable ``name`` as a :class:`Secret`, or None when it is unset or blank."""
    value = env.get(name, "").strip()
    return Secret(value) if value else None


def seconds_from_environment(env: Mapping[str, str], name: str, default: float) -> float:
    """The number of seconds in the variable ``name``; ``default`` when unset or not a number."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %g", name, raw, default)
        return default


def ignore_credentials(credentials: Optional[Mapping[str, Any]], channel: str, use: str) -> None:
    """Settings come from the environment only: say so when credentials.yml holds values.

    credentials.yml is committed with the project, so a secret there would be leaked.
    """
    if credentials:
        log.warning("%s settings in credentials.yml are ignored: use %s", channel, use)


@lru_cache(maxsize=1)
def quiet_noisy_libraries() -> None:
    """Raise the libraries of :data:`NOISY_LIBRARIES` to WARNING (the first call does it)."""
    for name in NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def without_control_characters(text: str) -> str:
    """Typed text without control characters (tab and newline kept)."""
    return CONTROL_CHARACTERS.sub("", text)


Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class RecentlyUsed(Generic[Key, Value]):
    """A mapping of at most ``max_entries`` keys; the least recently stored is forgotten first.

    What a channel remembers per traveller (buttons offered, quotas, rate buckets) must
    stay bounded however many travellers write, so every such memory is one of these.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: "OrderedDict[Key, Value]" = OrderedDict()

    def get(self, key: Key) -> Optional[Value]:
        return self._items.get(key)

    def put(self, key: Key, value: Value) -> None:
        """Store ``value`` as the most recent entry, forgetting the oldest beyond the bound."""
        self._items.pop(key, None)
        self._items[key] = value
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def pop(self, key: Key) -> Optional[Value]:
        return self._items.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


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
    """Renders named domain responses for one traveller; ``values`` fill placeholders."""

    async def render(self, names: Sequence[str], sender_id: str, **values: Any) -> List[Dict[str, Any]]:
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


# --- input policy: how much a channel passes to the bot ------------------------------------
#
# One long message used to hold the Rasa process for minutes and a flood of messages
# starves every other traveller. Each channel asks :class:`InputPolicy` before a message
# goes to Rasa; a refused message is never processed, never cut, and the traveller is
# told why in a domain response.

# The longest text, in characters, each channel passes to the bot. Telegram: the
# platform's own limit (MessageLimit.MAX_TEXT_LENGTH), so only a forged update is
# longer. Widget: what its input box allows (widget.js MAX_CHARS). WeChat and REST: the
# same 2000, the longest a traveller plausibly types to a service desk; a 2000-character
# message parses in well under a second. ``TRIPDESK_<CHANNEL>_MAX_CHARS`` overrides.
MAX_TEXT_CHARS: Dict[str, int] = {"telegram": 4096, "wechat": 2000, "webchat": 2000, "rest": 2000}
MAX_TEXT_CHARS_ENV = "TRIPDESK_{channel}_MAX_CHARS"

# Messages per sender and per client address: "N/S" allows N messages in S seconds, in
# bursts of up to N. A traveller types, taps buttons and pastes, but hardly 30 messages a
# minute (30 allows a quick burst of button taps); an address may be a hotel lobby or an
# office behind one NAT, so it gets ten times that.
RATE_ENV = {"sender": "TRIPDESK_RATE_PER_SENDER", "address": "TRIPDESK_RATE_PER_ADDRESS"}
DEFAULT_RATES = {"sender": "30/60", "address": "300/60"}
MAX_TRACKED_KEYS = 50_000  # senders or addresses remembered per channel (memory stays bounded)

# The domain responses a refusal is told with (first known wins, see AgentReplies).
REFUSAL_RESPONSES: Dict[str, Tuple[str, ...]] = {
    "too_long": ("utter_message_too_long",),
    "too_many": ("utter_too_many_messages", "utter_still_working"),
}

# What a platform channel (Telegram, WeChat) answers itself, whatever the platform:
# chains of domain response names rendered by AgentReplies (the first the domain has
# wins). A channel adds its own kinds (Telegram's welcome, WeChat's voice).
CHANNEL_REPLIES: Dict[str, Tuple[str, ...]] = {
    "menu": ("utter_main_menu", "utter_ask_search_type"),
    "unsupported": ("utter_unsupported_message", "utter_out_of_scope"),
    "empty": ("utter_empty_message", "utter_ask_rephrase"),
    **REFUSAL_RESPONSES,  # too_long, too_many: the input policy's answers
}


def max_text_chars(channel: str, environ: Optional[Mapping[str, str]] = None) -> int:
    """The longest text ``channel`` passes to the bot (MAX_TEXT_CHARS, or the override)."""
    env = os.environ if environ is None else environ
    name = MAX_TEXT_CHARS_ENV.format(channel=channel.upper())
    raw = env.get(name, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("%s=%r is not a number of characters; using %d", name, raw,
                        MAX_TEXT_CHARS[channel])
    return MAX_TEXT_CHARS[channel]


@dataclass(frozen=True)
class Rate:
    """At most ``messages`` in ``seconds``, in bursts of up to ``messages``."""

    messages: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """ "20/60" → 20 messages per 60 seconds; ValueError for anything else."""
        count, _, seconds = text.partition("/")
        rate = cls(int(count), float(seconds))
        if rate.messages < 1 or rate.seconds <= 0:
            raise ValueError(text)
        return rate

    @classmethod
    def from_environment(cls, kind: str, environ: Optional[Mapping[str, str]] = None) -> "Rate":
        env = os.environ if environ is None else environ
        raw = env.get(RATE_ENV[kind], "").strip() or DEFAULT_RATES[kind]
        try:
            return cls.parse(raw)
        except ValueError:
            log.warning("%s=%r is not N/S (messages per seconds); using %s", RATE_ENV[kind], raw,
                        DEFAULT_RATES[kind])
            return cls.parse(DEFAULT_RATES[kind])


class RateLimiter:
    """A token bucket per key (a sender or an address), the least recently seen forgotten first.

    ``take(key)`` spends one token and returns 0, or returns the seconds until one is
    available again without spending. At most ``max_keys`` buckets are kept; a key
    forgotten early only gets a fresh bucket, which the per-address limit still bounds.
    """

    def __init__(self, rate: Rate, max_keys: int = MAX_TRACKED_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: RecentlyUsed[str, Tuple[float, float]] = RecentlyUsed(max_keys)  # (tokens, at)

    def take(self, key: str) -> float:
        now = self.clock()
        per_second = self.rate.messages / self.rate.seconds
        tokens, at = self._buckets.get(key) or (float(self.rate.messages), now)
        tokens = min(float(self.rate.messages), tokens + (now - at) * per_second)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / per_second
        self._buckets.put(key, (tokens - 1 if not wait else tokens, now))
        return wait


@dataclass(frozen=True)
class Refusal:
    """Why a message is not passed to the bot, and how the traveller is told.

    ``tell`` is False for the further messages of a flood after the first was told, so
    a flood does not turn into a flood of answers.
    """

    reason: str  # "too_long" or "too_many"
    status: int  # for HTTP channels that answer with the reply: 413 or 429
    retry_after: int = 0  # seconds, for a Retry-After header
    tell: bool = True

    @property
    def responses(self) -> Tuple[str, ...]:
        return REFUSAL_RESPONSES[self.reason]

    @property
    def headers(self) -> Dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class InputPolicy:
    """What one channel passes to the bot: texts up to its limit, messages within the rates.

    Channels call :meth:`check` for every message before it reaches Rasa (button
    presses and commands too: they count towards the rates). Limits come from
    MAX_TEXT_CHARS and the rate settings; ``address`` is the client's IP address where
    the client connects directly (REST, widget), None behind a platform (Telegram and
    WeChat call from their own servers, so only the sender counts there).
    """

    def __init__(self, channel: str, max_chars: int, per_sender: Rate, per_address: Rate,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.channel = channel
        self.max_chars = max_chars
        self.senders = RateLimiter(per_sender, clock=clock)
        self.addresses = RateLimiter(per_address, clock=clock)
        self._told: RecentlyUsed[str, bool] = RecentlyUsed(MAX_TRACKED_KEYS)  # keys told about the rate

    @classmethod
    def for_channel(cls, channel: str, environ: Optional[Mapping[str, str]] = None) -> "InputPolicy":
        return cls(channel, max_text_chars(channel, environ), Rate.from_environment("sender", environ),
                   Rate.from_environment("address", environ))

    @property
    def reply_values(self) -> Dict[str, Any]:
        """What the refusal responses' placeholders are filled with."""
        return {"max_chars": self.max_chars}

    def check(self, sender_id: Optional[str], text: Optional[str] = None,
              address: Optional[str] = None) -> Optional[Refusal]:
        """None when the message may go to the bot, else the refusal to answer with."""
        for kind, limiter, key in (("address", self.addresses, address), ("sender", self.senders, sender_id)):
            if key is None:
                continue
            wait = limiter.take(key)
            if wait:
                tell = self._first_told(f"{kind}:{key}")
                if tell:  # once per flood: the log must not flood either
                    log.warning("%s: too many messages from one %s; refusing it for %.0f s",
                                self.channel, kind, wait)
                return Refusal("too_many", 429, retry_after=math.ceil(wait), tell=tell)
            self._told.pop(f"{kind}:{key}")
        if text is not None and len(text) > self.max_chars:
            log.warning("%s: message of %d characters refused (limit %d)", self.channel, len(text),
                        self.max_chars)
            return Refusal("too_long", 413)
        return None

    def _first_told(self, key: str) -> bool:
        """True the first time a flood from ``key`` is refused (until a message passes again)."""
        if key in self._told:
            return False
        self._told.put(key, True)
        return True


async def refusal_replies(replies: "Replies", refusal: Refusal, policy: InputPolicy,
                          sender_id: str) -> List[Dict[str, Any]]:
    """The polite answer to a refused message, rendered from the domain."""
    return await replies.render(refusal.responses, sender_id, **policy.reply_values)


def client_address(request: Any) -> Optional[str]:
    """The client's IP address of a Sanic request: the proxy's forwarded one when Sanic is
    configured to trust it (FORWARDED_SECRET, REAL_IP_HEADER, PROXIES_COUNT), else the peer."""
    return request.remote_addr or request.ip or None


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
    seconds = seconds_from_environment(os.environ, ENV_TURN_TIMEOUT, DEFAULT_TURN_TIMEOUT_S)
    return seconds if seconds > 0 else DEFAULT_TURN_TIMEOUT_S


class _WatchedOutput(OutputChannel):
    """The channel's own output, noting whether the turn sent the traveller anything."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:  # the NLG picks channel-specific copy by it
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
