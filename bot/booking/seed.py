"""Catalogue and inventory for any store; demo customers only where they belong.

Run ``python -m bot.booking.seed [--demo]`` (or call :func:`seed`) after setting up; it
is idempotent, so running it on every start only fills what is missing. The demo
customers' identities, phones and references are published in the README ("say 查订单
TD2H8KQ4MZ"), so they are loaded only into the embedded default (the SQLite file under
``var/``) or when asked for explicitly (``--demo`` or ``TRIPDESK_SEED_DEMO=1``): never
into a real database just because ``DATABASE_URL`` points at it.
"""
from __future__ import annotations

import argparse
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import select

from bot.booking import db
from bot.booking.kinds import per_room, priced_units, span, stay_end
from bot.booking.models import Booking, BookingItem, Payment, Product, Traveller
from bot.booking.store import BookingStore, CustomerRef
from bot.catalogue.curated import curated_rows
from bot.catalogue.files import Parsed, import_files, parse
from bot.catalogue.importer import import_rows, parsed_products
from bot.catalogue.items import ImportReport
from bot.settings import settings

log = logging.getLogger(__name__)

DEMO_ENV = "TRIPDESK_SEED_DEMO"


@dataclass(frozen=True)
class DemoBooking:
    reference: str
    product: str
    offset_days: int  # from today; negative = a past trip
    nights: int
    travellers: Tuple[str, ...]
    paid: bool
    payment_problem: str = ""  # "duplicate": charged twice; "failed": a declined attempt


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    phone: str
    identities: Tuple[Tuple[str, str], ...]
    bookings: Tuple[DemoBooking, ...]


DEMO_CUSTOMERS = (
    DemoCustomer("张伟", "13800138001", (("rest", "rest:demo-zhang"), ("telegram", "100001")), (
        DemoBooking("TD2H8KQ4MZ", "H-SH-001/高级大床房", 12, 2, ("张伟", "刘芳"), True),
        DemoBooking("TD5NX7RB3C", "G7/二等座", 3, 0, ("张伟",), True, "duplicate"),
        DemoBooking("TD9WJE6TPL", "H-SH-002/高级大床房", -30, 1, ("张伟",), True),
    )),
    DemoCustomer("李娜", "13900139002", (("rest", "rest:demo-li"), ("wechat", "oDEMO-li-openid")), (
        DemoBooking("TD7FQ3VH8S", "T-BJ-002", 6, 0, ("李娜", "王强"), True),
        DemoBooking("TD4KM8YW2N", "T-SH-002", 20, 0, ("李娜",), False, "failed"),
    )),
    DemoCustomer("王芳", "13700137003", (("rest", "rest:demo-wang"),), (
        DemoBooking("TD6RT9GC5X", "MU5101/经济舱", 1, 0, ("王芳",), True),
        DemoBooking("TD3PZ5DJ7B", "T-BJ-001", -10, 0, ("王芳",), True),
    )),
)


_parsed: Dict[Tuple[object, ...], Parsed] = {}


def catalogue_source() -> Parsed:
    """The rows the seed loads: the folder of ``settings.catalogue_dir`` (the generated
    demo catalogue) when it exists, otherwise the curated YAML catalogue. Parsed once
    per process while the files are unchanged (tests seed many fresh databases)."""
    folder = settings.catalogue_dir
    if not folder.is_dir():
        return curated_rows()
    stamp = (folder, *((f.name, f.stat().st_mtime_ns, f.stat().st_size)
                       for f in import_files(folder)))
    if stamp not in _parsed:
        _parsed.clear()
        _parsed[stamp] = parse(folder)
    return _parsed[stamp]


def catalogue_products() -> List[Dict[str, object]]:
    """One product row per hotel room type, tour and transport fare in the catalogue."""
    return parsed_products(catalogue_source())


def load_catalogue(store: BookingStore, today: date) -> ImportReport:
    """Import the catalogue (and so its products) and open the booking window from
    ``today``; inventory rows are made on demand by the store."""
    report = import_rows(store.engine, catalogue_source())
    store.start_sales_on(today)
    return report


def _departure(store: BookingStore, code: str, day: date) -> date:
    """The first day on or after ``day`` that the product is on sale."""
    found = store.first_sale_day(code, day)
    if found is None:
        raise LookupError(f"{code} is not on sale from {day}")
    return found


def _past_booking(store: BookingStore, customer: CustomerRef, phone: str,
                  demo: DemoBooking, today: date) -> None:
    """A finished trip in the past, written directly (there is no past inventory);
    :meth:`BookingStore.award_completed` then completes it and awards its points."""
    with store.transaction() as session:
        if session.execute(select(Booking.id).where(Booking.reference == demo.reference)).first():
            return
        product = session.execute(select(Product).where(Product.code == demo.product)).scalar_one()
        first = today + timedelta(days=demo.offset_days)
        start, end = span(product.kind, product.duration_days, first, stay_end(first, demo.nights))
        quantity = 1 if per_room(product.kind) else len(demo.travellers)
        total = product.unit_price_fen * quantity * priced_units(product.kind, start, end)
        booking = Booking(reference=demo.reference, customer_id=customer.id, status="confirmed",
                          contact_phone=phone, start_date=start, end_date=end, total_fen=total,
                          policy_version=store.policy.version,
                          idempotency_key=f"seed:{demo.reference}",
                          created_at=datetime.combine(start - timedelta(days=14), datetime.min.time(),
                                                      tzinfo=store.policy.timezone))
        booking.items.append(BookingItem(product=product, quantity=quantity,
                                         unit_price_fen=product.unit_price_fen, amount_fen=total))
        booking.travellers = [Traveller(name=n, position=i) for i, n in enumerate(demo.travellers)]
        booking.payments.append(Payment(amount_fen=total, method="wechat_pay", status="succeeded",
                                        external_id=f"seed-pay-{demo.reference}"))
        session.add(booking)


def is_embedded_default(store: BookingStore) -> bool:
    """Whether ``store`` is the embedded default: an SQLite file in the project's ``var/``."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    return Path(url.database).resolve().parent == (db.PROJECT_ROOT / "var").resolve()


def demo_wanted(store: BookingStore) -> bool:
    """Demo customers go into the embedded default, or anywhere with TRIPDESK_SEED_DEMO=1."""
    return os.environ.get(DEMO_ENV) == "1" or is_embedded_default(store)


def seed(store: BookingStore, today: Optional[date] = None, demo: Optional[bool] = None) -> bool:
    """Load the catalogue (inventory is made on demand in the booking window, policies.yml), and the demo customers if ``demo``
    (default: :func:`demo_wanted`). Idempotent; returns whether demo data was loaded."""
    today = today or datetime.now(store.policy.timezone).date()
    added = sum(load_catalogue(store, today).added.values())
    if demo if demo is not None else demo_wanted(store):
        seed_demo_customers(store, today)
        log.info("seeded booking store: %d catalogue rows added, demo customers present", added)
        return True
    log.info("seeded booking store: %d catalogue rows added, no demo customers "
             "(not the embedded default; use --demo or %s=1 to add them)", added, DEMO_ENV)
    return False


def seed_demo_customers(store: BookingStore, today: date) -> None:
    """The README's demo customers and bookings. Their unpaid booking keeps its place
    (no hold deadline) so the documented "付款失败了" demo works whenever it is run."""
    for demo in DEMO_CUSTOMERS:
        customer = store.customer_for(*demo.identities[0], display_name=demo.name)
        for channel, external_id in demo.identities[1:]:
            store.link_identity(customer, channel, external_id)
        for item in demo.bookings:
            if item.offset_days < 0:
                _past_booking(store, customer, demo.phone, item, today)
                continue
            start = _departure(store, item.product, today + timedelta(days=item.offset_days))
            dates = (start, stay_end(start, item.nights)) if item.nights else start
            booking = store.hold_and_book(customer, item.product, dates, item.travellers,
                                          demo.phone, f"seed:{item.reference}", actor="seed",
                                          reference=item.reference, hold_expires=False)
            if item.paid:
                store.record_payment(booking, booking.total_fen, "wechat_pay",
                                     f"seed-pay-{item.reference}", actor="seed")
            if item.payment_problem == "duplicate":
                store.record_payment(booking, booking.total_fen, "wechat_pay",
                                     f"seed-pay-{item.reference}-again", actor="seed")
            elif item.payment_problem == "failed":
                store.record_failed_payment(booking, booking.total_fen, "alipay",
                                            f"seed-declined-{item.reference}")
        store.award_completed(customer, today)  # the past trips earn their points


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m bot.booking.seed [--demo]`` (``make seed``) on ``DATABASE_URL``."""
    parser = argparse.ArgumentParser(prog="python -m bot.booking.seed", description=__doc__)
    parser.add_argument("--demo", action="store_true",
                        help=f"also load the demo customers (same as {DEMO_ENV}=1)")
    args = parser.parse_args(argv)
    store = BookingStore()
    try:
        seed(store, demo=True if args.demo else None)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    raise SystemExit(main())
