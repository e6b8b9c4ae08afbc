"""The response copy in ``domain.yml``, read from the file.

Rasa renders the responses of the domain the model was trained with. A response added to
``domain.yml`` after that (new copy for an action, with no training data behind it) is
missing from the model's domain until the next training, and the reply would silently
lose it. The NLG (bot/nlg.py) and the actions' ``template`` (actions/common.py) take a
response the model's domain lacks from the file instead, so code and copy that ship
together always work; a response the model has is used as the model has it.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List

import yaml

from bot.settings import PROJECT_ROOT

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"


@lru_cache(maxsize=None)
def file_responses() -> Dict[str, List[Dict[str, Any]]]:
    """Every response of ``domain.yml`` (name → variations), read once."""
    data = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {}
    return dict(data.get("responses") or {})


def with_file_responses(responses: Dict[str, List[Dict[str, Any]]]) -> Dict[str, List[Dict[str, Any]]]:
    """``responses`` plus the file's responses they lack."""
    return {**file_responses(), **responses}
