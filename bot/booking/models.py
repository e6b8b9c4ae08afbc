"""Tables of the booking store.

Why these shapes:

* Money is always an integer number of fen (``*_fen`` columns): no float ever touches a
  price, and sums are exact on SQLite and PostgreSQL alike.
* Enumerations are short strings guarded by CHECK constraints rather than native enum
  types, so the same migration runs on both databases and adding a value is one
  migration, not a type change.
* Timestamps go through :class:`UTCDateTime`, which stores UTC and always hands back
  timezone-aware values (SQLite would otherwise return naive ones).
* Inventory is one row per product per day; ``reserved <= capacity`` is enforced by the
  database itself, the last line of defence against overbooking.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot.booking.kinds import PRODUCT_KINDS
from bot.identifiers import REFERENCE_ALPHABET, is_reference, new_reference

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

# expired: an unpaid hold ran out (policies.yml holds) and its inventory went back.
BOOKING_STATUSES = ("pending_payment", "confirmed", "cancelled", "completed", "expired")
# expired: the link of a booking whose hold ran out; it can no longer be paid.
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "refunded", "expired")
REFUND_STATUSES = ("not_required", "pending", "succeeded", "failed")
# Money the store holds for a booking: payments received (a payment later marked
# ``refunded`` was still received) less refunds open or done (a failed one returned nothing).
PAYMENT_RECEIVED = ("succeeded", "refunded")
REFUND_COMMITTED = ("pending", "succeeded")

def utcnow() -> datetime:
    """Now, timezone-aware in UTC (the only clock the store writes)."""
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no timezone type and returns naive values; refusing naive input and
    re-attaching UTC on the way out keeps "timestamps are timezone-aware" true everywhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Customer(Base):
    """A person we serve; several channel identities may point at one customer."""

    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    display_name = Column(String(64), nullable=False, default="")
    phone = Column(String(20), nullable=True)
    points = Column(Integer, nullable=False, default=0)
    level = Column(String(16), nullable=False, default="普通会员")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    identities = relationship("ChannelIdentity", back_populates="customer")
    __table_args__ = (CheckConstraint("points >= 0", name="points_not_negative"),)


class ChannelIdentity(Base):
    """Who a sender is on one channel (WeChat openid, Telegram user id, web session)."""

    __tablename__ = "channel_identities"

    id = Column(Integer, primary_key=True)
    channel = Column(String(16), nullable=False)
    external_id = Column(String(128), nullable=False)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    customer = relationship("Customer", back_populates="identities")
    __table_args__ = (UniqueConstraint("channel", "external_id"),)


class Product(Base):
    """Something sold per day: a hotel room type, a tour departure, a transport fare.

    ``code`` ties it to the catalogue: ``H-SH-001/高级大床房`` (hotel id / room type),
    ``T-BJ-001`` (tour id), ``G7/二等座`` (service code / fare class).
    """

    __tablename__ = "products"

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)
    code = Column(String(64), nullable=False, unique=True)
    catalogue_id = Column(String(32), nullable=False)
    variant = Column(String(32), nullable=False, default="")
    name = Column(String(128), nullable=False)
    unit_price_fen = Column(Integer, nullable=False)
    mode = Column(String(16), nullable=True)  # train | flight | bus for transport
    departs_at = Column(String(5), nullable=True)  # "HH:MM" business-local, transport
    duration_days = Column(Integer, nullable=False, default=1)  # tours
    max_guests = Column(Integer, nullable=True)  # per hotel room
    # Inventory made on demand (migration 0004): units on sale each day, and the ISO
    # weekdays it is on sale ("1234567"). NULL capacity: inventory rows are written
    # explicitly and none is created on demand.
    capacity = Column(Integer, nullable=True)
    sale_weekdays = Column(String(7), nullable=True)
    # A child's fare where the catalogue sets one (tours, migration 0006); NULL: children
    # pay ``unit_price_fen`` like adults.
    child_price_fen = Column(Integer, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("kind", PRODUCT_KINDS), name="kind_known"),
        CheckConstraint("unit_price_fen >= 0", name="price_not_negative"),
        CheckConstraint("duration_days >= 1", name="duration_positive"),
    )


class Inventory(Base):
    """Units of a product on one day: hotel nights, tour departures, seats on a service."""

    __tablename__ = "inventory"

    id = Column(Integer, primary_key=True)
    product_id = Column(ForeignKey("products.id"), nullable=False)
    day = Column(Date, nullable=False)
    capacity = Column(Integer, nullable=False)
    reserved = Column(Integer, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("product_id", "day"),
        CheckConstraint("reserved <= capacity", name="not_overbooked"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )


class Booking(Base):
    """One order: who, what, when, how much, and under which policy version it was sold.

    ``idempotency_key`` makes a retried confirmation return the booking it already made.
    """

    __tablename__ = "bookings"

    id = Column(Integer, primary_key=True)
    reference = Column(String(10), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(String(16), nullable=False, default="pending_payment")
    contact_phone = Column(String(20), nullable=False)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    total_fen = Column(Integer, nullable=False)
    policy_version = Column(String(32), nullable=False)
    idempotency_key = Column(String(128), nullable=True, unique=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # Until when an unpaid booking keeps its inventory (policies.yml holds); NULL: no
    # deadline (paid at the property). The hold sweeper expires what is past it, found
    # through the (status, hold_expires_at) index without reading paid bookings.
    hold_expires_at = Column(UTCDateTime, nullable=True)

    items = relationship("BookingItem", back_populates="booking", order_by="BookingItem.id")
    travellers = relationship("Traveller", order_by="Traveller.position")
    payments = relationship("Payment", order_by="Payment.id")
    refunds = relationship("Refund", order_by="Refund.id")
    changes = relationship("BookingChange", order_by="BookingChange.id")
    __table_args__ = (
        CheckConstraint(_in("status", BOOKING_STATUSES), name="status_known"),
        CheckConstraint("total_fen >= 0", name="total_not_negative"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        Index("ix_bookings_status_hold_expires_at", "status", "hold_expires_at"),
    )


class BookingItem(Base):
    """A product line of a booking; ``quantity`` units held on each day it covers."""

    __tablename__ = "booking_items"

    id = Column(Integer, primary_key=True)
    booking_id = Column(ForeignKey("bookings.id"), nullable=False, index=True)
    product_id = Column(ForeignKey("products.id"), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_fen = Column(Integer, nullable=False)
    amount_fen = Column(Integer, nullable=False)
    # Of ``quantity``, how many are children charged ``child_unit_price_fen`` (migration 0006).
    children = Column(Integer, nullable=False, default=0, server_default="0")
    child_unit_price_fen = Column(Integer, nullable=True)

    booking = relationship("Booking", back_populates="items")
    product = relationship("Product")
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint("children >= 0 AND children < quantity", name="children_with_an_adult"),
    )


class Traveller(Base):
    """A guest or passenger named on a booking, in the order they were given."""

    __tablename__ = "travellers"

    id = Column(Integer, primary_key=True)
    booking_id = Column(ForeignKey("bookings.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False, default=0)
    name = Column(String(64), nullable=False)


class Payment(Base):
    """Money received (or expected) for a booking; ``external_id`` is the provider's id."""

    __tablename__ = "payments"

    id = Column(Integer, primary_key=True)
    booking_id = Column(ForeignKey("bookings.id"), nullable=False, index=True)
    amount_fen = Column(Integer, nullable=False)
    method = Column(String(16), nullable=False)  # wechat_pay | alipay | card | pay_at_property
    status = Column(String(16), nullable=False, default="pending")
    external_id = Column(String(64), nullable=True, unique=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("status", PAYMENT_STATUSES), name="status_known"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )


class BookingChange(Base):
    """A change applied to a booking, with the fee and fare difference quoted for it."""

    __tablename__ = "booking_changes"

    id = Column(Integer, primary_key=True)
    booking_id = Column(ForeignKey("bookings.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # dates | room | departure | traveller
    old_values = Column(JSON, nullable=False)
    new_values = Column(JSON, nullable=False)
    fee_fen = Column(Integer, nullable=False, default=0)
    difference_fen = Column(Integer, nullable=False, default=0)  # new price - old price
    policy_version = Column(String(32), nullable=False)
    idempotency_key = Column(String(128), nullable=False, unique=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (CheckConstraint("fee_fen >= 0", name="fee_not_negative"),)


class Refund(Base):
    """Money going back after a cancellation; one per idempotency key, ever.

    A cancellation of an unpaid booking still writes a row (``not_required``) so that
    the retried message finds the same outcome.
    """

    __tablename__ = "refunds"

    id = Column(Integer, primary_key=True)
    booking_id = Column(ForeignKey("bookings.id"), nullable=False, index=True)
    amount_fen = Column(Integer, nullable=False)
    fee_fen = Column(Integer, nullable=False, default=0)
    status = Column(String(16), nullable=False, default="pending")
    rule = Column(String(64), nullable=False, default="")
    policy_version = Column(String(32), nullable=False)
    idempotency_key = Column(String(128), nullable=False, unique=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("status", REFUND_STATUSES), name="status_known"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint("fee_fen >= 0", name="fee_not_negative"),
    )


class BookingEvent(Base):
    """Audit trail: who did what to a booking, when, from which conversation."""

    __tablename__ = "booking_events"

    id = Column(Integer, primary_key=True)
    booking_id = Column(ForeignKey("bookings.id"), nullable=False, index=True)
    actor = Column(String(64), nullable=False)
    conversation_id = Column(String(128), nullable=True)
    action = Column(String(32), nullable=False)
    details = Column(JSON, nullable=False, default=dict)
    at = Column(UTCDateTime, nullable=False, default=utcnow)


__all__ = [
    "Base", "Customer", "ChannelIdentity", "Product", "Inventory", "Booking", "BookingItem",
    "Traveller", "Payment", "BookingChange", "Refund", "BookingEvent", "UTCDateTime",
    "new_reference", "is_reference", "utcnow", "REFERENCE_ALPHABET",
    "PRODUCT_KINDS",  # defined in bot.booking.kinds
]


# --- outbound messages (migration 0002) ------------------------------------------------
# Appended rather than edited into the classes above so this change stays in one place.

from sqlalchemy import Text  # noqa: E402

OUTBOUND_STATUSES = ("pending", "sent", "failed", "undeliverable")

# When the customer last wrote from this identity: a message sent later (agent reply,
# survey, reminder) goes to the channel they used last. NULL for identities not seen
# since the column was added.
ChannelIdentity.last_seen_at = Column(UTCDateTime, nullable=True)


class OutboundMessage(Base):
    """Every message sent to a customer outside a conversation turn, and what became of it.

    A row is written as ``pending`` before the first attempt and updated after the last,
    so a crash mid-send leaves a trace instead of a silent gap. ``undeliverable`` means
    no attempt could be made (no sender configured for the channel); ``failed`` means
    the platform refused or kept failing after bounded retries.
    """

    __tablename__ = "outbound_messages"

    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=True, index=True)
    channel = Column(String(16), nullable=False)
    recipient_id = Column(String(128), nullable=False)
    text = Column(Text, nullable=False)
    buttons = Column(JSON, nullable=False, default=list)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(String(500), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("status", OUTBOUND_STATUSES), name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )


__all__ += ["OutboundMessage", "OUTBOUND_STATUSES"]


# The catalogue's tables share this metadata (one Alembic history, migration 0004).
import bot.catalogue.models  # noqa: E402,F401
