"""Numbers as travellers write them: 3, 三, 两, 十二, ３ (defined once for NLU and forms)."""
from __future__ import annotations

from typing import Optional

import cn2an


def parse_number(text: str) -> Optional[int]:
    """The integer ``text`` spells in digits or Chinese numerals, or None."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError):
        return None
