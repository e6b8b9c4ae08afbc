"""Booking references: TD + 8 characters nobody can misread (no 0/O/1/I)."""
from __future__ import annotations

import re

from bot.booking.models import REFERENCE_ALPHABET, is_reference, new_reference


def test_reference_is_td_and_eight_unambiguous_characters():
    for _ in range(500):
        assert re.fullmatch(r"TD[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}", new_reference())


def test_alphabet_leaves_out_lookalikes():
    assert not set("01OI") & set(REFERENCE_ALPHABET)
    assert len(REFERENCE_ALPHABET) == 32


def test_references_do_not_repeat():
    assert len({new_reference() for _ in range(2000)}) == 2000


def test_is_reference_rejects_lookalikes_and_wrong_lengths():
    assert is_reference("TD2H8KQ4MZ")
    assert not is_reference("TD2H8KQ4M0")
    assert not is_reference("TD2H8KQ4M")
    assert not is_reference("XX2H8KQ4MZ")
