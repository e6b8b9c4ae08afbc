"""How booking facts read in a reply: money, days, stays, statuses, a masked phone.

Formatting only; the sentences around these values are responses in ``domain.yml``.
"""
from __future__ import annotations

from datetime import date

from bot.booking.store import BookingView

WEEKDAYS = "一二三四五六日"
STATUS_TEXT = {
    "pending_payment": "待支付",
    "confirmed": "已确认",
    "cancelled": "已取消",
    "completed": "已完成",
    "expired": "已过期（未按时付款，已自动取消）",
}
KIND_TEXT = {"hotel_room": "酒店", "tour": "跟团游", "transport": "车票/机票"}
PHONE_SHOWN_DIGITS = 3


def masked_phone(phone: str) -> str:
    """A stored contact phone as a reply may show it: the first digits only.

    The last four digits are the answer strangers verify a booking with, so a reply
    never shows them (``13800138001`` → ``138********``).
    """
    digits = str(phone or "")
    return digits[:PHONE_SHOWN_DIGITS] + "*" * max(len(digits) - PHONE_SHOWN_DIGITS, 0)


def yuan(fen: int) -> str:
    """Integer fen → how a reply shows money: 1280元, 12.50元."""
    whole, cents = divmod(abs(int(fen)), 100)
    sign = "-" if fen < 0 else ""
    return f"{sign}{whole}元" if not cents else f"{sign}{whole}.{cents:02d}元"


def day_text(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.isoweekday() - 1]}）"


def when_text(booking: BookingView) -> str:
    """Dates as a traveller reads them: a stay, a tour's days, a departure time."""
    product = booking.product
    if product.kind == "hotel_room":
        nights = (booking.end_date - booking.start_date).days
        return f"{day_text(booking.start_date)}入住，{day_text(booking.end_date)}离店，共{nights}晚"
    if product.kind == "tour":
        return f"{day_text(booking.start_date)}出发，{product.duration_days}天"
    return f"{day_text(booking.start_date)} {product.departs_at or ''}出发".replace(" 出发", "出发")


def booking_line(booking: BookingView) -> str:
    """One line per booking in a list: reference, what, when, status."""
    return (f"{booking.reference}｜{booking.product.name}｜{when_text(booking)}｜"
            f"{STATUS_TEXT.get(booking.status, booking.status)}")
