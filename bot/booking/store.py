"""The booking store facade: one method per question an action asks.

Actions never write SQL; they call :class:`BookingStore` (from a worker thread: it is
synchronous) and get back frozen views, never live ORM objects, so nothing lazy-loads
outside a session. Every state change writes a :class:`~bot.booking.models.BookingEvent`
in the same transaction.

Safety rules implemented here:

* no overbooking: inventory is taken with a conditional ``UPDATE ... WHERE reserved + n
  <= capacity`` whose row count says whether it worked; rows are touched in date order
  so concurrent multi-night bookings cannot deadlock;
* idempotency: a booking, a cancellation and a payment carry a unique key; a retried
  message finds the first outcome instead of repeating it;
* authorization: bookings are always looked up by reference *and* customer.
"""
from __future__ import annotations

import logging
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.booking import policy as rules
from bot.booking.db import engine_for, upgrade
from bot.booking.models import (
    Booking,
    BookingEvent,
    BookingItem,
    ChannelIdentity,
    Customer,
    Inventory,
    Payment,
    Product,
    Refund,
    Traveller,
    new_reference,
    utcnow,
)

log = logging.getLogger(__name__)

MOBILE = re.compile(r"^1[3-9]\d{9}$")
CANCELLABLE = ("pending_payment", "confirmed")
Dates = Union[date, Tuple[date, date]]


class BookingError(Exception):
    """Base of the refusals an action turns into a polite answer."""


class InvalidRequest(BookingError, ValueError):
    """The request itself is wrong (dates, travellers, phone); the message says which."""


class UnknownProduct(BookingError):
    """No product with this code: the catalogue changed or the code is mistyped."""


class SoldOut(BookingError):
    """Not enough inventory on ``day`` (or the product is not on sale that day)."""

    def __init__(self, product_code: str, day: date) -> None:
        super().__init__(f"{product_code} sold out on {day.isoformat()}")
        self.product_code = product_code
        self.day = day


class NotCancellable(BookingError):
    """The booking's status does not allow cancelling (already cancelled, completed)."""

    def __init__(self, reference: str, status: str) -> None:
        super().__init__(f"booking {reference} is {status}")
        self.reference = reference
        self.status = status


class QuoteChanged(BookingError):
    """The quote the traveller confirmed no longer holds; ``quote`` is the new one."""

    def __init__(self, quote: rules.Quote) -> None:
        super().__init__("the quote changed since it was shown; quote again")
        self.quote = quote


class IdempotencyConflict(BookingError):
    """An idempotency key was reused for a different request (a bug in the caller)."""


@dataclass(frozen=True)
class CustomerRef:
    """Who is asking, as resolved from their channel identity."""

    id: int
    display_name: str
    phone: Optional[str] = None


@dataclass(frozen=True)
class ProductView:
    """A bookable product as the dialogue needs it."""

    code: str
    kind: str
    name: str
    unit_price_fen: int
    variant: str = ""
    mode: Optional[str] = None
    departs_at: Optional[str] = None
    duration_days: int = 1
    max_guests: Optional[int] = None


@dataclass(frozen=True)
class BookingView:
    """A booking with what the traveller sees when checking it."""

    reference: str
    customer_id: int
    status: str
    product: ProductView
    quantity: int
    start_date: date
    end_date: date
    travellers: Tuple[str, ...]
    contact_phone: str
    total_fen: int
    paid_fen: int
    policy_version: str
    created_at: datetime


@dataclass(frozen=True)
class CancelResult:
    """Outcome of a cancellation; the same object comes back for a retried key."""

    reference: str
    refund_fen: int
    fee_fen: int
    refund_status: str
    rule: str
    policy_version: str
    idempotency_key: str


@dataclass(frozen=True)
class EventView:
    """One line of a booking's history, for an agent."""

    action: str
    actor: str
    conversation_id: Optional[str]
    details: Dict[str, Any]
    at: datetime


def held_days(kind: str, start: date, end: date) -> List[date]:
    """The inventory days a booking occupies: each night for hotels, the departure otherwise."""
    if kind == "hotel_room":
        return [start + timedelta(days=n) for n in range((end - start).days)]
    return [start]


def _product_view(product: Product) -> ProductView:
    return ProductView(product.code, product.kind, product.name, product.unit_price_fen,
                       product.variant, product.mode, product.departs_at,
                       product.duration_days, product.max_guests)


def _booking_view(booking: Booking) -> BookingView:
    item = booking.items[0]
    paid = sum(p.amount_fen for p in booking.payments if p.status == "succeeded")
    return BookingView(
        reference=booking.reference, customer_id=booking.customer_id, status=booking.status,
        product=_product_view(item.product), quantity=item.quantity,
        start_date=booking.start_date, end_date=booking.end_date,
        travellers=tuple(t.name for t in booking.travellers),
        contact_phone=booking.contact_phone, total_fen=booking.total_fen, paid_fen=paid,
        policy_version=booking.policy_version, created_at=booking.created_at,
    )


def _cancel_result(refund: Refund, reference: str) -> CancelResult:
    return CancelResult(reference, refund.amount_fen, refund.fee_fen, refund.status,
                        refund.rule, refund.policy_version, refund.idempotency_key)


_BOOKING_LOADS = (
    selectinload(Booking.items).selectinload(BookingItem.product),
    selectinload(Booking.travellers),
    selectinload(Booking.payments),
)


class BookingStore:
    """Customers, bookings, payments and refunds behind one synchronous facade.

    Args:
        url: database URL; default ``DATABASE_URL`` or ``sqlite:///var/tripdesk.db``.
        migrate: run Alembic migrations on start. Default: only for SQLite, the embedded
            store that must set itself up; PostgreSQL is migrated by deployment.
        policy: the refund/change policy (default: knowledge_base/policies.yml).
    """

    def __init__(self, url: Optional[str] = None, migrate: Optional[bool] = None,
                 policy: Optional[rules.Policy] = None) -> None:
        self.engine = engine_for(url)
        if migrate if migrate is not None else self.engine.dialect.name == "sqlite":
            upgrade(engine=self.engine)
        self.policy = policy or rules.load_policy()
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False, future=True)

    def close(self) -> None:
        """Release pooled connections (tests, shutdown)."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work; for this module and the seed script, not for actions."""
        with self._sessions() as session, session.begin():
            yield session

    # --- customers -------------------------------------------------------------------

    def customer_for(self, channel: str, external_id: str, display_name: str = "") -> CustomerRef:
        """The customer behind a channel identity, created on first contact."""
        for _attempt in range(2):
            with self.transaction() as session:
                found = self._identity(session, channel, external_id)
                if found is not None:
                    return CustomerRef(found.id, found.display_name, found.phone)
            try:
                with self.transaction() as session:
                    customer = Customer(display_name=display_name)
                    session.add(customer)
                    session.add(ChannelIdentity(channel=channel, external_id=external_id,
                                                customer=customer))
                    session.flush()
                    return CustomerRef(customer.id, customer.display_name, customer.phone)
            except IntegrityError:
                continue  # another message from the same sender created it first
        raise BookingError(f"could not resolve customer {channel}:{external_id}")

    def link_identity(self, customer: CustomerRef, channel: str, external_id: str) -> None:
        """Attach another channel identity to a verified customer (idempotent)."""
        with self.transaction() as session:
            if self._identity(session, channel, external_id) is None:
                session.add(ChannelIdentity(channel=channel, external_id=external_id,
                                            customer_id=customer.id))

    @staticmethod
    def _identity(session: Session, channel: str, external_id: str) -> Optional[Customer]:
        return session.execute(
            select(Customer).join(ChannelIdentity).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        ).scalar_one_or_none()

    # --- products and availability ----------------------------------------------------

    def product(self, code: str) -> ProductView:
        """A product by catalogue code (``H-SH-001/高级大床房``, ``T-BJ-001``, ``G7/二等座``)."""
        with self.transaction() as session:
            return _product_view(self._product(session, code))

    @staticmethod
    def _product(session: Session, code: str) -> Product:
        product = session.execute(select(Product).where(Product.code == code)).scalar_one_or_none()
        if product is None:
            raise UnknownProduct(f"no product with code {code!r}")
        return product

    def available(self, product_code: str, dates: Dates) -> int:
        """Units free on every day ``dates`` cover (0 if any day is not on sale)."""
        with self.transaction() as session:
            product = self._product(session, product_code)
            days = held_days(product.kind, *self._span(product, dates))
            rows = session.execute(
                select(Inventory.capacity - Inventory.reserved).where(
                    Inventory.product_id == product.id, Inventory.day.in_(days))
            ).scalars().all()
            return min(rows) if len(rows) == len(days) else 0

    @staticmethod
    def _span(product: Product, dates: Dates) -> Tuple[date, date]:
        """(start, end) of a booking: check-in/check-out, or a tour's first/last day."""
        start, end = dates if isinstance(dates, tuple) else (dates, None)
        if product.kind == "hotel_room":
            if end is None or end <= start:
                raise InvalidRequest("a hotel stay needs a check-out date after check-in")
            return start, end
        if product.kind == "tour":
            return start, start + timedelta(days=product.duration_days - 1)
        return start, start

    # --- booking ---------------------------------------------------------------------

    def hold_and_book(
        self, customer: CustomerRef, product: str, dates: Dates, travellers: Sequence[str],
        phone: str, idempotency_key: str, *, rooms: Optional[int] = None,
        actor: str = "customer", conversation_id: Optional[str] = None,
        reference: Optional[str] = None,
    ) -> BookingView:
        """Reserve inventory and create a ``pending_payment`` booking, atomically.

        Args:
            product: product code; ``dates`` is (check-in, check-out) for hotels, the
                departure date otherwise.
            travellers: guest or passenger names; one seat/place each for tours and
                transport; hotels need ``rooms`` (default: enough for the guests).
            idempotency_key: the same key returns the booking already made.
            reference: only for seed data that wants a fixed, documented reference.

        Raises:
            SoldOut: a day lacks inventory; nothing is held.
            InvalidRequest, UnknownProduct: the request cannot be booked at all.
        """
        names = tuple(n.strip() for n in travellers if n and n.strip())
        if not names:
            raise InvalidRequest("at least one traveller name is needed")
        if not MOBILE.match(phone):
            raise InvalidRequest("the contact phone must be a Chinese mobile number")
        existing = self._by_key(idempotency_key, customer)
        if existing is not None:
            return existing
        for _attempt in range(3):
            try:
                return self._book(customer, product, dates, names, phone, idempotency_key,
                                  rooms, actor, conversation_id, reference or new_reference())
            except IntegrityError:
                existing = self._by_key(idempotency_key, customer)
                if existing is not None:  # a concurrent retry of the same message won
                    return existing
                if reference is not None:
                    raise
                log.warning("booking reference collision, retrying")  # ~1 in 10^12
        raise BookingError("could not allocate a booking reference")

    def _by_key(self, key: str, customer: CustomerRef) -> Optional[BookingView]:
        with self.transaction() as session:
            booking = session.execute(
                select(Booking).options(*_BOOKING_LOADS).where(Booking.idempotency_key == key)
            ).scalar_one_or_none()
            if booking is None:
                return None
            if booking.customer_id != customer.id:
                raise IdempotencyConflict("idempotency key already used by another customer")
            return _booking_view(booking)

    def _book(self, customer: CustomerRef, code: str, dates: Dates, names: Tuple[str, ...],
              phone: str, key: str, rooms: Optional[int], actor: str,
              conversation_id: Optional[str], reference: str) -> BookingView:
        with self.transaction() as session:
            product = self._product(session, code)
            start, end = self._span(product, dates)
            days = held_days(product.kind, start, end)
            quantity = self._quantity(product, names, rooms)
            for day in days:  # date order: concurrent stays lock rows in the same order
                self._take(session, product, day, quantity)
            total = product.unit_price_fen * quantity * len(days)
            booking = Booking(reference=reference, customer_id=customer.id, contact_phone=phone,
                              start_date=start, end_date=end, total_fen=total,
                              policy_version=self.policy.version, idempotency_key=key)
            booking.items.append(BookingItem(product=product, quantity=quantity,
                                             unit_price_fen=product.unit_price_fen,
                                             amount_fen=total))
            booking.travellers = [Traveller(name=n, position=i) for i, n in enumerate(names)]
            session.add(booking)
            session.flush()
            self._event(session, booking, actor, conversation_id, "booked",
                        {"product": code, "quantity": quantity, "total_fen": total,
                         "start": start.isoformat(), "end": end.isoformat()})
            return _booking_view(booking)

    @staticmethod
    def _quantity(product: Product, names: Tuple[str, ...], rooms: Optional[int]) -> int:
        if product.kind != "hotel_room":
            return len(names)
        needed = math.ceil(len(names) / (product.max_guests or 2))
        if rooms is not None and rooms < needed:
            raise InvalidRequest(f"{len(names)} guests need at least {needed} rooms")
        return rooms if rooms is not None else needed

    @staticmethod
    def _take(session: Session, product: Product, day: date, quantity: int) -> None:
        """Reserve ``quantity`` units or raise SoldOut; the WHERE clause is the guard."""
        result = session.execute(
            update(Inventory)
            .where(Inventory.product_id == product.id, Inventory.day == day,
                   Inventory.reserved + quantity <= Inventory.capacity)
            .values(reserved=Inventory.reserved + quantity)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise SoldOut(product.code, day)

    @staticmethod
    def _release(session: Session, booking: Booking) -> None:
        for item in booking.items:
            for day in held_days(item.product.kind, booking.start_date, booking.end_date):
                session.execute(
                    update(Inventory)
                    .where(Inventory.product_id == item.product_id, Inventory.day == day)
                    .values(reserved=Inventory.reserved - item.quantity)
                    .execution_options(synchronize_session=False)
                )

    # --- payments --------------------------------------------------------------------

    def record_payment(self, booking: BookingView, amount_fen: int, method: str,
                       external_id: str, *, actor: str = "payment_provider",
                       conversation_id: Optional[str] = None) -> BookingView:
        """Record a successful payment (once per provider id); paid in full → confirmed."""
        with self.transaction() as session:
            row = self._load(session, booking.reference, booking.customer_id)
            if any(p.external_id == external_id for p in row.payments):
                return _booking_view(row)
            row.payments.append(Payment(amount_fen=amount_fen, method=method,
                                        status="succeeded", external_id=external_id))
            session.flush()
            paid = sum(p.amount_fen for p in row.payments if p.status == "succeeded")
            if row.status == "pending_payment" and paid >= row.total_fen:
                row.status = "confirmed"
            self._event(session, row, actor, conversation_id, "paid",
                        {"amount_fen": amount_fen, "method": method, "external_id": external_id})
            return _booking_view(row)

    # --- looking bookings up ---------------------------------------------------------

    def bookings_for(self, customer: CustomerRef, limit: int = 10) -> List[BookingView]:
        """The customer's bookings, most recent trip first."""
        with self.transaction() as session:
            rows = session.execute(
                select(Booking).options(*_BOOKING_LOADS)
                .where(Booking.customer_id == customer.id)
                .order_by(Booking.start_date.desc(), Booking.id.desc()).limit(limit)
            ).scalars().all()
            return [_booking_view(b) for b in rows]

    def find(self, reference: str, customer: CustomerRef) -> Optional[BookingView]:
        """The booking with this reference if it is this customer's; otherwise None.

        "Not yours" and "does not exist" look the same, so references cannot be probed.
        """
        with self.transaction() as session:
            row = self._load(session, reference.strip().upper(), customer.id, missing_ok=True)
            return _booking_view(row) if row is not None else None

    @staticmethod
    def _load(session: Session, reference: str, customer_id: int,
              missing_ok: bool = False) -> Any:
        row = session.execute(
            select(Booking).options(*_BOOKING_LOADS)
            .where(Booking.reference == reference, Booking.customer_id == customer_id)
        ).scalar_one_or_none()
        if row is None and not missing_ok:
            raise BookingError(f"no booking {reference} for customer {customer_id}")
        return row

    def history(self, booking: BookingView) -> List[EventView]:
        """Every recorded state change of a booking, oldest first."""
        with self.transaction() as session:
            row = self._load(session, booking.reference, booking.customer_id)
            events = session.execute(
                select(BookingEvent).where(BookingEvent.booking_id == row.id)
                .order_by(BookingEvent.id)
            ).scalars().all()
            return [EventView(e.action, e.actor, e.conversation_id, dict(e.details), e.at)
                    for e in events]

    # --- cancellation ----------------------------------------------------------------

    def quote_cancellation(self, booking: BookingView, at: Optional[datetime] = None) -> rules.Quote:
        """What cancelling now would cost and refund, from the policy in force.

        An unpaid booking cancels for free (nothing was charged, nothing to keep).
        """
        at = at or utcnow()
        if booking.status not in CANCELLABLE:
            raise NotCancellable(booking.reference, booking.status)
        if booking.paid_fen == 0:
            return rules.Quote(booking.total_fen, 0, 0, "unpaid.free", self.policy.version,
                               reference=booking.reference)
        quote = rules.cancellation_quote(self.policy, self._trip(booking), at)
        refund = min(quote.refund_fen, booking.paid_fen)
        return replace(quote, refund_fen=refund, reference=booking.reference)

    def _trip(self, booking: BookingView) -> rules.Trip:
        product = booking.product
        departs_at = None
        if product.kind == "transport":
            hours, minutes = (int(p) for p in (product.departs_at or "00:00").split(":"))
            departs_at = datetime.combine(booking.start_date, time(hours, minutes),
                                          tzinfo=self.policy.timezone)
        return rules.Trip(kind=product.kind, amount_fen=booking.total_fen,
                          start=booking.start_date,
                          first_night_fen=product.unit_price_fen * booking.quantity,
                          mode=product.mode, fare_class=product.variant or None,
                          departs_at=departs_at)

    def cancel(self, booking: BookingView, quote: rules.Quote, idempotency_key: str, *,
               at: Optional[datetime] = None, actor: str = "customer",
               conversation_id: Optional[str] = None) -> CancelResult:
        """Cancel a booking under the quote the traveller confirmed, exactly once.

        The quote is computed again; if it differs from the confirmed one (a tier edge
        passed, the policy changed) nothing happens and :class:`QuoteChanged` carries the
        new quote. A retry with the same key returns the first result, even after the
        booking is cancelled; inventory is released once, by the status transition.

        Raises:
            NotCancellable: already cancelled (under another key) or completed.
            QuoteChanged: the confirmed quote no longer holds.
        """
        done = self._refund_by_key(idempotency_key, booking)
        if done is not None:
            return done
        try:
            fresh = self.quote_cancellation(self._fresh(booking), at)
            if not quote.allowed or self._terms(quote) != self._terms(fresh):
                raise QuoteChanged(fresh)
            with self.transaction() as session:
                row = self._load(session, booking.reference, booking.customer_id)
                moved = session.execute(
                    update(Booking).where(Booking.id == row.id, Booking.status.in_(CANCELLABLE))
                    .values(status="cancelled", updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                ).rowcount
                if moved != 1:
                    raise NotCancellable(booking.reference, "cancelled")
                self._release(session, row)
                refund = Refund(booking_id=row.id, amount_fen=fresh.refund_fen,
                                fee_fen=fresh.fee_fen, rule=fresh.rule,
                                status="pending" if fresh.refund_fen else "not_required",
                                policy_version=fresh.policy_version,
                                idempotency_key=idempotency_key)
                session.add(refund)
                session.flush()
                self._event(session, row, actor, conversation_id, "cancelled",
                            {"refund_fen": refund.amount_fen, "fee_fen": refund.fee_fen,
                             "rule": refund.rule, "policy_version": refund.policy_version})
                return _cancel_result(refund, row.reference)
        except (NotCancellable, IntegrityError):
            done = self._refund_by_key(idempotency_key, booking)
            if done is not None:  # the same message, delivered twice, raced us
                return done
            raise NotCancellable(booking.reference, "cancelled") from None

    @staticmethod
    def _terms(quote: rules.Quote) -> Tuple[Any, ...]:
        """What a confirmation is bound to: the booking, the money, the policy version."""
        return (quote.reference, quote.amount_fen, quote.fee_fen, quote.refund_fen,
                quote.policy_version)

    def _fresh(self, booking: BookingView) -> BookingView:
        with self.transaction() as session:
            return _booking_view(self._load(session, booking.reference, booking.customer_id))

    def _refund_by_key(self, key: str, booking: BookingView) -> Optional[CancelResult]:
        with self.transaction() as session:
            found = session.execute(
                select(Refund, Booking.reference, Booking.customer_id)
                .join(Booking, Refund.booking_id == Booking.id)
                .where(Refund.idempotency_key == key)
            ).one_or_none()
            if found is None:
                return None
            refund, reference, customer_id = found
            if (reference, customer_id) != (booking.reference, booking.customer_id):
                raise IdempotencyConflict("idempotency key already used for another booking")
            return _cancel_result(refund, reference)

    def refunds_for(self, booking: BookingView) -> List[CancelResult]:
        """Refunds recorded for a booking, for the refund-status flow."""
        with self.transaction() as session:
            row = self._load(session, booking.reference, booking.customer_id)
            refunds = session.execute(
                select(Refund).where(Refund.booking_id == row.id).order_by(Refund.id)
            ).scalars().all()
            return [_cancel_result(r, row.reference) for r in refunds]

    # --- audit -----------------------------------------------------------------------

    @staticmethod
    def _event(session: Session, booking: Booking, actor: str, conversation_id: Optional[str],
               action: str, details: Dict[str, Any]) -> None:
        session.add(BookingEvent(booking_id=booking.id, actor=actor,
                                 conversation_id=conversation_id, action=action,
                                 details=details, at=utcnow()))

    def count(self, model: Any) -> int:
        """Rows in a table (health checks and tests)."""
        with self.transaction() as session:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())
