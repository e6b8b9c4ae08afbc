"""Where is my refund: each refund with amount, status and expected arrival."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import reset
from actions.forms import OwnBookingsFormValidation, bookings_in_question
from actions.store_access import STORE, StoreUnavailable, say_store_unavailable
from actions.wording import day_text, yuan
from bot import contacts
from bot.booking.payments import payment_settings
from bot.booking.store import BookingView, CancelResult, PaymentView

REFUND_STATUS_TEXT = {
    "pending": "退款处理中",
    "processing": "银行处理中",
    "succeeded": "已退款",
    "not_required": "无需退款",
    "failed": "退款失败，客服将联系您",
}
RULE_TEXT = {"payment.duplicate": "重复扣款退回", "change.price_difference": "改签差价退回"}


class ValidateRefundStatusForm(OwnBookingsFormValidation):
    def name(self) -> Text:
        return "validate_refund_status_form"


def refund_line(booking: BookingView, refund: CancelResult, payments: List[PaymentView]) -> str:
    method = next((p.method for p in payments if p.status in ("succeeded", "refunded")), "")
    reason = RULE_TEXT.get(refund.rule, "取消订单退款")
    started = f"，{day_text(refund.created_at.date())}发起" if refund.created_at else ""
    line = (f"{booking.reference}（{booking.product.name}）{reason} {yuan(refund.refund_fen)}："
            f"{REFUND_STATUS_TEXT.get(refund.refund_status, refund.refund_status)}{started}")
    if refund.refund_status in ("pending", "processing"):
        line += f"，预计{payment_settings().arrival_for(method)}"
    return line


class ActionRefundStatus(Action):
    def name(self) -> Text:
        return "action_refund_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("flow_stopped"):
            return reset("flow_stopped")
        try:
            bookings = await bookings_in_question(tracker)
            lines = []
            for booking in bookings:
                refunds = await STORE.refunds_for(booking)
                refunds = [r for r in refunds if r.refund_fen > 0]
                if refunds:
                    payments = await STORE.payments_for(booking)
                    lines.extend(refund_line(booking, r, payments) for r in refunds)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return []
        if not bookings and tracker.get_slot("order_ref"):
            dispatcher.utter_message(response="utter_need_verification")
        elif not lines:
            dispatcher.utter_message(response="utter_no_refunds", hotline=contacts.hotline())
        else:
            dispatcher.utter_message(response="utter_refund_list", lines="\n".join(lines),
                                     hotline=contacts.hotline())
        return []
