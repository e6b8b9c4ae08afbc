"""The booking store as the actions reach it: one async method per store question.

:class:`~bot.booking.store.BookingStore` is synchronous; every call runs in a worker
thread so a slow database never stalls the action server's event loop, which serves
every conversation.

Reads that take longer than ``settings.db_timeout_seconds`` raise
:class:`StoreUnavailable` (nothing changed, the traveller may retry). Writes are never
abandoned and never reported as failed while they may still commit: a write that outlives
the timeout is awaited a while longer (``settings.db_settle_seconds``), then its outcome is
looked up by its idempotency key; only when that is still unknown does the caller get
:class:`OutcomeUnknown` ("still processing"), and the write finishes in its thread.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import date
from functools import partial
from typing import Any, Callable, List, Optional, Sequence, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot import contacts
from bot.booking import policy as rules
from bot.booking.store import (
    BookingQuote,
    BookingStore,
    BookingView,
    CancelResult,
    ChangeRequest,
    ChangeResult,
    CustomerRef,
    Dates,
    MembershipView,
    PaymentView,
    ProductView,
    Verification,
)
from bot.settings import settings

log = logging.getLogger(__name__)
T = TypeVar("T")

_store: Optional[BookingStore] = None


class StoreUnavailable(Exception):
    """The booking database did not answer in time and nothing was changed."""


class OutcomeUnknown(Exception):
    """A write outlived every wait and is not stored yet; it may still commit."""


def booking_store() -> BookingStore:
    """One store per action-server process (it owns the connection pool)."""
    global _store
    if _store is None:
        _store = BookingStore()
    return _store


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def say_store_unavailable(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(response="utter_store_unavailable", hotline=contacts.hotline())


def say_still_processing(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(response="utter_still_processing", hotline=contacts.hotline())


def _name(call: Callable[[], object]) -> str:
    function = call.func if isinstance(call, partial) else call
    return getattr(function, "__name__", repr(function))


def _report_late_outcome(name: str) -> Callable[["asyncio.Future[Any]"], None]:
    """Log how a write that outlived its caller's wait ended (and retrieve its error)."""
    def report(work: "asyncio.Future[Any]") -> None:
        if work.cancelled():
            return
        error = work.exception()
        if error is not None:
            log.warning("booking store write %s ended with %s", name, type(error).__name__)
    return report


class StoreAccess:
    """Typed async facade over :class:`BookingStore` for the actions."""

    # --- the two ways of calling the store ---------------------------------------------

    @staticmethod
    async def _read(call: Callable[[], T]) -> T:
        """A question that changes nothing: give up after the timeout."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(call), timeout=settings.db_timeout_seconds)
        except asyncio.TimeoutError as error:
            log.error("booking store call %s timed out", _name(call))
            raise StoreUnavailable from error
        except SQLAlchemyError as error:
            log.exception("booking store call %s failed", _name(call))
            raise StoreUnavailable from error

    async def _write(self, call: Callable[[], T], stored: Optional[Callable[[], Optional[T]]]) -> T:
        """A change: awaited (shielded) past the timeout, then looked up by its key.

        Args:
            call: the write; it keeps running in its thread whatever happens here.
            stored: reads the write's outcome by its idempotency key, None if not stored.
        """
        name = _name(call)
        work = asyncio.ensure_future(asyncio.to_thread(call))
        work.add_done_callback(_report_late_outcome(name))
        for wait in (settings.db_timeout_seconds, settings.db_settle_seconds):
            try:
                return await asyncio.wait_for(asyncio.shield(work), timeout=wait)
            except asyncio.TimeoutError:
                log.warning("booking store write %s still running after %ss", name, wait)
            except SQLAlchemyError:
                log.exception("booking store write %s failed", name)
                break
        return await self._stored_outcome(name, work, stored)

    async def _stored_outcome(self, name: str, work: "asyncio.Future[T]",
                              stored: Optional[Callable[[], Optional[T]]]) -> T:
        """What the store holds for a write whose own answer did not come back."""
        if stored is None:
            raise OutcomeUnknown(name)
        try:
            found = await self._read(stored)
        except StoreUnavailable:
            raise OutcomeUnknown(name) from None
        if found is not None:
            log.info("booking store write %s found stored by its key", name)
            return found
        if work.done():  # it failed and is not stored: nothing happened
            raise StoreUnavailable(name)
        raise OutcomeUnknown(name)

    # --- who is asking and what they may see -------------------------------------------

    async def caller(self, tracker: Tracker) -> CustomerRef:
        """The customer behind this sender on this channel (created on first contact)."""
        return await self._read(partial(booking_store().customer_for, channel_of(tracker),
                                        tracker.sender_id))

    async def accessible(self, tracker: Tracker, reference: Optional[str]) -> Optional[BookingView]:
        """The booking if the caller owns it or verified it in this conversation."""
        if not reference:
            return None
        customer = await self.caller(tracker)
        return await self._read(partial(booking_store().accessible, reference, customer,
                                        tracker.sender_id))

    async def owned(self, tracker: Tracker, reference: Optional[str]) -> Optional[BookingView]:
        """The booking only if it belongs to the caller's own account (channel identity)."""
        if not reference:
            return None
        customer = await self.caller(tracker)
        return await self._read(partial(booking_store().find, reference, customer))

    async def is_owner(self, tracker: Tracker, booking: BookingView) -> bool:
        return (await self.caller(tracker)).id == booking.customer_id

    async def bookings_of(self, tracker: Tracker, limit: int = 10) -> List[BookingView]:
        customer = await self.caller(tracker)
        return await self._read(partial(booking_store().bookings_for, customer, limit))

    async def verify_contact(self, reference: str, last4: str, conversation_id: str) -> Verification:
        """Verification attempts are not money: a timeout counts as unavailable."""
        return await self._read(partial(booking_store().verify_contact, reference, last4,
                                        conversation_id))

    # --- booking -------------------------------------------------------------------------

    async def product(self, product_code: str) -> ProductView:
        """The product booked under a catalogue code: its prices and room size."""
        return await self._read(partial(booking_store().product, product_code))

    async def quote_booking(self, product_code: str, dates: Dates, travellers: int,
                            rooms: Optional[int] = None, children: int = 0) -> BookingQuote:
        """``rooms`` the traveller asked for (a hotel), ``children`` of the places priced
        at the child fare (a product with one)."""
        return await self._read(partial(booking_store().quote_booking, product_code, dates, travellers,
                                        rooms=rooms, children=children))

    async def available(self, product_code: str, dates: Dates) -> int:
        return await self._read(partial(booking_store().available, product_code, dates))

    async def book(self, customer: CustomerRef, product_code: str, dates: Dates,
                   travellers: Sequence[str], phone: str, key: str, *, conversation_id: str,
                   expected_total_fen: int, hold_expires: bool = True,
                   rooms: Optional[int] = None, children: int = 0) -> BookingView:
        """``hold_expires`` is False when nothing is to be paid now (pay at the property);
        ``rooms`` is the count the summary showed (the party's size, not the names given),
        ``children`` how many of those places the summary priced at the child fare."""
        store = booking_store()
        return await self._write(
            partial(store.hold_and_book, customer, product_code, dates, list(travellers), phone, key,
                    conversation_id=conversation_id, expected_total_fen=expected_total_fen,
                    hold_expires=hold_expires, rooms=rooms, children=children),
            partial(store.booking_by_key, key, customer))

    async def open_payment(self, booking: BookingView, method: str, *, conversation_id: str) -> PaymentView:
        """Opening a payment is idempotent in the store (the pending one is reused)."""
        store = booking_store()

        def pending() -> Optional[PaymentView]:
            return next((p for p in store.payments_for(booking) if p.status == "pending"), None)

        return await self._write(partial(store.open_payment, booking, method,
                                         conversation_id=conversation_id), pending)

    async def payments_for(self, booking: BookingView) -> List[PaymentView]:
        return await self._read(partial(booking_store().payments_for, booking))

    async def method_of(self, booking: BookingView, status: str) -> str:
        """How the booking's payment in ``status`` was made, which says when a refund
        arrives; "" when the store is slow, as the refund stands whatever this read does."""
        try:
            payments = await self.payments_for(booking)
        except StoreUnavailable:
            return ""
        return next((p.method for p in payments if p.status == status), "")

    # --- cancellation and refunds ------------------------------------------------------

    async def quote_cancellation(self, booking: BookingView) -> rules.Quote:
        return await self._read(partial(booking_store().quote_cancellation, booking))

    async def cancel(self, booking: BookingView, quote: rules.Quote, key: str, *,
                     conversation_id: str) -> CancelResult:
        store = booking_store()
        return await self._write(
            partial(store.cancel, booking, quote, key, actor="customer", conversation_id=conversation_id),
            partial(store.cancellation_by_key, key, booking))

    async def refunds_for(self, booking: BookingView) -> List[CancelResult]:
        return await self._read(partial(booking_store().refunds_for, booking))

    async def refund_duplicate_payments(self, booking: BookingView, *,
                                        conversation_id: str) -> List[CancelResult]:
        """Idempotent in the store: a retry finds the refunds already opened."""
        store = booking_store()

        def opened() -> Optional[List[CancelResult]]:
            found = [r for r in store.refunds_for(booking) if r.rule == "payment.duplicate"]
            return found or None

        return await self._write(partial(store.refund_duplicate_payments, booking,
                                         conversation_id=conversation_id), opened)

    # --- changes -------------------------------------------------------------------------

    async def quote_change(self, booking: BookingView, request: ChangeRequest) -> rules.Quote:
        return await self._read(partial(booking_store().quote_change, booking, request))

    async def change(self, booking: BookingView, request: ChangeRequest, quote: rules.Quote,
                     key: str, *, conversation_id: str) -> ChangeResult:
        store = booking_store()
        return await self._write(
            partial(store.change, booking, request, quote, key, conversation_id=conversation_id),
            partial(store.change_by_key, key, booking))

    # --- membership ----------------------------------------------------------------------

    async def award_completed(self, customer: CustomerRef, today: date) -> int:
        """Points for finished trips; idempotent, so a timeout is simply tried next time."""
        return await self._read(partial(booking_store().award_completed, customer, today))

    async def membership(self, customer: CustomerRef) -> MembershipView:
        return await self._read(partial(booking_store().membership, customer))


STORE = StoreAccess()
