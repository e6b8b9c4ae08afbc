"""The last 4 digits of a booking's phone open it to one conversation, for a while, and
cannot be guessed: five wrong answers lock the booking for everyone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.booking.models import utcnow
from bot.booking.store import VERIFIED_FOR, VERIFY_MAX_FAILURES, VERIFY_WINDOW, Verification

from tests.booking.support import FIRST_DAY

PHONE = "13800138000"
RIGHT = PHONE[-4:]
WRONG = "0000"
FAILED = Verification(ok=False, locked=False)
LOCKED = Verification(ok=False, locked=True)


@pytest.fixture
def owner(store):
    return store.customer_for("wechat", "owner")


@pytest.fixture
def stranger(store):
    return store.customer_for("telegram", "stranger")


@pytest.fixture
def booking(store, owner):
    return store.hold_and_book(owner, "G1/二等座", FIRST_DAY, ["甲"], PHONE, "k")


def _fail(store, reference, times, start, conversation="guesser"):
    """``times`` wrong answers, a minute apart from ``start``; returns the answers."""
    return [store.verify_contact(reference, WRONG, conversation, at=start + timedelta(minutes=n))
            for n in range(times)]


def test_right_digits_open_the_booking_to_that_conversation_only(store, booking, stranger):
    someone_else = store.customer_for("rest", "someone-else")
    assert store.accessible(booking.reference, stranger, "chat-1") is None

    assert store.verify_contact(booking.reference, RIGHT, "chat-1") == Verification(ok=True, locked=False)

    assert store.accessible(booking.reference, stranger, "chat-1") == booking
    assert store.accessible(booking.reference.lower(), stranger, "chat-1") == booking
    assert store.accessible(booking.reference, stranger, "chat-2") is None
    assert store.accessible(booking.reference, stranger, None) is None
    assert store.accessible(booking.reference, someone_else, "chat-of-someone-else") is None
    assert store.find(booking.reference, stranger) is None  # verification is not ownership


@pytest.mark.parametrize("digits", [WRONG, "8001", "800", "38000", "", "80 0", "８０００"],
                         ids=["wrong", "off-by-one", "three", "five", "empty", "spaced", "fullwidth"])
def test_wrong_digits_open_nothing(store, booking, stranger, digits):
    assert store.verify_contact(booking.reference, digits, "chat-1") == FAILED
    assert store.accessible(booking.reference, stranger, "chat-1") is None
    assert [e.action for e in store.history(booking)] == ["booked", "verification_failed"]


@pytest.mark.parametrize("reference", ["TD22222222", "td22222222", "TD", "not a reference"])
def test_an_unknown_reference_fails_like_wrong_digits(store, booking, stranger, reference):
    assert store.verify_contact(reference, RIGHT, "chat-1") == FAILED
    assert store.accessible(reference, stranger, "chat-1") is None


def test_wrong_digits_five_times_lock_the_booking(store, booking, stranger):
    start = utcnow()
    answers = _fail(store, booking.reference, VERIFY_MAX_FAILURES, start)
    assert answers == [FAILED] * (VERIFY_MAX_FAILURES - 1) + [LOCKED]

    # a new chat with the right digits gets no further: four digits cannot be guessed
    # by opening conversation after conversation
    later = start + timedelta(hours=1)
    assert store.verify_contact(booking.reference, RIGHT, "fresh-chat", at=later) == LOCKED
    assert store.accessible(booking.reference, stranger, "fresh-chat", at=later) is None


def test_a_lock_lifts_once_the_failures_leave_the_window(store, booking, stranger):
    start = utcnow()
    _fail(store, booking.reference, VERIFY_MAX_FAILURES, start)
    after = start + VERIFY_WINDOW + timedelta(minutes=1)
    assert store.verify_contact(booking.reference, RIGHT, "chat-1", at=after) == Verification(
        ok=True, locked=False)


def test_failures_older_than_the_window_do_not_count_towards_a_lock(store, booking):
    start = utcnow()
    _fail(store, booking.reference, VERIFY_MAX_FAILURES - 1, start)
    after = start + VERIFY_WINDOW + timedelta(minutes=1)
    assert _fail(store, booking.reference, VERIFY_MAX_FAILURES - 1, after) == [FAILED] * (
        VERIFY_MAX_FAILURES - 1)


@pytest.mark.parametrize("elapsed, visible", [
    (timedelta(0), True),
    (VERIFIED_FOR - timedelta(minutes=1), True),
    (VERIFIED_FOR + timedelta(minutes=1), False),
    (timedelta(days=1), False),
])
def test_access_from_a_verification_expires(store, booking, stranger, elapsed, visible):
    start = utcnow()
    assert store.verify_contact(booking.reference, RIGHT, "chat-1", at=start).ok
    seen = store.accessible(booking.reference, stranger, "chat-1", at=start + elapsed)
    assert (seen == booking) is visible and (seen is None) is not visible


def test_every_attempt_is_recorded_with_its_conversation(store, booking):
    store.verify_contact(booking.reference, WRONG, "chat-a")
    store.verify_contact(booking.reference, "1234", "chat-a")
    store.verify_contact(booking.reference, RIGHT, "chat-b")
    recorded = [(e.action, e.actor, e.conversation_id) for e in store.history(booking)]
    assert recorded == [
        ("booked", "customer", None),
        ("verification_failed", "unverified", "chat-a"),
        ("verification_failed", "unverified", "chat-a"),
        ("verified", "unverified", "chat-b"),
    ]


@pytest.mark.parametrize("conversation", [None, "owners-chat", "guesser"])
def test_the_owner_always_has_access_even_while_locked(store, booking, owner, conversation):
    _fail(store, booking.reference, VERIFY_MAX_FAILURES, utcnow())
    assert store.verify_contact(booking.reference, RIGHT, "owners-chat") == LOCKED
    assert store.accessible(booking.reference, owner, conversation) == booking


# ``at`` is when the attempt is made: windows are measured back from it, so attempts must
# be recorded at it too, or a caller passing ``at`` (a replay, a test) sees them escape.
AT = datetime(2030, 4, 1, 1, 0, tzinfo=timezone.utc)


def test_attempts_made_at_a_given_time_lock_as_live_ones_do(store, booking):
    assert _fail(store, booking.reference, VERIFY_MAX_FAILURES, AT)[-1] == LOCKED
    assert store.verify_contact(booking.reference, RIGHT, "fresh-chat",
                                at=AT + timedelta(minutes=10)) == LOCKED


def test_a_verification_made_at_a_given_time_gives_access_from_that_time(store, booking, stranger):
    assert store.verify_contact(booking.reference, RIGHT, "chat-1", at=AT).ok
    assert store.accessible(booking.reference, stranger, "chat-1",
                            at=AT + timedelta(minutes=10)) == booking


def test_an_unknown_reference_answers_exactly_like_a_real_one_with_wrong_digits(store, booking):
    """Whether the digits worked is all a caller learns: ``locked`` is the store's own
    signal and the dialogue answers a locked booking like wrong digits, so a prober
    cannot tell which references exist (see actions/forms.py)."""
    attempts = VERIFY_MAX_FAILURES + 1
    real = [store.verify_contact(booking.reference, WRONG, "prober").ok for _ in range(attempts)]
    unknown = [store.verify_contact("TD22222222", WRONG, "prober").ok for _ in range(attempts)]
    assert unknown == real == [False] * attempts