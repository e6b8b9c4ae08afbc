"""A cancellation delivered twice has the effect of one; a stale quote is never applied."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.booking.models import Refund
from bot.booking.store import NotCancellable, QuoteChanged

from tests.booking.support import FIRST_DAY

PHONE = "13800138000"


@pytest.fixture
def paid_train(store):
    customer = store.customer_for("wechat", "openid-1")
    booking = store.hold_and_book(customer, "G1/二等座", FIRST_DAY, ["甲", "乙"], PHONE, "b1")
    return store.record_payment(booking, booking.total_fen, "wechat_pay", "wx-1")


def _available(store):
    return store.available("G1/二等座", FIRST_DAY)


def test_same_key_returns_the_same_refund_and_releases_once(store, paid_train):
    quote = store.quote_cancellation(paid_train)
    first = store.cancel(paid_train, quote, "cancel-key")
    second = store.cancel(paid_train, quote, "cancel-key")
    assert first == second
    assert _available(store) == 50
    assert store.count(Refund) == 1
    assert [e.action for e in store.history(paid_train)].count("cancelled") == 1


def test_another_key_on_a_cancelled_booking_says_it_is_cancelled(store, paid_train):
    store.cancel(paid_train, store.quote_cancellation(paid_train), "k1")
    with pytest.raises(NotCancellable) as raised:
        store.cancel(paid_train, store.quote_cancellation(paid_train), "k2")
    assert raised.value.status == "cancelled"
    assert _available(store) == 50


def test_a_quote_that_no_longer_holds_is_quoted_again(store, paid_train):
    departs = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=store.policy.timezone)
    departs += timedelta(hours=8)
    shown = store.quote_cancellation(paid_train, at=departs - timedelta(hours=25))
    with pytest.raises(QuoteChanged) as raised:
        store.cancel(paid_train, shown, "late", at=departs - timedelta(hours=23))
    assert raised.value.quote.fee_fen > shown.fee_fen
    assert store.find(paid_train.reference, _owner(store)).status == "confirmed"


@pytest.mark.parametrize("shown_instead", [{"rule": "train.refund.other_tier"},
                                           {"difference_fen": 100}])
def test_a_yes_to_other_terms_than_the_store_gives_cancels_nothing(store, paid_train, shown_instead):
    """The store binds a yes to the same terms the dialogue shows and keys it by
    (bot.booking.policy.terms_of): any of them differing means the quote changed."""
    shown = replace(store.quote_cancellation(paid_train), **shown_instead)
    with pytest.raises(QuoteChanged):
        store.cancel(paid_train, shown, "other-terms")
    assert store.find(paid_train.reference, _owner(store)).status == "confirmed"
    assert store.count(Refund) == 0


def test_concurrent_retries_of_one_cancellation_refund_once(store, paid_train):
    quote = store.quote_cancellation(paid_train)
    results, barrier = [], threading.Barrier(6)

    def retry():
        barrier.wait()
        results.append(store.cancel(paid_train, quote, "dup"))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and len(set(results)) == 1
    assert store.count(Refund) == 1
    assert _available(store) == 50


def _owner(store):
    return store.customer_for("wechat", "openid-1")
