"""The shapes of what travellers quote back to us: booking references and mobile numbers.

Each format is defined here once; the store (validation), the NLU extractor (finding
them in text), the actions (reading answers) and the log masking all use these.
"""
from __future__ import annotations

import re
import secrets
from typing import List, Optional

# No 0/O/1/I: a reference read out on the phone or typed from a screenshot is unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "TD"
REFERENCE_LENGTH = 8
#: A booking reference inside a message, in either case ("td5nx7rb3c" is still one).
REFERENCE_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9]){REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}(?![A-Za-z0-9])",
    re.IGNORECASE)

# Mobile numbers: the mainland's, and those of Hong Kong, Macau and Taiwan, whose
# travellers book with their own. One row per region: its code as stored (the mainland's
# numbers are stored as 11 bare digits, as they always were; the others as "+852 91234567"),
# the number as stored, and the number as typed, the code before it optional where the
# number alone is unambiguous (Macau's 6xxxxxxx would be Hong Kong's).
_GAP = r"[ -]?"
_REGIONS = (
    # code, as stored, the code as typed, the number as typed
    ("", r"1[3-9]\d{9}", rf"(?:\+?86{_GAP})?", rf"1[3-9]\d(?:{_GAP}\d{{4}}){{2}}"),
    # without its code, a Hong Kong number is grouped by a space only: "5000-6000" is a budget
    ("+852", r"[569]\d{7}", rf"\+?852{_GAP}(?=[569])|(?=[569]\d{{3}} ?\d{{4}}(?![\d-]))", rf"[569]\d{{3}}{_GAP}\d{{4}}"),
    ("+853", r"6\d{7}", rf"\+?853{_GAP}", rf"6\d{{3}}{_GAP}\d{{4}}"),
    ("+886", r"9\d{8}", rf"\+?886{_GAP}0?|0", rf"9\d{{2}}{_GAP}\d{{3}}{_GAP}\d{{3}}"),
)
#: A mobile number as stored, of any region accepted (match it whole: :func:`is_mobile`).
MOBILE = re.compile("|".join(rf"{re.escape(code)} {stored}" if code else stored for code, stored, _, _ in _REGIONS))
# Macau and Taiwan first: their codes are not taken for the start of another number.
_TYPED_ORDER = ("+853", "+886", "", "+852")
_GROUPS = {code: f"r{index}" for index, (code, _, _, _) in enumerate(_REGIONS)}
#: A mobile number of any region as travellers type it: 13800138001, 138 0013 8001,
#: +852 9123 4567, 9123 4567, +853 6612 3456, +886 912 345 678, 0912-345-678.
MOBILE_IN_TEXT = re.compile(r"(?<![\d+])(?:" + "|".join(
    rf"(?:{typed_code})(?P<{_GROUPS[code]}>{typed})"
    for order in _TYPED_ORDER for code, _, typed_code, typed in _REGIONS if code == order) + r")(?!\d)")


def new_reference() -> str:
    """A fresh booking reference, ``TD`` + 8 unambiguous characters (40 bits of entropy)."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return REFERENCE_PREFIX + body


#: What a traveller quotes as an order number ("TD2611260457", from an SMS, another
#: channel or memory) whether or not it is one we issue: "TD" and 6 to 14 letters/digits.
REFERENCE_LIKE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])TD[0-9A-Za-z]{6,14}(?![A-Za-z0-9])", re.IGNORECASE)


def unissued_references_in(text: str) -> list[str]:
    """Order numbers quoted in a message in a shape we never issue: no booking can have
    them, so saying they were not found tells a prober nothing."""
    return [match.group(0).upper() for match in REFERENCE_LIKE_IN_TEXT.finditer(text)
            if not REFERENCE_IN_TEXT.fullmatch(match.group(0))]


def is_reference(text: str) -> bool:
    """Whether ``text`` is exactly a booking reference (upper case, as stored)."""
    return text.isupper() and REFERENCE_IN_TEXT.fullmatch(text) is not None


def references_in(text: str) -> list[str]:
    """Every booking reference in a message, upper-cased as stored."""
    return [match.group(0).upper() for match in REFERENCE_IN_TEXT.finditer(text)]


def is_mobile(value: str) -> bool:
    """Whether ``value`` is exactly a mobile number in its stored form (nothing around it)."""
    return MOBILE.fullmatch(value) is not None


def normalised_mobile(typed: str) -> Optional[str]:
    """The stored form of the one mobile number ``typed`` holds (a whole number, typed in
    any way :data:`MOBILE_IN_TEXT` reads), or None: "+852 9123 4567" → "+852 91234567",
    "0912-345-678" → "+886 912345678", "138 0013 8001" → "13800138001"."""
    match = MOBILE_IN_TEXT.fullmatch(typed.strip())
    return stored_mobile(match) if match else None


def stored_mobile(match: "re.Match[str]") -> str:
    """The stored form of a number :data:`MOBILE_IN_TEXT` found."""
    code = next(code for code, group in _GROUPS.items() if match.group(group))
    digits = re.sub(r"\D", "", match.group(_GROUPS[code]))
    return f"{code} {digits}" if code else digits


def mobiles_in(text: str) -> List[str]:
    """Every mobile number in a message, in its stored form."""
    return [stored_mobile(match) for match in MOBILE_IN_TEXT.finditer(text)]
