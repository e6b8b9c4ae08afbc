"""Payment settings operators edit in knowledge_base/payments.yml."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict

import yaml

from bot.settings import settings

METHODS = ("online", "pay_at_property")


class PaymentSettingsError(ValueError):
    """payments.yml is wrong; the message names the field to fix."""


@dataclass(frozen=True)
class PaymentSettings:
    payment_link: str
    hotel_payment: str
    default_method: str
    refund_arrival: Dict[str, str]

    def link_for(self, reference: str) -> str:
        return self.payment_link.format(reference=reference)

    def arrival_for(self, method: str) -> str:
        return self.refund_arrival.get(method) or self.refund_arrival[self.default_method]


@lru_cache(maxsize=1)
def payment_settings() -> PaymentSettings:
    path = settings.knowledge_base_dir / "payments.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        result = PaymentSettings(str(data["payment_link"]), str(data["hotel_payment"]),
                                 str(data["default_method"]), dict(data["refund_arrival"]))
    except KeyError as error:
        raise PaymentSettingsError(f"{path}: missing field {error}") from error
    if result.hotel_payment not in METHODS:
        raise PaymentSettingsError(f"{path}: hotel_payment must be one of {METHODS}")
    if "{reference}" not in result.payment_link:
        raise PaymentSettingsError(f"{path}: payment_link must contain {{reference}}")
    if result.default_method not in result.refund_arrival:
        raise PaymentSettingsError(f"{path}: refund_arrival has no entry for {result.default_method}")
    return result
