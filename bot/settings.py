"""Settings read once from the environment, with embedded defaults that need no service."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    knowledge_base_dir: Path
    business_timezone: ZoneInfo
    faq_confidence_threshold: float
    faq_search_min_score: float
    search_results_shown: int
    action_server_url: str
    db_timeout_seconds: float
    db_settle_seconds: float
    form_bad_answers_before_help: int
    # the least time between arriving at a hub and the onward departure that a one-change
    # connection offered for a route without a direct service may leave
    min_change_minutes: int
    # the folder of catalogue import files the seed loads (knowledge_base/catalogue/README.md);
    # when it does not exist the seed loads the curated YAML catalogue instead
    catalogue_dir: Path


def load_settings() -> Settings:
    return Settings(
        knowledge_base_dir=Path(
            os.environ.get("TRIPDESK_KB_DIR", PROJECT_ROOT / "knowledge_base")
        ),
        business_timezone=ZoneInfo(os.environ.get("TRIPDESK_TIMEZONE", "Asia/Shanghai")),
        faq_confidence_threshold=float(os.environ.get("TRIPDESK_FAQ_THRESHOLD", "0.55")),
        faq_search_min_score=float(os.environ.get("TRIPDESK_FAQ_SEARCH_MIN_SCORE", "2.0")),
        search_results_shown=int(os.environ.get("TRIPDESK_RESULTS_SHOWN", "3")),
        action_server_url=os.environ.get(
            "TRIPDESK_ACTION_SERVER_URL", "http://localhost:5055/webhook"
        ),
        db_timeout_seconds=float(os.environ.get("TRIPDESK_DB_TIMEOUT", "5")),
        # how much longer a booking write that outlived the timeout is awaited before
        # its outcome is looked up by its idempotency key
        db_settle_seconds=float(os.environ.get("TRIPDESK_DB_SETTLE", "5")),
        # wrong answers in a row to one form question before the bot explains it with an
        # example and offers a person
        form_bad_answers_before_help=int(os.environ.get("TRIPDESK_FORM_HELP_AFTER", "2")),
        min_change_minutes=int(os.environ.get("TRIPDESK_MIN_CHANGE_MINUTES", "60")),
        catalogue_dir=Path(os.environ.get(
            "TRIPDESK_CATALOGUE_DIR", PROJECT_ROOT / "knowledge_base" / "catalogue" / "demo")),
    )


settings = load_settings()
