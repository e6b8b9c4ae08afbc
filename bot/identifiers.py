"""The shapes of what travellers quote back to us: booking references and mobile numbers.

Each format is defined here once; the store (validation), the NLU extractor (finding
them in text), the actions (reading answers) and the log masking all use these.
"""
from __future__ import annotations

import re
import secrets

# No 0/O/1/I: a reference read out on the phone or typed from a screenshot is unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "TD"
REFERENCE_LENGTH = 8
#: A booking reference inside a message, in either case ("td5nx7rb3c" is still one).
REFERENCE_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9]){REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}(?![A-Za-z0-9])",
    re.IGNORECASE)

#: A mainland mobile number as stored: 11 digits, 13x–19x.
MOBILE = re.compile(r"^1[3-9]\d{9}$")
#: A mainland mobile number as travellers type it: 13800138001, 138 0013 8001, 138-0013-8001.
MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")


def new_reference() -> str:
    """A fresh booking reference, ``TD`` + 8 unambiguous characters (40 bits of entropy)."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return REFERENCE_PREFIX + body


def is_reference(text: str) -> bool:
    """Whether ``text`` is exactly a booking reference (upper case, as stored)."""
    return text.isupper() and REFERENCE_IN_TEXT.fullmatch(text) is not None


def references_in(text: str) -> list[str]:
    """Every booking reference in a message, upper-cased as stored."""
    return [match.group(0).upper() for match in REFERENCE_IN_TEXT.finditer(text)]


def mobile_digits(text: str) -> str:
    """A typed mobile number without its spaces and dashes."""
    return re.sub(r"\D", "", text)
