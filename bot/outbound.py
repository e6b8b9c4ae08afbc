"""One way to reach a customer later: agent replies, satisfaction surveys, trip reminders.

A message for a customer goes out on the channel they wrote from last (WeChat, Telegram
or the website widget), through that channel's sender. Each channel module registers a
factory for its :class:`ChannelSender` with :func:`register_sender` when it is imported;
a process that has not imported the channels (the hold sweeper, the CLI) has them
imported by :func:`senders_from_environment` (``connectors.import_channels``). A sender raises an exception with ``reason`` and ``retryable``
attributes (:class:`DeliveryError` or a channel's own) when it cannot deliver, and
retryable failures are retried with backoff a bounded number of times. Every send is
recorded in ``outbound_messages`` (written before the first attempt, completed after
the last), so nothing meant for a traveller is silently dropped.

A send whose retries ran out on a retryable failure (the platform was down) stays
``pending`` in the table and is resumed later, also by another process or after a
restart: :meth:`Outbound.resume_pending`, run every 30 s by the Rasa server
(:func:`retry_pending_forever`, started by the connectors), with doubling delays and at
most ``MAX_ATTEMPTS`` attempts in all. Each resumed attempt is claimed in the table
first, so two server processes never send the same message twice.

Connectors call :func:`record_inbound` for each message a traveller sends, which is how
"the channel they used last" is known. The database is synchronous: everything that
touches it runs in a worker thread, never on the event loop.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.booking.db import database_url
from bot.booking.models import ChannelIdentity, Customer, OutboundMessage, utcnow
from bot.booking.store import BookingStore
from bot.privacy import mask_text

log = logging.getLogger(__name__)

Buttons = Sequence[Mapping[str, str]]

RETRY_DELAYS_S = (1.0, 4.0, 15.0)
MAX_ATTEMPTS = 10  # in-process and resumed attempts together; then the send is failed
RESUME_FIRST_AFTER_S = 60.0  # since the row was written; doubles with each resumed attempt
STALE_PENDING_S = 600.0  # a row never attempted (the process died mid-send) is resumed after this
RESUME_BATCH = 50
ATTEMPT_TIMEOUT_S = 90.0  # a guard around one attempt; senders have their own timeouts
MAX_ERROR_LENGTH = 500


class DeliveryError(Exception):
    """A channel could not deliver a message; ``retryable`` says whether trying again may help."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class ChannelSender(Protocol):
    """Sends to one channel; raises an exception with ``retryable`` when it cannot."""

    channel: str

    async def send(self, recipient_id: str, text: str, buttons: Buttons = ()) -> None:
        ...


# A channel's sender as configured in this process's environment, or None when it is not.
SenderFactory = Callable[[], Optional[ChannelSender]]
_factories: Dict[str, SenderFactory] = {}
_channels_imported = False


def register_sender(channel: str, factory: SenderFactory) -> None:
    """Make ``channel``'s sender known; channel modules call it when they are imported.

    The factory runs when an :class:`Outbound` is built, so it reads the environment
    then; a later registration for the same channel replaces the earlier one.
    """
    _factories[channel] = factory


def registered_channels() -> List[str]:
    """The channels with a registered sender, after the channel modules were imported."""
    _import_channels()
    return sorted(_factories)


def _import_channels() -> None:
    """Import the channel modules once, so a process that never loaded them finds their senders."""
    global _channels_imported
    if _channels_imported:
        return
    from connectors import import_channels  # the connectors import this module: not at the top

    import_channels()
    _channels_imported = True


@dataclass(frozen=True)
class OutboundResult:
    """What became of one outbound message; ``message_id`` is its outbound_messages row."""

    status: str  # sent | pending (retried later) | failed | undeliverable
    channel: Optional[str] = None
    recipient_id: Optional[str] = None
    attempts: int = 0
    error: Optional[str] = None
    message_id: Optional[int] = None

    @property
    def sent(self) -> bool:
        return self.status == "sent"


@dataclass(frozen=True)
class PendingMessage:
    """An ``outbound_messages`` row still to be delivered."""

    id: int
    channel: str
    recipient_id: str
    text: str
    buttons: List[Dict[str, str]]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Identity:
    """A channel identity of a customer and when they last wrote from it."""

    channel: str
    external_id: str
    last_seen_at: Optional[datetime]


class OutboundRecords:
    """The database side: identities and the outbound_messages log (synchronous)."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.store = BookingStore(url)
        self._sessions = sessionmaker(bind=self.store.engine, expire_on_commit=False, future=True)

    def close(self) -> None:
        self.store.close()

    def record_inbound(self, channel: str, external_id: str) -> int:
        """Mark the identity as just seen (creating customer and identity on first contact)."""
        customer = self.store.customer_for(channel, external_id)
        with self._sessions() as session, session.begin():
            session.execute(
                update(ChannelIdentity)
                .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
                .values(last_seen_at=utcnow())
            )
        return customer.id

    def identities(self, customer_id: int) -> Optional[List[Identity]]:
        """The customer's identities, most recently seen first; None for an unknown customer."""
        with self._sessions() as session:
            if session.get(Customer, customer_id) is None:
                return None
            rows = session.execute(
                select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id)
                .order_by(ChannelIdentity.id.desc())
            ).scalars()
            found = [Identity(row.channel, row.external_id, row.last_seen_at) for row in rows]
        return sorted(found, key=lambda i: (i.last_seen_at is not None, i.last_seen_at or 0),
                      reverse=True)

    def customer_of(self, channel: str, external_id: str) -> Optional[int]:
        with self._sessions() as session:
            return session.execute(
                select(ChannelIdentity.customer_id).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
            ).scalar_one_or_none()

    def open(self, customer_id: Optional[int], channel: str, recipient_id: str, text: str,
             buttons: Buttons) -> int:
        """Write the ``pending`` row before the first attempt; returns its id."""
        if customer_id is None:
            customer_id = self.customer_of(channel, recipient_id)
        with self._sessions() as session, session.begin():
            row = OutboundMessage(customer_id=customer_id, channel=channel,
                                  recipient_id=recipient_id, text=text,
                                  buttons=[dict(b) for b in buttons], status="pending")
            session.add(row)
            session.flush()
            return row.id

    def pending(self, limit: int = RESUME_BATCH) -> List[PendingMessage]:
        """The oldest ``pending`` rows (bounded)."""
        with self._sessions() as session:
            rows = session.execute(
                select(OutboundMessage).where(OutboundMessage.status == "pending")
                .order_by(OutboundMessage.id).limit(limit)
            ).scalars()
            return [PendingMessage(row.id, row.channel, row.recipient_id, row.text,
                                   list(row.buttons or []), row.attempts, row.created_at)
                    for row in rows]

    def claim(self, message_id: int, attempts: int) -> bool:
        """Take the next attempt of a pending row; False when another process took it first."""
        with self._sessions() as session, session.begin():
            claimed = session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == message_id, OutboundMessage.status == "pending",
                       OutboundMessage.attempts == attempts)
                .values(attempts=attempts + 1)
            )
            return bool(claimed.rowcount)

    def close_message(self, message_id: int, status: str, attempts: int,
                      error: Optional[str]) -> None:
        with self._sessions() as session, session.begin():
            session.execute(
                update(OutboundMessage).where(OutboundMessage.id == message_id).values(
                    status=status, attempts=attempts,
                    last_error=mask_text(error[:MAX_ERROR_LENGTH]) if error else None,
                    sent_at=utcnow() if status == "sent" else None,
                )
            )


class Outbound:
    """Sends to customers and channel recipients, with retries and a record of each send.

    Args:
        senders: channel name → sender; default :func:`senders_from_environment`.
        url: booking store URL; default ``DATABASE_URL`` or the SQLite file.
        retry_delays: seconds to wait before each retry of a retryable failure.
    """

    def __init__(self, senders: Optional[Mapping[str, ChannelSender]] = None,
                 url: Optional[str] = None,
                 retry_delays: Sequence[float] = RETRY_DELAYS_S) -> None:
        self.senders: Dict[str, ChannelSender] = dict(
            senders if senders is not None else senders_from_environment())
        self.records = OutboundRecords(url)
        self.retry_delays = tuple(retry_delays)

    def close(self) -> None:
        self.records.close()

    async def send_to_customer(self, customer_id: int, text: str,
                               buttons: Buttons = ()) -> OutboundResult:
        """Send on the channel the customer used last (among channels we can send to)."""
        _check_message(text, buttons)
        identities = await asyncio.to_thread(self.records.identities, customer_id)
        if identities is None:
            return OutboundResult("undeliverable", error=f"unknown customer {customer_id}")
        if not identities:
            return OutboundResult("undeliverable",
                                  error=f"customer {customer_id} has no channel identity")
        usable = [i for i in identities if i.channel in self.senders]
        chosen = (usable or identities)[0]
        return await self._deliver(customer_id, chosen.channel, chosen.external_id, text, buttons)

    async def send(self, channel: str, recipient_id: str, text: str,
                   buttons: Buttons = ()) -> OutboundResult:
        """Send to one recipient on one channel (the customer is looked up for the record)."""
        _check_message(text, buttons)
        return await self._deliver(None, channel, recipient_id, text, buttons)

    async def _deliver(self, customer_id: Optional[int], channel: str, recipient_id: str,
                       text: str, buttons: Buttons) -> OutboundResult:
        message_id = await asyncio.to_thread(
            self.records.open, customer_id, channel, recipient_id, text, buttons)
        sender = self.senders.get(channel)
        error: Optional[str]
        if sender is None:
            status, attempts = "undeliverable", 0
            error = await asyncio.to_thread(_no_sender, channel)
        else:
            status, attempts, error = await self._attempt(sender, recipient_id, text, buttons)
        await asyncio.to_thread(self.records.close_message, message_id, status, attempts, error)
        _log_outcome(message_id, channel, status, error)
        return OutboundResult(status, channel, recipient_id, attempts, error, message_id)

    async def resume_pending(self, now: Optional[datetime] = None) -> List[OutboundResult]:
        """One more attempt for each pending send that is due; returns what became of them."""
        at = now or utcnow()
        due = [m for m in await asyncio.to_thread(self.records.pending)
               if at >= self._due_at(m)]
        return [result for result in [await self._resume(m) for m in due] if result is not None]

    def _due_at(self, message: PendingMessage) -> datetime:
        """Never attempted: after STALE_PENDING_S; else after doubling delays since the row was written."""
        if message.attempts == 0:
            return message.created_at + timedelta(seconds=STALE_PENDING_S)
        resumed = max(0, message.attempts - (1 + len(self.retry_delays)))
        return message.created_at + timedelta(seconds=RESUME_FIRST_AFTER_S * 2 ** resumed)

    async def _resume(self, message: PendingMessage) -> Optional[OutboundResult]:
        sender = self.senders.get(message.channel)
        if sender is None:  # this process cannot send there; another one may
            return None
        if not await asyncio.to_thread(self.records.claim, message.id, message.attempts):
            return None
        attempts = message.attempts + 1
        try:
            await asyncio.wait_for(sender.send(message.recipient_id, message.text, message.buttons),
                                   ATTEMPT_TIMEOUT_S)
            status, error = "sent", None
        except asyncio.TimeoutError:
            status, error = "pending", f"no answer within {ATTEMPT_TIMEOUT_S:.0f} s"
        except Exception as failure:  # any sender failure is recorded, never raised
            error, retryable = _describe(failure)
            status = "pending" if retryable else "failed"
        if status == "pending" and attempts >= MAX_ATTEMPTS:
            status = "failed"
        await asyncio.to_thread(self.records.close_message, message.id, status, attempts, error)
        _log_outcome(message.id, message.channel, status, error)
        return OutboundResult(status, message.channel, message.recipient_id, attempts, error,
                              message.id)

    async def _attempt(self, sender: ChannelSender, recipient_id: str, text: str,
                       buttons: Buttons) -> Tuple[str, int, Optional[str]]:
        """Try, then retry retryable failures after each delay; (status, attempts, error).

        ``pending`` when every attempt failed in a way a later retry may fix.
        """
        error: Optional[str] = None
        for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
            await asyncio.sleep(delay)
            try:
                await asyncio.wait_for(sender.send(recipient_id, text, buttons), ATTEMPT_TIMEOUT_S)
                return "sent", attempt, None
            except asyncio.TimeoutError:
                error, retryable = f"no answer within {ATTEMPT_TIMEOUT_S:.0f} s", True
            except Exception as failure:  # any sender failure is recorded, never raised
                error, retryable = _describe(failure)
            if not retryable:
                return "failed", attempt, error
        return "pending", 1 + len(self.retry_delays), error


def _log_outcome(message_id: int, channel: str, status: str, error: Optional[str]) -> None:
    if status == "sent":
        log.info("outbound message %s sent on %s", message_id, channel)
    elif status == "pending":
        log.warning("outbound message %s not delivered on %s yet (%s); it will be retried",
                    message_id, channel, error)
    else:
        log.warning("outbound message %s %s on %s: %s", message_id, status, channel, error)


def _describe(failure: Exception) -> Tuple[str, bool]:
    """(reason, retryable) from a DeliveryError-like exception; anything else is final."""
    retryable = getattr(failure, "retryable", None)
    if retryable is None:
        return f"{type(failure).__name__}: {failure}", False
    return str(getattr(failure, "reason", failure)), bool(retryable)


def _check_message(text: str, buttons: Buttons) -> None:
    """Refuse what no channel can send: a programming error, not a delivery failure."""
    if not (text or "").strip():
        raise ValueError("an outbound message needs text")
    for button in buttons:
        if not button.get("title") or not button.get("payload"):
            raise ValueError(f"a button needs a title and a payload: {dict(button)!r}")


def _no_sender(channel: str) -> str:
    """Why nothing can be sent on ``channel``: no channel registers a sender, or it is not configured."""
    if channel not in registered_channels():
        return (f"no sender registered for channel {channel!r} (registered: "
                f"{', '.join(registered_channels()) or 'none'})")
    return f"no sender configured for channel {channel!r} (check its environment variables)"


def senders_from_environment() -> Dict[str, ChannelSender]:
    """The senders of every registered channel that is configured; the others are skipped."""
    senders: Dict[str, ChannelSender] = {}
    for channel in registered_channels():
        try:
            sender = _factories[channel]()
        except Exception:  # a misconfigured channel must not stop the others
            log.exception("could not configure the outbound sender of channel %s", channel)
            continue
        if sender is not None:
            senders[channel] = sender
    return senders


# --- module-level entry points -------------------------------------------------------

_lock = threading.Lock()
_records: Dict[str, OutboundRecords] = {}
_default: Optional[Outbound] = None


def _records_for(url: Optional[str]) -> OutboundRecords:
    """One records object per database URL, shared (its engine pools connections)."""
    key = url or database_url()
    with _lock:
        if key not in _records:
            _records[key] = OutboundRecords(key)
        return _records[key]


def record_inbound(channel: str, external_id: str, url: Optional[str] = None) -> int:
    """A traveller just wrote from this identity; returns their customer id.

    Synchronous (it touches the database): connectors call it in a worker thread.
    """
    return _records_for(url).record_inbound(channel, external_id)


def default_outbound() -> Outbound:
    """The process-wide :class:`Outbound` with the senders configured in the environment."""
    global _default
    with _lock:
        if _default is None:
            _default = Outbound()
        return _default


async def retry_pending_forever(interval: float) -> None:
    """Resume pending sends every ``interval`` seconds (the Rasa server runs this; see connectors.base).

    The first round comes after one interval: the database is not touched at start-up.
    """
    while True:
        await asyncio.sleep(interval)
        try:
            outbound = await asyncio.to_thread(default_outbound)
            await outbound.resume_pending()
        except asyncio.CancelledError:
            raise
        except Exception:  # a store that is down now may be up at the next round
            log.exception("could not resume pending outbound messages")


async def send_to_customer(customer_id: int, text: str, buttons: Buttons = ()) -> OutboundResult:
    """Send text and buttons to a customer on the channel they used last."""
    outbound = await asyncio.to_thread(default_outbound)  # may open and migrate the database
    return await outbound.send_to_customer(customer_id, text, buttons)


async def send(channel: str, recipient_id: str, text: str, buttons: Buttons = ()) -> OutboundResult:
    """Send text and buttons to one recipient on one channel."""
    outbound = await asyncio.to_thread(default_outbound)
    return await outbound.send(channel, recipient_id, text, buttons)


__all__ = [
    "Buttons", "ChannelSender", "DeliveryError", "Identity", "Outbound", "OutboundRecords",
    "OutboundResult", "PendingMessage", "SenderFactory", "record_inbound", "register_sender",
    "registered_channels", "retry_pending_forever", "send", "send_to_customer",
    "senders_from_environment",
]
