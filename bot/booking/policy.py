"""Refund and change fees, computed from ``knowledge_base/policies.yml``.

Pure functions: parameters come from the policy file, times are passed in, nothing is
read from the clock or the database, so every tier edge can be tested exactly. Money is
integer fen; percentages are applied with Decimal and rounded ROUND_HALF_UP to the fen.
Each result names the rule applied and the policy version, which the store records with
the booking, change or refund.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

import yaml

from bot.booking.kinds import HOTEL_ROOM, PRODUCT_KINDS, TOUR, TRANSPORT
from bot.settings import settings

HUNDRED = Decimal(100)


class PolicyError(ValueError):
    """policies.yml is missing or malformed; the message names the setting to fix."""


@dataclass(frozen=True)
class Tier:
    """Applies when the time left before departure is at least ``minimum`` (days or hours)."""

    minimum: int
    fee_percent: Decimal


@dataclass(frozen=True)
class Policy:
    """The parameters of policies.yml, validated once."""

    version: str
    timezone: ZoneInfo
    hotel_cutoff: time
    tour_refund: Tuple[Tier, ...]
    tour_change: Tuple[Tier, ...]
    train_refund: Tuple[Tier, ...]
    train_change: Tuple[Tier, ...]
    train_minimum_fee_fen: int
    bus_refund: Tuple[Tier, ...]
    bus_change: Tuple[Tier, ...]
    flight_refund: Dict[str, Tuple[Tier, ...]] = field(hash=False)
    flight_change: Dict[str, Tuple[Tier, ...]] = field(hash=False)
    hold_minutes: Dict[str, int] = field(hash=False, default_factory=dict)
    max_unpaid_bookings: int = 3
    booking_window_days: int = 60  # today and the days after it that can be booked


@dataclass(frozen=True)
class Quote:
    """What a cancellation or change costs, as shown to the traveller before confirming.

    Attributes:
        amount_fen: the price of what is being cancelled or changed.
        fee_fen: what the policy keeps.
        refund_fen: what goes back to the traveller.
        rule: stable id of the rule applied, e.g. ``train.refund.24h``; responses map
            it to Chinese copy.
        policy_version: version of policies.yml the figures came from.
        allowed: False when the policy forbids the operation (e.g. after departure).
        difference_fen: for a change, new price minus old price (negative: money back).
        reference: booking reference, filled in by the store.
    """

    amount_fen: int
    fee_fen: int
    refund_fen: int
    rule: str
    policy_version: str
    allowed: bool = True
    difference_fen: int = 0
    reference: Optional[str] = None

    @property
    def payable_fen(self) -> int:
        """For a change: what the traveller pays now (fee plus any fare difference)."""
        return max(0, self.fee_fen + self.difference_fen)


def terms_of(quote: Quote) -> Dict[str, Any]:
    """What a traveller's yes to a cancellation or change is bound to: every figure shown,
    the rule that explains them, the policy version and the booking. The store refuses a
    confirmed quote whose terms it no longer gives; the dialogue keys the write by them."""
    return asdict(quote)


def to_fen(yuan: Decimal) -> int:
    """Catalogue prices are Decimal yuan; the store keeps integer fen."""
    return int((Decimal(yuan) * HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_fen: int, percent: Decimal) -> int:
    """``percent`` % of ``amount_fen``, rounded half-up to the fen."""
    return int((Decimal(amount_fen) * percent / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _tiers(raw: Any, unit: str, where: str) -> Tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        raise PolicyError(f"policies.yml {where} must be a non-empty list of tiers")
    try:
        tiers = tuple(Tier(int(t[unit]), Decimal(str(t["fee_percent"]))) for t in raw)
    except (KeyError, TypeError, ValueError) as error:
        raise PolicyError(f"policies.yml {where}: each tier needs {unit} and fee_percent") from error
    if any(not 0 <= t.fee_percent <= 100 for t in tiers):
        raise PolicyError(f"policies.yml {where}: fee_percent must be between 0 and 100")
    return tuple(sorted(tiers, key=lambda t: t.minimum, reverse=True))


HOLD_KINDS = PRODUCT_KINDS
HOLD_MODES = ("train", "flight", "bus")


def _positive(raw: Any, where: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError) as error:
        raise PolicyError(f"policies.yml {where} must be a whole number") from error
    if value < 1 or value != raw:
        raise PolicyError(f"policies.yml {where} must be a whole number of at least 1")
    return value


def _hold_minutes(raw: Any) -> Dict[str, int]:
    """``holds.minutes``: one per product kind, optional overrides per transport mode."""
    minutes = raw.get("minutes") if isinstance(raw, dict) else None
    if not isinstance(minutes, dict):
        raise PolicyError("policies.yml holds.minutes must map product kinds to minutes")
    unknown = set(minutes) - set(HOLD_KINDS) - set(HOLD_MODES)
    if unknown:
        raise PolicyError(f"policies.yml holds.minutes has unknown keys {sorted(unknown)}; "
                          f"use {HOLD_KINDS + HOLD_MODES}")
    missing = [kind for kind in HOLD_KINDS if kind not in minutes]
    if missing:
        raise PolicyError(f"policies.yml holds.minutes needs {missing}")
    return {key: _positive(value, f"holds.minutes.{key}") for key, value in minutes.items()}


def hold_time(policy: Policy, kind: str, mode: Optional[str] = None) -> timedelta:
    """How long an unpaid booking keeps its place (policies.yml ``holds.minutes``)."""
    minutes = policy.hold_minutes.get(mode or "") if kind == TRANSPORT else None
    return timedelta(minutes=minutes or policy.hold_minutes[kind])


def hold_facts(policy: Policy) -> Dict[str, int]:
    """The hold rules as the knowledge base's answers quote them (``{hold_flight}`` ...):
    minutes per product kind and transport mode, and the cap on unpaid bookings."""
    facts = {f"hold_{kind}": hold_time(policy, kind) for kind in HOLD_KINDS}
    facts.update({f"hold_{mode}": hold_time(policy, "transport", mode) for mode in HOLD_MODES})
    minutes = {name: int(held.total_seconds() // 60) for name, held in facts.items()}
    return {**minutes, "max_unpaid_bookings": policy.max_unpaid_bookings}


def parse_policy(data: Dict[str, Any]) -> Policy:
    """Validate the YAML mapping of policies.yml into a :class:`Policy`."""
    try:
        hotel, tour, train, flight, bus = (data[k] for k in ("hotel", "tour", "train", "flight", "bus"))
        hours, minutes = (int(p) for p in str(hotel["free_cancellation_cutoff"]).split(":"))
        classes = flight["fare_classes"]
        return Policy(
            version=str(data["version"]),
            timezone=ZoneInfo(str(data.get("timezone", settings.business_timezone.key))),
            hotel_cutoff=time(hours, minutes),
            tour_refund=_tiers(tour["refund_tiers"], "min_days", "tour.refund_tiers"),
            tour_change=_tiers(tour["change_tiers"], "min_days", "tour.change_tiers"),
            train_refund=_tiers(train["refund_tiers"], "min_hours", "train.refund_tiers"),
            train_change=_tiers(train["change_tiers"], "min_hours", "train.change_tiers"),
            train_minimum_fee_fen=int(train.get("minimum_fee_fen", 0)),
            bus_refund=_tiers(bus["refund_tiers"], "min_hours", "bus.refund_tiers"),
            bus_change=_tiers(bus["change_tiers"], "min_hours", "bus.change_tiers"),
            flight_refund={
                name: _tiers(c["refund_tiers"], "min_hours", f"flight.{name}.refund_tiers")
                for name, c in classes.items()
            },
            flight_change={
                name: _tiers(c["change_tiers"], "min_hours", f"flight.{name}.change_tiers")
                for name, c in classes.items()
            },
            hold_minutes=_hold_minutes(data["holds"]),
            max_unpaid_bookings=_positive(data["holds"].get("max_unpaid_bookings"),
                                          "holds.max_unpaid_bookings"),
            booking_window_days=_positive(data.get("booking_window_days"), "booking_window_days"),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        if isinstance(error, PolicyError):
            raise
        raise PolicyError(f"policies.yml is missing or has a malformed setting: {error}") from error


@lru_cache(maxsize=None)
def load_policy(path: Optional[Path] = None) -> Policy:
    """The policy in force, read once per process (it changes only with a deploy)."""
    path = path or settings.knowledge_base_dir / "policies.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise PolicyError(f"policy file missing: {path}") from error
    if not isinstance(data, dict):
        raise PolicyError(f"{path} must be a mapping with a 'version:' at the top")
    return parse_policy(data)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("policy times must be timezone-aware")


def _pick(tiers: Sequence[Tier], left: Decimal) -> Optional[Tier]:
    """The first tier (largest minimum first) whose minimum the time left reaches."""
    return next((tier for tier in tiers if left >= tier.minimum), None)


def hours_before(departs_at: datetime, at: datetime) -> Decimal:
    """Exact hours from ``at`` until ``departs_at`` (negative once departed)."""
    _require_aware(departs_at)
    _require_aware(at)
    seconds = (departs_at - at) // timedelta(microseconds=1)
    return Decimal(seconds) / Decimal(3_600_000_000)


def days_before(policy: Policy, departure: date, at: datetime) -> int:
    """Calendar days from ``at``'s local date to the departure date (0 on the day)."""
    _require_aware(at)
    return (departure - at.astimezone(policy.timezone).date()).days


def _tiered(policy: Policy, amount_fen: int, tiers: Sequence[Tier], left: Decimal,
            rule: str, minimum_fee_fen: int = 0) -> Quote:
    """Apply the tier reached by ``left``; none reached means the operation is refused."""
    tier = _pick(tiers, left)
    if tier is None:
        return Quote(amount_fen, amount_fen, 0, f"{rule}.not_allowed", policy.version, allowed=False)
    fee = percent_of(amount_fen, tier.fee_percent)
    if fee > 0:
        fee = min(amount_fen, max(fee, minimum_fee_fen))
    return Quote(amount_fen, fee, amount_fen - fee, f"{rule}.{tier.minimum}", policy.version)


def hotel_cutoff_at(policy: Policy, arrival: date) -> datetime:
    """The free-cancellation deadline: the cut-off time, local, on the arrival day."""
    return datetime.combine(arrival, policy.hotel_cutoff, tzinfo=policy.timezone)


def hotel_cancellation(policy: Policy, amount_fen: int, first_night_fen: int,
                       arrival: date, at: datetime) -> Quote:
    """Free before the cut-off on the arrival day; from the cut-off, the first night is kept."""
    _require_aware(at)
    if at < hotel_cutoff_at(policy, arrival):
        return Quote(amount_fen, 0, amount_fen, "hotel.refund.free", policy.version)
    fee = min(first_night_fen, amount_fen)
    return Quote(amount_fen, fee, amount_fen - fee, "hotel.refund.first_night", policy.version)


def tour_cancellation(policy: Policy, amount_fen: int, departure: date, at: datetime) -> Quote:
    """Tiered by calendar days before departure (policies.yml ``tour.refund_tiers``)."""
    left = Decimal(days_before(policy, departure, at))
    return _tiered(policy, amount_fen, policy.tour_refund, left, "tour.refund")


def train_refund(policy: Policy, amount_fen: int, departs_at: datetime, at: datetime) -> Quote:
    """Tiered by hours before departure, with the minimum fee when a fee applies."""
    left = hours_before(departs_at, at)
    return _tiered(policy, amount_fen, policy.train_refund, left, "train.refund",
                   policy.train_minimum_fee_fen)


def bus_refund(policy: Policy, amount_fen: int, departs_at: datetime, at: datetime) -> Quote:
    """Tiered by hours before departure (policies.yml ``bus.refund_tiers``)."""
    return _tiered(policy, amount_fen, policy.bus_refund, hours_before(departs_at, at), "bus.refund")


def _fare_tiers(table: Dict[str, Tuple[Tier, ...]], fare_class: str) -> Tuple[Tier, ...]:
    if fare_class not in table:
        raise PolicyError(f"policies.yml flight.fare_classes has no rules for {fare_class!r}")
    return table[fare_class]


def flight_refund(policy: Policy, amount_fen: int, fare_class: str,
                  departs_at: datetime, at: datetime) -> Quote:
    """Tiered by hours before take-off, per fare class (经济舱, 公务舱, 头等舱)."""
    tiers = _fare_tiers(policy.flight_refund, fare_class)
    return _tiered(policy, amount_fen, tiers, hours_before(departs_at, at), "flight.refund")


def flight_change(policy: Policy, amount_fen: int, new_amount_fen: int, fare_class: str,
                  departs_at: datetime, at: datetime) -> Quote:
    """Change fee tiered by hours before take-off, plus the fare difference."""
    tiers = _fare_tiers(policy.flight_change, fare_class)
    quote = _tiered(policy, amount_fen, tiers, hours_before(departs_at, at), "flight.change")
    return _as_change(quote, new_amount_fen)


def _as_change(quote: Quote, new_amount_fen: int) -> Quote:
    """A fee quote turned into a change quote: nothing refunded, the difference stated."""
    return Quote(quote.amount_fen, quote.fee_fen if quote.allowed else 0, 0, quote.rule,
                 quote.policy_version, quote.allowed, new_amount_fen - quote.amount_fen)


@dataclass(frozen=True)
class Trip:
    """What the policy needs to know about a booked item, independent of the database."""

    kind: str  # hotel_room | tour | transport
    amount_fen: int
    start: date
    first_night_fen: int = 0
    mode: Optional[str] = None  # train | flight | bus
    fare_class: Optional[str] = None
    departs_at: Optional[datetime] = None


def cancellation_quote(policy: Policy, trip: Trip, at: datetime) -> Quote:
    """The refund quote for cancelling ``trip`` at ``at``, whichever kind it is."""
    if trip.kind == HOTEL_ROOM:
        return hotel_cancellation(policy, trip.amount_fen, trip.first_night_fen, trip.start, at)
    if trip.kind == TOUR:
        return tour_cancellation(policy, trip.amount_fen, trip.start, at)
    if trip.departs_at is None:
        raise ValueError("a transport trip needs departs_at")
    if trip.mode == "flight":
        return flight_refund(policy, trip.amount_fen, trip.fare_class or "", trip.departs_at, at)
    if trip.mode == "bus":
        return bus_refund(policy, trip.amount_fen, trip.departs_at, at)
    return train_refund(policy, trip.amount_fen, trip.departs_at, at)


def change_quote(policy: Policy, trip: Trip, new_amount_fen: int, at: datetime) -> Quote:
    """The fee and fare difference for changing ``trip`` to something priced ``new_amount_fen``."""
    if trip.kind == HOTEL_ROOM:
        quote = hotel_cancellation(policy, trip.amount_fen, trip.first_night_fen, trip.start, at)
        rule = "hotel.change.free" if quote.fee_fen == 0 else "hotel.change.first_night"
        return Quote(trip.amount_fen, quote.fee_fen, 0, rule, policy.version,
                     difference_fen=new_amount_fen - trip.amount_fen)
    if trip.kind == TOUR:
        left = Decimal(days_before(policy, trip.start, at))
        quote = _tiered(policy, trip.amount_fen, policy.tour_change, left, "tour.change")
        return _as_change(quote, new_amount_fen)
    if trip.departs_at is None:
        raise ValueError("a transport trip needs departs_at")
    if trip.mode == "flight":
        return flight_change(policy, trip.amount_fen, new_amount_fen, trip.fare_class or "",
                             trip.departs_at, at)
    tiers = policy.bus_change if trip.mode == "bus" else policy.train_change
    rule = "bus.change" if trip.mode == "bus" else "train.change"
    quote = _tiered(policy, trip.amount_fen, tiers, hours_before(trip.departs_at, at), rule)
    return _as_change(quote, new_amount_fen)
