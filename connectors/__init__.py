"""Rasa input channels: WeChat (``wechat/``), Telegram (``telegram.py``), the website widget
(``webchat/``) and REST (``rest.py``), with the steps they share in ``base.py``.

Each channel module that can send later registers its outbound sender with
``bot.outbound.register_sender`` when it is imported. A process that never loads the
channels through Rasa's credentials.yml (the hold sweeper, the CLI) gets them from
:func:`import_channels`, which ``bot.outbound`` calls the first time it needs a sender.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import List

from connectors.base import quiet_noisy_libraries

log = logging.getLogger(__name__)

NOT_CHANNELS = frozenset({"base"})  # modules of this package that are not a channel

quiet_noisy_libraries()  # once per process, before any channel builds an HTTP client


def import_channels() -> List[str]:
    """Import every channel module of this package (each registers its sender); the names imported.

    Discovered rather than listed, so a new channel registers itself by existing. A
    channel whose library is not installed is skipped: the others still send.
    """
    imported = []
    for module in pkgutil.iter_modules(__path__):
        if module.name in NOT_CHANNELS or module.name.startswith("_"):
            continue
        name = f"{__name__}.{module.name}"
        try:
            importlib.import_module(name)
        except ImportError as missing:
            log.warning("channel %s not loaded: %s", name, missing)
            continue
        imported.append(name)
    return imported
