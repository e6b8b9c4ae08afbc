"""The booking store facade: one method per question an action asks.

Actions never write SQL; they call :class:`BookingStore` (from a worker thread: it is
synchronous) and get back frozen views, never live ORM objects, so nothing lazy-loads
outside a session. Every state change writes a :class:`~bot.booking.models.BookingEvent`
in the same transaction.

Safety rules implemented here:

* no overbooking: inventory is taken with a conditional ``UPDATE ... WHERE reserved + n
  <= capacity`` whose row count says whether it worked; rows are touched in date order
  so concurrent multi-night bookings cannot deadlock;
* inventory on demand: a catalogue product (one with a ``capacity``) gets its row for a
  day the first time that day is read or reserved, by ``INSERT ... ON CONFLICT DO
  NOTHING`` in the same transaction, only for days of the booking window on which it is
  on sale; the conditional UPDATE and the ``reserved <= capacity`` CHECK stay the guard;
* idempotency: a booking, a cancellation and a payment carry a unique key; a retried
  message finds the first outcome instead of repeating it;
* refunds never exceed payments: every path that opens a refund (cancellation, a change
  to something cheaper, a duplicate charge) locks the booking row, sizes the refund from
  what the store still holds for it (received less refunds open or done) and checks
  refunds <= payments in the same transaction (:meth:`BookingStore._open_refund`);
* no lost updates: writes that depend on a booking's state lock its row first
  (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
  writers), and points are added in SQL (``points = points + n``);
* authorization: bookings are always looked up by reference *and* customer.
"""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.booking import policy as rules
from bot.booking.kinds import (
    HOTEL_ROOM,
    TOUR,
    TRANSPORT,
    held_days,
    per_room,
    priced_units,
    rooms_needed,
    span,
)
from bot.booking.membership import MembershipRules, load_membership
from bot.booking.db import engine_for, upgrade
from bot.identifiers import is_mobile
from bot.privacy import mask_details
from bot.booking.models import (
    Booking,
    BookingChange,
    BookingEvent,
    BookingItem,
    ChannelIdentity,
    Customer,
    Inventory,
    PAYMENT_RECEIVED,
    REFUND_COMMITTED,
    Payment,
    Product,
    Refund,
    Traveller,
    new_reference,
    utcnow,
)

log = logging.getLogger(__name__)

CANCELLABLE = ("pending_payment", "confirmed")
VERIFY_MAX_FAILURES = 5
VERIFY_WINDOW = timedelta(hours=24)
VERIFIED_FOR = timedelta(hours=2)
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


class NotChangeable(BookingError):
    """The booking is cancelled or completed; there is nothing left to change."""

    def __init__(self, reference: str, status: str) -> None:
        super().__init__(f"booking {reference} is {status}")
        self.reference = reference
        self.status = status


class PriceChanged(BookingError):
    """The price is no longer the one the traveller confirmed; nothing was booked."""

    def __init__(self, total_fen: int) -> None:
        super().__init__(f"the total is now {total_fen} fen")
        self.total_fen = total_fen


class IdempotencyConflict(BookingError):
    """An idempotency key was reused for a different request (a bug in the caller)."""


class TooManyUnpaid(BookingError):
    """The customer already has ``limit`` unpaid bookings (``references``); nothing was booked.

    The cap (policies.yml ``holds.max_unpaid_bookings``) keeps one sender from holding a
    product's whole inventory with bookings they never pay.
    """

    def __init__(self, limit: int, references: Sequence[str]) -> None:
        super().__init__(f"already {len(references)} unpaid bookings (at most {limit})")
        self.limit = limit
        self.references = tuple(references)

class _StaleQuote(Exception):
    """Inside a change: the locked booking is no longer the one the quote was made for."""


class RefundExceedsPayments(BookingError):
    """A refund would take the booking's refunds above its payments; nothing was written.

    Refund amounts are sized from what is held, so this is the last line of defence
    against a path that computes its own idea of what to give back.
    """


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
    child_price_fen: Optional[int] = None  # None: children pay unit_price_fen


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
    paid_fen: int  # received less refunds open or done: what the store still holds
    policy_version: str
    created_at: datetime
    hold_expires_at: Optional[datetime] = None  # unpaid: the place is released after this
    change_fees_fen: int = 0  # fees charged by changes, kept on a later cancellation
    received_fen: int = 0  # every payment received: what the traveller paid, refunds aside
    children: int = 0  # of ``quantity``, places charged the child fare

    @property
    def refunded_fen(self) -> int:
        """Refunds opened or done: what is coming back or came back."""
        return self.received_fen - self.paid_fen


@dataclass(frozen=True)
class ExpiredHold:
    """An unpaid booking the sweeper expired: what the traveller is told."""

    reference: str
    customer_id: int
    product_name: str
    hold_expires_at: datetime


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
    created_at: Optional[datetime] = None


@dataclass(frozen=True)
class BookingQuote:
    """What a booking would cost and whether it can be had, before it is made."""

    product_code: str
    start: date
    end: date
    quantity: int
    units: int  # nights for hotels, 1 otherwise
    total_fen: int
    available: bool
    policy_version: str


@dataclass(frozen=True)
class Verification:
    """Outcome of a stranger proving they hold a booking (last 4 digits of its phone)."""

    ok: bool
    locked: bool


@dataclass(frozen=True)
class ChangeRequest:
    """What the traveller wants changed; unset fields keep the booking's values.

    kind: ``dates`` (new start, and end for hotels), ``room`` or ``departure`` (another
    product of the same kind, e.g. a room type or a train), ``traveller`` (new names).
    """

    kind: str
    start: Optional[date] = None
    end: Optional[date] = None
    product_code: Optional[str] = None
    traveller_names: Optional[Tuple[str, ...]] = None


@dataclass(frozen=True)
class ChangeResult:
    """Outcome of a change; the same object comes back for a retried key."""

    reference: str
    kind: str
    fee_fen: int
    difference_fen: int
    payable_fen: int
    refund_fen: int
    policy_version: str
    idempotency_key: str
    booking: "BookingView"


@dataclass(frozen=True)
class PaymentView:
    amount_fen: int
    method: str
    status: str
    external_id: str
    created_at: datetime


@dataclass(frozen=True)
class MembershipView:
    points: int
    level: str
    benefits: Tuple[str, ...]
    next_level: Optional[str]
    points_to_next: int


@dataclass(frozen=True)
class EventView:
    """One line of a booking's history, for an agent."""

    action: str
    actor: str
    conversation_id: Optional[str]
    details: Dict[str, Any]
    at: datetime


def changed_span(kind: str, duration_days: int, start: date, end: date,
                 request: ChangeRequest) -> Tuple[date, date]:
    """(start, end) after a change: a stay keeps its nights unless a new check-out is
    given, a tour keeps its length, a ticket is one day."""
    new_start = request.start or start
    if kind == HOTEL_ROOM:
        return new_start, request.end or (new_start + (end - start) if request.start else end)
    return span(kind, duration_days, new_start)


def _product_view(product: Product) -> ProductView:
    return ProductView(product.code, product.kind, product.name, product.unit_price_fen,
                       product.variant, product.mode, product.departs_at,
                       product.duration_days, product.max_guests, product.child_price_fen)


def price_fen(product: Product | ProductView, quantity: int, children: int, units: int) -> int:
    """What ``quantity`` places cost for ``units`` nights or departures, ``children`` of
    them at the child fare where the product has one: the one price rule of the store."""
    child_fen = product.child_price_fen if product.child_price_fen is not None \
        else product.unit_price_fen
    return (product.unit_price_fen * (quantity - children) + child_fen * children) * units


def _received_fen(booking: Booking) -> int:
    return sum(p.amount_fen for p in booking.payments if p.status in PAYMENT_RECEIVED)


def _held_fen(booking: Booking) -> int:
    """What the store holds for a booking: the one figure every refund is sized from."""
    refunded = sum(r.amount_fen for r in booking.refunds if r.status in REFUND_COMMITTED)
    return _received_fen(booking) - refunded


def _due_fen(booking: Booking) -> int:
    """What the booking costs the traveller: its price plus the change fees charged."""
    return booking.total_fen + sum(c.fee_fen for c in booking.changes)


def _booking_view(booking: Booking) -> BookingView:
    item = booking.items[0]
    paid = _held_fen(booking)
    return BookingView(
        reference=booking.reference, customer_id=booking.customer_id, status=booking.status,
        product=_product_view(item.product), quantity=item.quantity,
        start_date=booking.start_date, end_date=booking.end_date,
        travellers=tuple(t.name for t in booking.travellers),
        contact_phone=booking.contact_phone, total_fen=booking.total_fen, paid_fen=paid,
        policy_version=booking.policy_version, created_at=booking.created_at,
        hold_expires_at=booking.hold_expires_at,
        change_fees_fen=_due_fen(booking) - booking.total_fen,
        received_fen=_received_fen(booking),
        children=item.children,
    )


def _payment_view(payment: Payment) -> PaymentView:
    return PaymentView(payment.amount_fen, payment.method, payment.status,
                       payment.external_id or "", payment.created_at)


def _cancel_result(refund: Refund, reference: str) -> CancelResult:
    return CancelResult(reference, refund.amount_fen, refund.fee_fen, refund.status,
                        refund.rule, refund.policy_version, refund.idempotency_key,
                        refund.created_at)


_BOOKING_LOADS = (
    selectinload(Booking.items).selectinload(BookingItem.product),
    selectinload(Booking.travellers),
    selectinload(Booking.payments),
    selectinload(Booking.refunds),
    selectinload(Booking.changes),
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
                 policy: Optional[rules.Policy] = None,
                 membership_rules: Optional[MembershipRules] = None) -> None:
        self.engine = engine_for(url)
        if migrate if migrate is not None else self.engine.dialect.name == "sqlite":
            upgrade(engine=self.engine)
        self.policy = policy or rules.load_policy()
        self.membership_rules = membership_rules or load_membership()
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False, future=True)
        self._sales_start: Optional[date] = None

    def start_sales_on(self, day: date) -> None:
        """Also open the booking window from ``day`` (the seed's "today"; tests and demos
        that run on a fixed calendar). The window from the real today stays open."""
        self._sales_start = day

    def on_sale(self, product: Product, day: date) -> bool:
        """Whether a catalogue product can be booked on ``day``: inside the booking
        window and on one of its sale weekdays."""
        if product.capacity is None or str(day.isoweekday()) not in (product.sale_weekdays or ""):
            return False
        window = timedelta(days=self.policy.booking_window_days)
        starts = [datetime.now(self.policy.timezone).date()]
        starts += [self._sales_start] if self._sales_start else []
        return any(start <= day < start + window for start in starts)

    def _stock(self, session: Session, product: Product, days: Sequence[date]) -> None:
        """Create the missing inventory rows of ``days`` that are on sale (no-op for
        products whose inventory is written explicitly)."""
        wanted = [day for day in days if self.on_sale(product, day)]
        if not wanted:
            return
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(Inventory)
            .values([dict(product_id=product.id, day=day, capacity=product.capacity, reserved=0)
                     for day in wanted])
            .on_conflict_do_nothing(index_elements=["product_id", "day"])
        )

    def first_sale_day(self, product_code: str, day: date) -> Optional[date]:
        """The first day on or after ``day`` that the product is on sale, within the
        window; existing inventory rows count too."""
        with self.transaction() as session:
            product = self._product(session, product_code)
            stocked = session.execute(
                select(func.min(Inventory.day)).where(Inventory.product_id == product.id,
                                                      Inventory.day >= day)).scalar()
            for offset in range(self.policy.booking_window_days * 2 + 1):
                candidate = day + timedelta(days=offset)
                if stocked is not None and stocked <= candidate:
                    return stocked
                if self.on_sale(product, candidate):
                    return candidate
            return stocked

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
            self._stock(session, product, days)
            rows = session.execute(
                select(Inventory.capacity - Inventory.reserved).where(
                    Inventory.product_id == product.id, Inventory.day.in_(days))
            ).scalars().all()
            return min(rows) if len(rows) == len(days) else 0

    @staticmethod
    def _span(product: Product, dates: Dates) -> Tuple[date, date]:
        """(start, end) of a booking: check-in/check-out, or a tour's first/last day."""
        start, end = dates if isinstance(dates, tuple) else (dates, None)
        try:
            return span(product.kind, product.duration_days, start, end)
        except ValueError as error:
            raise InvalidRequest(str(error)) from None

    # --- booking ---------------------------------------------------------------------

    def quote_booking(self, product_code: str, dates: Dates, travellers: int,
                      rooms: Optional[int] = None, children: int = 0) -> BookingQuote:
        """Price and availability of a booking before it is made, for the summary;
        ``children`` of the places are charged the child fare."""
        with self.transaction() as session:
            product = self._product(session, product_code)
            start, end = self._span(product, dates)
            quantity = self._quantity(product, tuple("x" * max(travellers, 1)), rooms)
            self._check_children(product, quantity, children)
            total = price_fen(product, quantity, children, priced_units(product.kind, start, end))
            units = priced_units(product.kind, start, end)
        free = self.available(product_code, dates)
        return BookingQuote(product_code, start, end, quantity, units, total, free >= quantity,
                            self.policy.version)

    def hold_and_book(
        self, customer: CustomerRef, product: str, dates: Dates, travellers: Sequence[str],
        phone: str, idempotency_key: str, *, rooms: Optional[int] = None,
        actor: str = "customer", conversation_id: Optional[str] = None,
        reference: Optional[str] = None, expected_total_fen: Optional[int] = None,
        hold_expires: bool = True, children: int = 0,
    ) -> BookingView:
        """Reserve inventory and create a ``pending_payment`` booking, atomically.

        Args:
            product: product code; ``dates`` is (check-in, check-out) for hotels, the
                departure date otherwise.
            travellers: guest or passenger names; one seat each for transport (tickets
                are in each passenger's name); hotels need ``rooms`` (default: enough for
                the guests); a tour takes ``rooms`` places when its contact books for a
                larger party (default: one place per name).
            idempotency_key: the same key returns the booking already made.
            reference: only for seed data that wants a fixed, documented reference.
            expected_total_fen: the total the traveller confirmed; if the price now
                differs, nothing is booked and :class:`PriceChanged` says the new total.
            hold_expires: the place is held for the product's hold time (policies.yml
                ``holds``) and then released unless paid; False when there is no online
                payment to wait for (paid at the property).
            children: how many of the places are children, charged the product's child
                fare where it has one; at least one place is an adult's.

        Raises:
            SoldOut: a day lacks inventory; nothing is held.
            TooManyUnpaid: the customer has the most unpaid bookings allowed.
            InvalidRequest, UnknownProduct: the request cannot be booked at all.
        """
        names = tuple(n.strip() for n in travellers if n and n.strip())
        if not names:
            raise InvalidRequest("at least one traveller name is needed")
        if not is_mobile(phone):
            raise InvalidRequest("the contact phone must be a mobile number, in its stored form")
        existing = self._by_key(idempotency_key, customer)
        if existing is not None:
            return existing
        for _attempt in range(3):
            try:
                return self._book(customer, product, dates, names, phone, idempotency_key,
                                  rooms, actor, conversation_id, reference or new_reference(),
                                  expected_total_fen, hold_expires, children)
            except IntegrityError:
                existing = self._by_key(idempotency_key, customer)
                if existing is not None:  # a concurrent retry of the same message won
                    return existing
                if reference is not None:
                    raise
                log.warning("booking reference collision, retrying")  # ~1 in 10^12
        raise BookingError("could not allocate a booking reference")

    def booking_by_key(self, key: str, customer: CustomerRef) -> Optional[BookingView]:
        """The booking a confirmation with this key made, if it committed (for a caller
        whose write timed out and must not report a failure that did not happen)."""
        return self._by_key(key, customer)

    def cancellation_by_key(self, key: str, booking: BookingView) -> Optional[CancelResult]:
        """The cancellation made under this key, if it committed."""
        return self._refund_by_key(key, booking)

    def change_by_key(self, key: str, booking: BookingView) -> Optional[ChangeResult]:
        """The change made under this key, if it committed."""
        return self._change_by_key(key, booking)

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
              conversation_id: Optional[str], reference: str,
              expected_total_fen: Optional[int] = None, hold_expires: bool = True,
              children: int = 0) -> BookingView:
        with self.transaction() as session:
            self._check_unpaid_cap(session, customer)
            product = self._product(session, code)
            start, end = self._span(product, dates)
            days = held_days(product.kind, start, end)
            quantity = self._quantity(product, names, rooms)
            self._check_children(product, quantity, children)
            self._stock(session, product, days)
            for day in days:  # date order: concurrent stays lock rows in the same order
                self._take(session, product, day, quantity)
            total = price_fen(product, quantity, children, priced_units(product.kind, start, end))
            if expected_total_fen is not None and total != expected_total_fen:
                raise PriceChanged(total)
            now = utcnow()
            hold = rules.hold_time(self.policy, product.kind, product.mode)
            booking = Booking(reference=reference, customer_id=customer.id, contact_phone=phone,
                              start_date=start, end_date=end, total_fen=total,
                              policy_version=self.policy.version, idempotency_key=key,
                              created_at=now, hold_expires_at=now + hold if hold_expires else None)
            booking.items.append(BookingItem(product=product, quantity=quantity,
                                             unit_price_fen=product.unit_price_fen,
                                             children=children,
                                             child_unit_price_fen=product.child_price_fen,
                                             amount_fen=total))
            booking.travellers = [Traveller(name=n, position=i) for i, n in enumerate(names)]
            session.add(booking)
            session.flush()
            self._event(session, booking, actor, conversation_id, "booked",
                        {"product": code, "quantity": quantity, "children": children,
                         "total_fen": total,
                         "start": start.isoformat(), "end": end.isoformat()})
            return _booking_view(booking)

    def _check_unpaid_cap(self, session: Session, customer: CustomerRef) -> None:
        """Refuse a booking beyond the customer's cap of unpaid ones (TooManyUnpaid).

        The customer row is locked first, so concurrent bookings of one customer count
        one after the other (SQLite's BEGIN IMMEDIATE already serialises writers).
        """
        session.execute(select(Customer.id).where(Customer.id == customer.id).with_for_update())
        unpaid = session.execute(
            select(Booking.reference).where(Booking.customer_id == customer.id,
                                            Booking.status == "pending_payment")
            .order_by(Booking.id)
        ).scalars().all()
        if len(unpaid) >= self.policy.max_unpaid_bookings:
            raise TooManyUnpaid(self.policy.max_unpaid_bookings, unpaid)

    @staticmethod
    def _check_children(product: Product, quantity: int, children: int) -> None:
        """Children are places of a party that has an adult; hotel rooms are not per person."""
        if children < 0 or (children and per_room(product.kind)) or children >= quantity:
            raise InvalidRequest(f"{children} children among {quantity} places: "
                                 "a child travels with at least one adult")

    @staticmethod
    def _quantity(product: Product, names: Tuple[str, ...], rooms: Optional[int]) -> int:
        if not per_room(product.kind):
            if product.kind == TOUR and rooms is not None and rooms > len(names):
                return rooms  # "两个大人，联系人孙悦": the contact books the party's places
            return len(names)
        needed = rooms_needed(len(names), product.max_guests)
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

    # --- unpaid holds ----------------------------------------------------------------

    def expire_holds(self, at: Optional[datetime] = None, limit: int = 100) -> List[ExpiredHold]:
        """Expire unpaid bookings whose hold ran out by ``at``, one transaction each.

        The status transition ``pending_payment`` → ``expired`` is a conditional UPDATE:
        a booking paid meanwhile, or expired by another sweeper, matches no row and is
        left alone, so inventory goes back exactly once. The pending payment link is
        closed and an ``expired`` event written in the same transaction.
        """
        at = at or utcnow()
        with self.transaction() as session:
            due = session.execute(
                select(Booking.id).where(Booking.status == "pending_payment",
                                         Booking.hold_expires_at <= at)
                .order_by(Booking.hold_expires_at, Booking.id).limit(limit)
            ).scalars().all()
        expired = [self._expire(booking_id) for booking_id in due]
        return [hold for hold in expired if hold is not None]

    def _expire(self, booking_id: int) -> Optional[ExpiredHold]:
        with self.transaction() as session:
            moved = session.execute(
                update(Booking).where(Booking.id == booking_id, Booking.status == "pending_payment")
                .values(status="expired", updated_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1:
                return None  # paid, cancelled or expired by someone else first
            row = session.execute(select(Booking).options(*_BOOKING_LOADS)
                                  .where(Booking.id == booking_id)).scalar_one()
            self._release(session, row)
            for payment in row.payments:
                if payment.status == "pending":
                    payment.status = "expired"
            if _held_fen(row):  # a part payment goes back with the place
                self._open_refund(session, row, _held_fen(row), fee_fen=0, rule="hold.expired",
                                  policy_version=self.policy.version, key=f"expired:{row.reference}")
            product = row.items[0].product
            self._event(session, row, "system", None, "expired",
                        {"hold_expires_at": row.hold_expires_at.isoformat(),
                         "product": product.code})
            return ExpiredHold(row.reference, row.customer_id, product.name, row.hold_expires_at)

    def _refund_late_payment(self, session: Session, row: Booking, payment: Payment,
                             actor: str, conversation_id: Optional[str]) -> None:
        """Money for a booking whose hold expired goes back in full: its place is gone."""
        self._open_refund(session, row, payment.amount_fen, fee_fen=0, rule="hold.expired",
                          policy_version=self.policy.version,
                          key=f"expired:{payment.external_id}"[:128])
        self._event(session, row, actor, conversation_id, "paid_after_expiry",
                    {"amount_fen": payment.amount_fen, "external_id": payment.external_id})

    # --- payments --------------------------------------------------------------------

    def record_payment(self, booking: BookingView, amount_fen: int, method: str,
                       external_id: str, *, actor: str = "payment_provider",
                       conversation_id: Optional[str] = None) -> BookingView:
        """Record a successful payment (once per provider id); paid in full → confirmed.

        The booking row is locked first, so a payment and the hold sweeper never both
        win: paid before the sweep, the booking is confirmed and never expires; paid
        after it expired, the payment is recorded and refunded in full.
        """
        with self.transaction() as session:
            row = self._load(session, booking.reference, booking.customer_id, lock=True)
            if any(p.external_id == external_id for p in row.payments):
                return _booking_view(row)
            payment = Payment(amount_fen=amount_fen, method=method, status="succeeded",
                              external_id=external_id)
            row.payments.append(payment)
            session.flush()
            if row.status == "expired":
                self._refund_late_payment(session, row, payment, actor, conversation_id)
                return _booking_view(row)
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
              missing_ok: bool = False, lock: bool = False) -> Any:
        """The booking with its lines, payments, refunds and changes.

        ``lock``: hold its row until the transaction ends (``FOR UPDATE``), so that a
        write decided from its state cannot race another one deciding from the same state.
        """
        query = (select(Booking).options(*_BOOKING_LOADS)
                 .where(Booking.reference == reference, Booking.customer_id == customer_id))
        if lock:
            query = query.with_for_update(of=Booking)
        row = session.execute(query).scalar_one_or_none()
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
        # What the policy refunds of the price, plus anything held beyond the price and
        # the change fees (a second charge nobody has refunded yet goes back in full).
        # ``paid_fen`` is already net of refunds opened before, so nothing goes back twice.
        overpaid = max(0, booking.paid_fen - booking.total_fen - booking.change_fees_fen)
        refund = min(quote.refund_fen, booking.paid_fen) + overpaid
        return replace(quote, refund_fen=refund, reference=booking.reference)

    def _trip(self, booking: BookingView) -> rules.Trip:
        product = booking.product
        departs_at = None
        if product.kind == TRANSPORT:
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

        The quote is recomputed from the booking as it is once its row is locked, so a
        change or a refund committed meanwhile is never refunded from a stale picture.

        Raises:
            NotCancellable: already cancelled (under another key) or completed.
            QuoteChanged: the confirmed quote no longer holds.
        """
        done = self._refund_by_key(idempotency_key, booking)
        if done is not None:
            return done
        at = at or utcnow()
        try:
            with self.transaction() as session:
                row = self._load(session, booking.reference, booking.customer_id, lock=True)
                if row.status not in CANCELLABLE:
                    raise NotCancellable(row.reference, row.status)
                fresh = self.quote_cancellation(_booking_view(row), at)
                if not quote.allowed or rules.terms_of(quote) != rules.terms_of(fresh):
                    raise QuoteChanged(fresh)
                row.status, row.updated_at = "cancelled", utcnow()
                self._release(session, row)
                refund = self._open_refund(
                    session, row, fresh.refund_fen, fee_fen=fresh.fee_fen, rule=fresh.rule,
                    policy_version=fresh.policy_version, key=idempotency_key)
                self._event(session, row, actor, conversation_id, "cancelled",
                            {"refund_fen": refund.amount_fen, "fee_fen": refund.fee_fen,
                             "rule": refund.rule, "policy_version": refund.policy_version})
                return _cancel_result(refund, row.reference)
        except (NotCancellable, IntegrityError) as refused:
            done = self._refund_by_key(idempotency_key, booking)
            if done is not None:  # the same message, delivered twice, raced us
                return done
            status = refused.status if isinstance(refused, NotCancellable) else "cancelled"
            raise NotCancellable(booking.reference, status) from None

    def _open_refund(self, session: Session, row: Booking, amount_fen: int, *, fee_fen: int,
                     rule: str, policy_version: str, key: str) -> Refund:
        """Open a refund on a booking whose row this transaction has locked.

        The one place refunds are written: it checks, after writing, that the booking's
        refunds (open and done) stay within its succeeded payments, and raises
        :class:`RefundExceedsPayments` (rolling the transaction back) otherwise.
        """
        if amount_fen > _held_fen(row):
            raise RefundExceedsPayments(
                f"{row.reference}: refund {amount_fen} fen exceeds the {_held_fen(row)} fen held")
        refund = Refund(amount_fen=amount_fen, fee_fen=fee_fen, rule=rule,
                        status="pending" if amount_fen else "not_required",
                        policy_version=policy_version, idempotency_key=key)
        row.refunds.append(refund)
        session.flush()
        received = session.execute(
            select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
                Payment.booking_id == row.id, Payment.status.in_(PAYMENT_RECEIVED))
        ).scalar_one()
        refunded = session.execute(
            select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
                Refund.booking_id == row.id, Refund.status.in_(REFUND_COMMITTED))
        ).scalar_one()
        if refunded > received:
            raise RefundExceedsPayments(
                f"{row.reference}: refunds {refunded} fen would exceed payments {received} fen")
        return refund

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

    # --- verification ----------------------------------------------------------------

    def verify_contact(self, reference: str, last4: str, conversation_id: str,
                       at: Optional[datetime] = None) -> Verification:
        """Check the last 4 digits of a booking's contact phone for a stranger's conversation.

        A success is recorded as a ``verified`` event for this conversation, which
        :meth:`accessible` reads back: access comes from the database, never from a
        slot a client could try to set. Failures are recorded too; after
        ``VERIFY_MAX_FAILURES`` in ``VERIFY_WINDOW`` the booking refuses further
        attempts from anyone, so four digits cannot be guessed by opening new chats.
        A reference that does not exist fails exactly like a wrong number.
        """
        at = at or utcnow()
        with self.transaction() as session:
            # Locked: parallel guesses count the failures one after another, so no more
            # than VERIFY_MAX_FAILURES are ever evaluated in a window.
            row = session.execute(
                select(Booking).where(Booking.reference == reference.strip().upper())
                .with_for_update()
            ).scalar_one_or_none()
            if row is None:
                return Verification(ok=False, locked=False)
            failures = session.execute(
                select(func.count()).select_from(BookingEvent).where(
                    BookingEvent.booking_id == row.id,
                    BookingEvent.action == "verification_failed",
                    BookingEvent.at >= at - VERIFY_WINDOW)
            ).scalar_one()
            if failures >= VERIFY_MAX_FAILURES:
                return Verification(ok=False, locked=True)
            ok = bool(re.fullmatch(r"\d{4}", last4 or "")) and row.contact_phone.endswith(last4)
            self._event(session, row, "unverified", conversation_id,
                        "verified" if ok else "verification_failed", {}, at=at)
            return Verification(ok=ok, locked=not ok and failures + 1 >= VERIFY_MAX_FAILURES)

    def accessible(self, reference: str, customer: CustomerRef,
                   conversation_id: Optional[str] = None,
                   at: Optional[datetime] = None) -> Optional[BookingView]:
        """The booking if it is this customer's, or was verified in this conversation lately."""
        own = self.find(reference, customer)
        if own is not None or not conversation_id:
            return own
        at = at or utcnow()
        with self.transaction() as session:
            row = session.execute(
                select(Booking).options(*_BOOKING_LOADS)
                .join(BookingEvent, BookingEvent.booking_id == Booking.id)
                .where(Booking.reference == reference.strip().upper(),
                       BookingEvent.action == "verified",
                       BookingEvent.conversation_id == conversation_id,
                       BookingEvent.at >= at - VERIFIED_FOR)
            ).scalars().first()
            return _booking_view(row) if row is not None else None

    # --- changes ---------------------------------------------------------------------

    def quote_change(self, booking: BookingView, request: ChangeRequest,
                     at: Optional[datetime] = None) -> rules.Quote:
        """Fee and price difference of a change, from the policy in force.

        Raises:
            NotChangeable: the booking's state does not allow changes.
            InvalidRequest, UnknownProduct: the new dates or product make no sense.
        """
        at = at or utcnow()
        if booking.status not in CANCELLABLE:
            raise NotChangeable(booking.reference, booking.status)
        if request.kind == "traveller":
            allowed = booking.product.kind != TRANSPORT  # tickets are issued to a named ID
            return rules.Quote(booking.total_fen, 0, 0,
                               "traveller.rename" if allowed else "transport.rename_not_allowed",
                               self.policy.version, allowed=allowed, reference=booking.reference)
        product, start, end = self._changed_terms(booking, request)
        new_total = price_fen(product, booking.quantity, booking.children,
                              priced_units(product.kind, start, end))
        quote = rules.change_quote(self.policy, self._trip(booking), new_total, at)
        if booking.paid_fen == 0:  # nothing charged yet: no fee, just the new price
            quote = replace(quote, fee_fen=0, rule="unpaid.free")
        return replace(quote, reference=booking.reference)

    def _changed_terms(self, booking: BookingView,
                       request: ChangeRequest) -> Tuple[ProductView, date, date]:
        code = request.product_code or booking.product.code
        product = self.product(code)
        if product.kind != booking.product.kind:
            raise InvalidRequest("a change keeps the kind of product")
        start, end = changed_span(product.kind, product.duration_days, booking.start_date,
                                  booking.end_date, request)
        if end < start or (product.kind == HOTEL_ROOM and end <= start):
            raise InvalidRequest("the new dates are not a valid stay")
        if (code, start, end) == (booking.product.code, booking.start_date, booking.end_date):
            raise InvalidRequest("the change is the same as the booking")
        return product, start, end

    def change(self, booking: BookingView, request: ChangeRequest, quote: rules.Quote,
               idempotency_key: str, *, at: Optional[datetime] = None,
               actor: str = "customer", conversation_id: Optional[str] = None) -> ChangeResult:
        """Apply a confirmed change atomically: release the old holds, take the new ones.

        The quote is recomputed and must equal the one confirmed (else QuoteChanged);
        a retried key returns the first result. A price difference the traveller owes
        opens a pending payment; one owed to the traveller opens a refund.

        Raises:
            SoldOut: the new product or dates are not available; nothing changed.
            NotChangeable, QuoteChanged, InvalidRequest.
        """
        done = self._change_by_key(idempotency_key, booking)
        if done is not None:
            return done
        at = at or utcnow()
        try:
            basis = self._fresh(booking)
            fresh = self.quote_change(basis, request, at)
        except (InvalidRequest, NotChangeable):
            done = self._change_by_key(idempotency_key, booking)
            if done is not None:  # the same message, delivered twice, committed meanwhile
                return done
            raise
        if not quote.allowed or not fresh.allowed or rules.terms_of(quote) != rules.terms_of(fresh):
            done = self._change_by_key(idempotency_key, booking)
            if done is not None:
                return done
            raise QuoteChanged(fresh)
        try:
            with self.transaction() as session:
                row = self._load(session, booking.reference, booking.customer_id, lock=True)
                if row.status not in CANCELLABLE:
                    raise NotChangeable(row.reference, row.status)
                if _booking_view(row) != basis:
                    raise _StaleQuote()  # changed, paid or refunded since it was quoted
                old = self._snapshot(row)
                if request.kind == "traveller":
                    for traveller in list(row.travellers):
                        session.delete(traveller)
                    session.flush()
                    row.travellers = [Traveller(name=n, position=i)
                                      for i, n in enumerate(request.traveller_names or ())]
                else:
                    self._move(session, row, request)
                row.updated_at = utcnow()
                session.flush()
                new = self._snapshot(row)
                held = _held_fen(row)
                row.changes.append(BookingChange(
                    kind=request.kind, old_values=old, new_values=new, fee_fen=fresh.fee_fen,
                    difference_fen=fresh.difference_fen, policy_version=fresh.policy_version,
                    idempotency_key=idempotency_key))
                refunded = self._settle_difference(session, row, fresh, idempotency_key, held)
                self._event(session, row, actor, conversation_id, "changed",
                            {"kind": request.kind, "old": old, "new": new,
                             "fee_fen": fresh.fee_fen, "difference_fen": fresh.difference_fen,
                             "policy_version": fresh.policy_version})
                session.flush()
                return ChangeResult(row.reference, request.kind, fresh.fee_fen,
                                    fresh.difference_fen, fresh.payable_fen, refunded,
                                    fresh.policy_version, idempotency_key, _booking_view(row))
        except _StaleQuote:
            done = self._change_by_key(idempotency_key, booking)
            if done is not None:
                return done
            raise QuoteChanged(self.quote_change(self._fresh(booking), request, at)) from None
        except IntegrityError:
            done = self._change_by_key(idempotency_key, booking)
            if done is not None:
                return done
            raise

    def _move(self, session: Session, row: Booking, request: ChangeRequest) -> None:
        """Release every old hold, then take the new ones; SoldOut rolls back both."""
        item = row.items[0]
        product = self._product(session, request.product_code or item.product.code)
        start, end = changed_span(product.kind, product.duration_days, row.start_date,
                                  row.end_date, request)
        self._release(session, row)
        self._stock(session, product, held_days(product.kind, start, end))
        for day in held_days(product.kind, start, end):
            self._take(session, product, day, item.quantity)
        days = priced_units(product.kind, start, end)
        item.product = product
        item.unit_price_fen = product.unit_price_fen
        item.child_unit_price_fen = product.child_price_fen
        item.amount_fen = price_fen(product, item.quantity, item.children, days)
        row.start_date, row.end_date, row.total_fen = start, end, item.amount_fen

    @staticmethod
    def _snapshot(row: Booking) -> Dict[str, Any]:
        return {"product": row.items[0].product.code, "start": row.start_date.isoformat(),
                "end": row.end_date.isoformat(), "total_fen": row.total_fen,
                "travellers": [t.name for t in row.travellers]}

    def _settle_difference(self, session: Session, row: Booking, quote: rules.Quote,
                           key: str, held_fen: int) -> int:
        """Money moves with a change: the traveller pays the fee and any increase, or
        gets back a decrease (less the fee), but never more than is held beyond what the
        changed booking now costs (nothing paid yet: the lower price is simply what is due).

        ``row`` already carries the new price and this change's fee; ``held_fen`` is what
        was held before.
        """
        if quote.payable_fen > 0:
            row.payments.append(Payment(amount_fen=quote.payable_fen, method="link",
                                        status="pending", external_id=f"chg-{key}"[:64]))
        back = min(-quote.difference_fen - quote.fee_fen, held_fen - _due_fen(row))
        if back <= 0:
            return 0
        self._open_refund(session, row, back, fee_fen=quote.fee_fen,
                          rule="change.price_difference", policy_version=quote.policy_version,
                          key=f"chg-refund:{key}"[:128])
        return back

    def _change_by_key(self, key: str, booking: BookingView) -> Optional[ChangeResult]:
        with self.transaction() as session:
            change = session.execute(
                select(BookingChange).where(BookingChange.idempotency_key == key)
            ).scalar_one_or_none()
            if change is None:
                return None
            row = session.execute(select(Booking).options(*_BOOKING_LOADS)
                                  .where(Booking.id == change.booking_id)).scalar_one()
            if (row.reference, row.customer_id) != (booking.reference, booking.customer_id):
                raise IdempotencyConflict("idempotency key already used for another booking")
            payable = max(0, change.fee_fen + change.difference_fen)
            refunded = session.execute(
                select(Refund.amount_fen).where(Refund.idempotency_key == f"chg-refund:{key}"[:128])
            ).scalar_one_or_none() or 0
            return ChangeResult(row.reference, change.kind, change.fee_fen, change.difference_fen,
                                payable, refunded, change.policy_version, key, _booking_view(row))

    # --- payments (problems) ---------------------------------------------------------

    def open_payment(self, booking: BookingView, method: str, *, actor: str = "customer",
                     conversation_id: Optional[str] = None) -> PaymentView:
        """The booking's pending payment, created once (a retry finds the same one)."""
        with self.transaction() as session:
            row = self._load(session, booking.reference, booking.customer_id, lock=True)
            pending = [p for p in row.payments if p.status == "pending"]
            if pending:
                return _payment_view(pending[0])
            due = row.total_fen - sum(p.amount_fen for p in row.payments if p.status == "succeeded")
            payment = Payment(amount_fen=max(due, 0), method=method, status="pending",
                              external_id=f"pay-{row.reference}-{len(row.payments) + 1}")
            row.payments.append(payment)
            session.flush()
            self._event(session, row, actor, conversation_id, "payment_opened",
                        {"amount_fen": payment.amount_fen, "method": method})
            return _payment_view(payment)

    def payments_for(self, booking: BookingView) -> List[PaymentView]:
        with self.transaction() as session:
            row = self._load(session, booking.reference, booking.customer_id)
            return [_payment_view(p) for p in sorted(row.payments, key=lambda p: p.id)]

    def record_failed_payment(self, booking: BookingView, amount_fen: int, method: str,
                              external_id: str) -> None:
        """A declined attempt, as the payment provider reports it (seed and tests)."""
        with self.transaction() as session:
            row = self._load(session, booking.reference, booking.customer_id)
            if not any(p.external_id == external_id for p in row.payments):
                row.payments.append(Payment(amount_fen=amount_fen, method=method,
                                            status="failed", external_id=external_id))
                session.flush()
                self._event(session, row, "payment_provider", None, "payment_failed",
                            {"amount_fen": amount_fen, "method": method})

    def refund_duplicate_payments(self, booking: BookingView, *, actor: str = "customer",
                                  conversation_id: Optional[str] = None) -> List[CancelResult]:
        """Refund every successful payment beyond the booking's total, once each.

        The key is the duplicate payment's provider id, so asking again (or a retried
        message) finds the refund already opened instead of opening another. Only money
        still held beyond what the booking costs goes back: a duplicate already returned
        by a cancellation or a change is not refunded a second time.
        """
        results: List[CancelResult] = []
        with self.transaction() as session:
            row = self._load(session, booking.reference, booking.customer_id, lock=True)
            paid = sorted((p for p in row.payments if p.status in PAYMENT_RECEIVED),
                          key=lambda p: p.id)
            covered = 0
            for payment in paid:
                if payment.status != "refunded" and covered < row.total_fen:
                    covered += payment.amount_fen
                    continue
                key = f"dup:{payment.external_id}"[:128]
                refund = session.execute(
                    select(Refund).where(Refund.idempotency_key == key)).scalar_one_or_none()
                if refund is None:
                    refund = self._refund_duplicate(session, row, payment, key, actor,
                                                    conversation_id)
                if refund is not None:
                    results.append(_cancel_result(refund, row.reference))
        return results

    def _refund_duplicate(self, session: Session, row: Booking, payment: Payment, key: str,
                          actor: str, conversation_id: Optional[str]) -> Optional[Refund]:
        """Open the refund of a payment beyond the total, limited to what is still held
        beyond what the booking costs; None when nothing of it is left to give back."""
        amount = min(payment.amount_fen, _held_fen(row) - _due_fen(row))
        if amount <= 0:
            return None
        refund = self._open_refund(session, row, amount, fee_fen=0, rule="payment.duplicate",
                                   policy_version=self.policy.version, key=key)
        if amount == payment.amount_fen:
            payment.status = "refunded"  # its money goes back by this refund
        self._event(session, row, actor, conversation_id, "duplicate_refunded",
                    {"payment": payment.external_id, "amount_fen": amount})
        return refund

    # --- membership ------------------------------------------------------------------

    def award_completed(self, customer: CustomerRef, today: date) -> int:
        """Mark finished trips completed and award their points, each exactly once.

        The status transition is the guard: a trip moves from ``confirmed`` to
        ``completed`` once, and only that transaction adds its points. The points are
        added in SQL (``points = points + n``), so parallel awards never overwrite each
        other, and trips are taken in id order, so parallel awards cannot deadlock.
        """
        awarded = 0
        with self.transaction() as session:
            finished = session.execute(
                select(Booking).where(Booking.customer_id == customer.id,
                                      Booking.status == "confirmed", Booking.end_date < today)
                .order_by(Booking.id)
            ).scalars().all()
            for row in finished:
                moved = session.execute(
                    update(Booking).where(Booking.id == row.id, Booking.status == "confirmed")
                    .values(status="completed", updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                ).rowcount
                if moved != 1:
                    continue
                points = self.membership_rules.points_for(row.total_fen)
                awarded += points
                self._event(session, row, "system", None, "points_awarded", {"points": points})
            if awarded:
                self._add_points(session, customer.id, awarded)
        return awarded

    def _add_points(self, session: Session, customer_id: int, points: int) -> None:
        """Add points and set the level they reach, from the row as this update leaves it."""
        session.execute(
            update(Customer).where(Customer.id == customer_id)
            .values(points=Customer.points + points)
            .execution_options(synchronize_session=False))
        # Our update holds the row now: what we read back is what the level must follow.
        total = session.execute(
            select(Customer.points).where(Customer.id == customer_id)).scalar_one()
        session.execute(
            update(Customer).where(Customer.id == customer_id)
            .values(level=self.membership_rules.level_for(total).name)
            .execution_options(synchronize_session=False))

    def membership(self, customer: CustomerRef) -> MembershipView:
        with self.transaction() as session:
            person = session.get(Customer, customer.id)
            level = self.membership_rules.level_for(person.points)
            following = self.membership_rules.next_level(level)
            return MembershipView(
                points=person.points, level=level.name, benefits=level.benefits,
                next_level=following.name if following else None,
                points_to_next=(following.min_points - person.points) if following else 0)

    # --- audit -----------------------------------------------------------------------

    @staticmethod
    def _event(session: Session, booking: Booking, actor: str, conversation_id: Optional[str],
               action: str, details: Dict[str, Any], at: Optional[datetime] = None) -> None:
        """The audit row; its details keep no phone, name or verification answer in full."""
        session.add(BookingEvent(booking_id=booking.id, actor=actor,
                                 conversation_id=conversation_id, action=action,
                                 details=mask_details(details), at=at or utcnow()))

    def count(self, model: Any) -> int:
        """Rows in a table (health checks and tests)."""
        with self.transaction() as session:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())
