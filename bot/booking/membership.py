"""Membership levels and points, with their parameters in knowledge_base/membership.yml."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import yaml

from bot.settings import settings


class MembershipError(ValueError):
    """The membership file is wrong; the message names the field to fix."""


@dataclass(frozen=True)
class Level:
    name: str
    min_points: int
    benefits: Tuple[str, ...]


@dataclass(frozen=True)
class MembershipRules:
    points_per_yuan: int
    levels: Tuple[Level, ...]  # ascending by min_points

    def points_for(self, amount_fen: int) -> int:
        """Whole points for a trip's amount; fen below a yuan earn nothing."""
        return amount_fen // 100 * self.points_per_yuan

    def level_for(self, points: int) -> Level:
        return [level for level in self.levels if points >= level.min_points][-1]

    def next_level(self, level: Level) -> Optional[Level]:
        higher = [other for other in self.levels if other.min_points > level.min_points]
        return higher[0] if higher else None


def parse_membership(data: Dict[str, Any]) -> MembershipRules:
    try:
        levels = tuple(sorted(
            (Level(str(item["name"]), int(item["min_points"]), tuple(item.get("benefits") or ()))
             for item in data["levels"]), key=lambda level: level.min_points))
        rules = MembershipRules(int(data["points_per_yuan"]), levels)
    except (KeyError, TypeError, ValueError) as error:
        raise MembershipError(f"knowledge_base/membership.yml: missing or bad field {error}") from error
    if not levels or levels[0].min_points != 0:
        raise MembershipError("knowledge_base/membership.yml: the first level must start at 0 points")
    return rules


def load_membership(path: Optional[Path] = None) -> MembershipRules:
    path = path or settings.knowledge_base_dir / "membership.yml"
    return parse_membership(yaml.safe_load(path.read_text(encoding="utf-8")))
