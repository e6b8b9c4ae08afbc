"""Personal data as logs, audit records and files may show it, and the process settings
that keep it there.

The formats of a traveller's personal data are defined here once: mobile
numbers (the NLU extractor finds ``phone`` entities with :data:`PHONE`), resident ID
card numbers, passport and travel-permit numbers, payment card numbers and WeChat
openids. :func:`mask_text` hides all of them wherever they stand in a text, and also
the value written after a label that names personal data (``verify_last4: 8001``,
``guest_names=['张伟']``, ``conversation ID 'oAbc…'``): a verification answer, a name
or a Telegram chat id cannot be told from other words or numbers without its label.

:func:`protect_process` is called once per process by ``bot/__init__.py`` (the Rasa
server, the action server, the CLI and any worker import ``bot`` before they write
anything): every log record is masked by :class:`PersonalDataFilter`, whatever
handlers Rasa, Sanic or coloredlogs set up later, and files and directories the process
creates are private to its user (umask 077: 0600 files, 0700 directories), which covers
the SQLite databases under ``var/`` with their ``-wal``/``-shm`` companions, tokens,
logs and the undelivered-message file.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional

from bot.identifiers import MOBILE_IN_TEXT, stored_mobile

# --- the formats ---------------------------------------------------------------------

#: A mobile number (mainland, Hong Kong, Macau, Taiwan) as travellers type it
#: (bot.identifiers defines the formats).
PHONE = MOBILE_IN_TEXT
#: A resident identity card number: region, date of birth, sequence, check character.
ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[0-9Xx](?![0-9A-Za-z])")
#: A passport (E, G; D, S, P official) or a Hong Kong / Macau travel permit (C, H, M) number.
PASSPORT = re.compile(r"(?<![0-9A-Za-z])(?:[EGDSPCHM]\d{8}|[EC][A-HJ-NP-Z]\d{7})(?![0-9A-Za-z])")
#: 13 to 19 digits, in groups or not: a payment card number when the Luhn check passes.
CARD_CANDIDATE = re.compile(r"(?<![\d*])\d(?:[ -]?\d){12,18}(?!\d)")
#: A WeChat openid: 28 URL-safe characters, starting with "o".
OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")

# Labels whose value is personal data; the value is masked wherever the label stands
# (Rasa's "SlotSet(key: verify_last4, value: 8001)", our "sender %s", JSON keys).
SECRET_LABELS = ("verify_last4", "last4", "contact_phone", "phone", "mobile")
NAME_LABELS = ("guest_names", "guests", "traveller_names", "travellers", "names",
               "display_name", "contact_name")
IDENTIFIER_LABELS = ("sender_id", "sender id", "sender", "recipient_id", "recipient", "openid",
                     "chat_id", "chat", "user_id", "external_id", "conversation_id",
                     "conversation ID", "conversation", "FromUserName", "touser")
# A label starts a word; in JSON-rendered logs (structlog) it may follow an escaped "\n" or "\t".
_LABEL = (r"(?P<label>(?:(?<![A-Za-z_])|(?<=\\[nrt]))(?:"
          + "|".join(re.escape(label) for label in (*SECRET_LABELS, *NAME_LABELS, *IDENTIFIER_LABELS))
          + r")(?![A-Za-z_]))")
_QUOTED = r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\((?!\))[^)]*\)"
_BARE = r"[^\s,;)\]}'\"]+"
# "label: value", "label=value", "key: label, value: value", or "label 'value'" / "label 123"
# (a bare word after a space only when it holds a digit: "chat log" is no chat id).
_LABELLED = re.compile(
    _LABEL + r"(?:(?P<separator>['\"]?\s*(?:[:=]|,\s*value:)\s*)(?P<value>" + _QUOTED + "|" + _BARE + ")"
    r"|(?P<space>\s+)(?P<spaced>" + _QUOTED + r"|[^\s,;)\]}'\"]*\d[^\s,;)\]}'\"]*))")

MASK = "***"
ELLIPSIS = "…"


# --- masking one value -----------------------------------------------------------------

def mask_phone(number: str) -> str:
    """The network prefix of a mainland number, the region code of another, nothing
    more: the last four digits are the verification answer."""
    typed = PHONE.fullmatch(number.strip())
    stored = stored_mobile(typed) if typed else re.sub(r"\D", "", number)
    code, _, local = stored.rpartition(" ")
    if code:
        return f"{code} " + "*" * len(local)
    return stored[:3] + "*" * (len(stored) - 3)


def mask_identifier(value: str) -> str:
    """A channel identity (openid, chat id, sender id) as logs show it: enough to tell
    travellers apart in one log, not to address one. A ``channel:`` prefix is kept."""
    if ELLIPSIS in value:  # masked already
        return value
    prefix, colon, rest = value.partition(":")
    if not (colon and prefix.isalpha()):
        prefix, rest = "", value
    shown = f"{rest[:4]}{ELLIPSIS}{rest[-4:]}" if len(rest) > 10 else ELLIPSIS
    return f"{prefix}:{shown}" if prefix else shown


def mask_name(name: str) -> str:
    """A traveller's name with the first character kept (the family name, for Chinese)."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name


def luhn_valid(digits: str) -> bool:
    """The check digit payment card numbers carry."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: "re.Match[str]") -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "*" * (len(digits) - 4) + digits[-4:] if luhn_valid(digits) else match.group(0)


def _mask_labelled(match: "re.Match[str]") -> str:
    label = match.group("label")
    value = match.group("value") or match.group("spaced")
    separator = match.group("separator") if match.group("value") else match.group("space")
    quote = value[0] if value[0] in "'\"[(" else ""
    closing = {"'": "'", '"': '"', "[": "]", "(": ")"}.get(quote, "")
    inner = value[1:-1] if quote else value
    if label in IDENTIFIER_LABELS:
        hidden = inner if inner in ("", "None", "null") else mask_identifier(inner)
    else:
        hidden = inner if inner in ("", "None", "null", MASK) else MASK
    return f"{label}{separator}{quote}{hidden}{closing}"


def mask_text(text: str) -> str:
    """``text`` with every piece of personal data in it masked (see the module docstring)."""
    if not text:
        return text
    text = ID_CARD.sub(lambda m: m.group(0)[:1] + "*" * (len(m.group(0)) - 1), text)
    text = PASSPORT.sub(lambda m: m.group(0)[:1] + "*" * (len(m.group(0)) - 1), text)
    text = CARD_CANDIDATE.sub(_mask_card, text)
    text = PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    text = OPENID.sub(lambda m: mask_identifier(m.group(0)), text)
    return _LABELLED.sub(_mask_labelled, text)


def mask_details(details: Any, key: str = "") -> Any:
    """A JSON-like value (an audit event's details) with personal data masked, by key
    (phones, verification answers, names, identities) and by format in every string."""
    if isinstance(details, Mapping):
        return {k: mask_details(v, str(k)) for k, v in details.items()}
    if isinstance(details, (list, tuple)):
        return [mask_details(v, key) for v in details]
    if not isinstance(details, str):
        return details
    if key in NAME_LABELS:
        return mask_name(details)
    if key in SECRET_LABELS:
        return mask_phone(details) if PHONE.fullmatch(details) else MASK
    if key in IDENTIFIER_LABELS:
        return mask_identifier(details)
    return mask_text(details)


# --- logging ---------------------------------------------------------------------------

_STANDARD_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
        "message", "asctime", "personal_data_masked"}


class PersonalDataFilter(logging.Filter):
    """Masks a log record in place (message with its arguments, traceback, stack, extras);
    never drops one. The message is masked once, however many handlers it reaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "personal_data_masked", False):
            self._mask_message(record)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD_RECORD_ATTRIBUTES:  # ``extra=``: masking is idempotent
                record.__dict__[name] = mask_details(value, name)
        return True

    @staticmethod
    def _mask_message(record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return
        record.msg, record.args = mask_text(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        record.personal_data_masked = True


PERSONAL_DATA_FILTER = PersonalDataFilter()


def _all_handlers() -> Iterable[logging.Handler]:
    loggers = [logging.getLogger(), *(logger for logger in logging.Logger.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    for logger in loggers:
        yield from logger.handlers


def install_log_masking() -> None:
    """Mask every record this process logs, now and after any later logging set-up.

    The filter goes on every handler that exists now; records are also masked as they are
    created, because Rasa (coloredlogs, structlog) and Sanic (dictConfig) add handlers
    after our code is imported. ``extra`` attributes are set after creation, so handlers
    that exist at this point mask those too. Idempotent.
    """
    for handler in _all_handlers():
        if PERSONAL_DATA_FILTER not in handler.filters:
            handler.addFilter(PERSONAL_DATA_FILTER)
    create: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(create, "masks_personal_data", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = create(*args, **kwargs)
        PERSONAL_DATA_FILTER.filter(record)
        return record

    masked_record.masks_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)


# --- files -----------------------------------------------------------------------------

PRIVATE_UMASK = 0o077
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` as a directory only this user can enter (created, or tightened if looser)."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(PRIVATE_DIR_MODE)
    return path


def open_private(path: Path, mode: str = "a") -> Any:
    """Open a text file for writing, created 0600 (tightened if it existed looser); a
    missing directory is created 0700, an existing one is the operator's choice."""
    path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    descriptor = os.open(path, flags, PRIVATE_FILE_MODE)
    if os.fstat(descriptor).st_mode & 0o077:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    return os.fdopen(descriptor, mode, encoding="utf-8")


def protect_process(var_dir: Optional[Path] = None) -> None:
    """Once per process, before anything is written: log masking, private files, and
    ``var/`` (databases, tokens, logs) closed to other users if it already exists."""
    os.umask(PRIVATE_UMASK)
    install_log_masking()
    var_dir = var_dir or Path(__file__).resolve().parents[1] / "var"
    if var_dir.is_dir():
        private_dir(var_dir)


__all__ = [
    "ID_CARD", "OPENID", "PASSPORT", "PHONE", "PersonalDataFilter", "install_log_masking",
    "mask_details", "mask_identifier", "mask_name", "mask_phone", "mask_text", "open_private",
    "private_dir", "protect_process",
]

