"""Shared fixtures: the real knowledge base, the real domain, a fixed 'now'."""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["RASA_TELEMETRY_ENABLED"] = "false"
warnings.filterwarnings("ignore", category=DeprecationWarning)

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "tripdesk.tar.gz"


@pytest.fixture(scope="session")
def domain_dict() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail("no trained model at models/tripdesk.tar.gz: run `make test` (it trains first)")
    return MODEL
