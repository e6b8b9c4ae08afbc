"""The hold sweeper: unpaid bookings whose hold ran out are expired and the traveller told.

A booking awaiting payment keeps its inventory for the hold time of its product
(``knowledge_base/policies.yml`` ``holds``); :meth:`BookingStore.expire_holds` expires
the ones past it. The sweeper runs that on an interval (``make run`` starts it beside
the servers) and then tells each traveller, on the channel they used last, through
:mod:`bot.outbound` with the domain response ``utter_hold_expired``.

Everything is in the database, so nothing is lost with the process: a notice is owed
for every ``expired`` booking without an ``expiry_notified`` event, and the next sweep
(of this process or another) sends what a crash left unsent. The notice is claimed by
writing that event with the booking row locked, so two sweepers never both send it.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Dict, List, Optional

import yaml
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased

from bot.booking.models import Booking, BookingEvent, BookingItem, Product, utcnow
from bot.booking.store import BookingStore, ExpiredHold
from bot.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

HOLD_EXPIRED_RESPONSE = "utter_hold_expired"
INTERVAL_ENV = "TRIPDESK_HOLD_SWEEP_INTERVAL_S"
DEFAULT_INTERVAL_S = 60.0
NOTICES_PER_SWEEP = 100
NOTICE_WINDOW = timedelta(days=1)  # a notice owed longer (the sweeper was down) is dropped


def sweep_interval() -> float:
    """Seconds between sweeps: ``TRIPDESK_HOLD_SWEEP_INTERVAL_S`` (default 60)."""
    raw = os.environ.get(INTERVAL_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL_S
    except ValueError as error:
        raise ValueError(f"{INTERVAL_ENV} must be a number of seconds, not {raw!r}") from error
    if value <= 0:
        raise ValueError(f"{INTERVAL_ENV} must be positive")
    return value


def deadline_text(moment: datetime, timezone: tzinfo) -> str:
    """A hold deadline as the traveller reads it, business-local: ``12月1日 14:30``."""
    local = moment.astimezone(timezone)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def hold_minutes(created_at: datetime, expires_at: datetime) -> int:
    """The hold a booking was given, in whole minutes, for the confirmation copy."""
    return round((expires_at - created_at).total_seconds() / 60)


@lru_cache(maxsize=1)
def _responses() -> Dict[str, Any]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return dict(domain.get("responses") or {})


def response_text(name: str, **values: Any) -> str:
    """The first variation of a domain.yml response, filled (messages sent outside a turn)."""
    variations = _responses().get(name)
    if not variations:
        raise KeyError(f"domain.yml has no response {name!r}")
    return str(variations[0]["text"]).format(**values)


@dataclass(frozen=True)
class SweepReport:
    expired: int
    notified: int


class HoldSweeper:
    """Expires unpaid holds and tells the travellers; one :meth:`sweep` per interval.

    Args:
        store: the booking store.
        outbound: a :class:`bot.outbound.Outbound` (its ``send_to_customer`` is used).
    """

    def __init__(self, store: BookingStore, outbound: Any) -> None:
        self.store = store
        self.outbound = outbound

    async def sweep(self, at: Optional[datetime] = None) -> SweepReport:
        """Expire what is due at ``at`` (default now), then send every notice still owed."""
        expired = await asyncio.to_thread(self.store.expire_holds, at)
        for hold in expired:
            log.info("hold of booking %s expired", hold.reference)
        notified = 0
        for hold in await asyncio.to_thread(self.notices_owed, at):
            if not await asyncio.to_thread(self.claim_notice, hold.reference):
                continue  # another sweeper took it
            text = response_text(HOLD_EXPIRED_RESPONSE, reference=hold.reference,
                                 product=hold.product_name,
                                 deadline=deadline_text(hold.hold_expires_at,
                                                        self.store.policy.timezone))
            result = await self.outbound.send_to_customer(hold.customer_id, text)
            notified += 1
            if not result.sent:
                log.warning("hold expiry notice for %s: %s (%s)", hold.reference,
                            result.status, result.error)
        return SweepReport(len(expired), notified)

    def notices_owed(self, at: Optional[datetime] = None) -> List[ExpiredHold]:
        """Expired bookings whose traveller has not been told yet, oldest first (holds that
        ran out within NOTICE_WINDOW of ``at``: older news would only confuse)."""
        since = (at or utcnow()) - NOTICE_WINDOW
        notified = aliased(BookingEvent)
        with self.store.transaction() as session:
            found = session.execute(
                select(Booking.reference, Booking.customer_id, Product.name, Booking.hold_expires_at)
                .join(BookingItem, BookingItem.booking_id == Booking.id)
                .join(Product, Product.id == BookingItem.product_id)
                .where(Booking.status == "expired", Booking.hold_expires_at >= since,
                       ~exists().where(and_(notified.booking_id == Booking.id,
                                            notified.action == "expiry_notified")))
                .order_by(Booking.hold_expires_at, Booking.id).limit(NOTICES_PER_SWEEP)
            ).all()
        return [ExpiredHold(*row) for row in found]

    def claim_notice(self, reference: str) -> bool:
        """Write the ``expiry_notified`` event once; False if it was already written."""
        with self.store.transaction() as session:
            booking = session.execute(
                select(Booking).where(Booking.reference == reference).with_for_update()
            ).scalar_one()
            done = session.execute(
                select(BookingEvent.id).where(BookingEvent.booking_id == booking.id,
                                              BookingEvent.action == "expiry_notified")
            ).first()
            if done is not None:
                return False
            BookingStore._event(session, booking, "system", None, "expiry_notified",
                                {"response": HOLD_EXPIRED_RESPONSE})
            return True

    async def run(self, stop: threading.Event, interval_s: float) -> None:
        """Sweep every ``interval_s`` until ``stop`` is set; a failed sweep is logged and retried."""
        while not stop.is_set():
            try:
                report = await self.sweep()
                if report.expired or report.notified:
                    log.info("hold sweep: %d expired, %d travellers told",
                             report.expired, report.notified)
            except Exception:  # the database may be down for a while; try again later
                log.exception("hold sweep failed; retrying in %.0f s", interval_s)
            await asyncio.to_thread(stop.wait, interval_s)


class BackgroundSweeper:
    """The sweeper on its own thread and event loop, for ``make run`` (``bot.cli.run``)."""

    def __init__(self, interval_s: Optional[float] = None, url: Optional[str] = None) -> None:
        self.interval_s = interval_s if interval_s is not None else sweep_interval()
        self.url = url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="hold-sweeper", daemon=True)

    def start(self) -> "BackgroundSweeper":
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _main(self) -> None:
        from bot.outbound import Outbound

        store = BookingStore(self.url)
        outbound = Outbound(url=self.url)
        try:
            asyncio.run(HoldSweeper(store, outbound).run(self._stop, self.interval_s))
        finally:
            outbound.close()
            store.close()
