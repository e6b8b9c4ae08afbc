"""`rasa data validate`, strict: `python -m bot.validate`.

Runs Rasa's own project validation and fails on every warning, with one reasoned
exception: Rasa only counts a response as used when a story or rule utters it, but
many of ours are uttered by custom actions (`response="utter_..."`). Those count as
used when an action module names them; a response nobody uses still fails.
"""
from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path
from typing import List, Set

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bot.settings import PROJECT_ROOT  # noqa: E402

UNUSED = re.compile(r"The utterance '([^']+)' is not used in any story or rule")
# Uttered by Rasa's own default actions (action_default_fallback).
USED_BY_DEFAULT_ACTIONS = {"utter_default"}
# Rasa filters this one itself (rasa.utils.common.EXPECTED_WARNINGS): it is raised
# for every domain since 3.0 and says nothing about this project.
IGNORED = ("Slot auto-fill has been removed in 3.0",)
# Rasa's importer merges a domain it builds for retrieval intents into ours and warns
# that `faq` is then listed twice; leaving it out of domain.yml instead makes the
# story reader reject the rules that use it. Exactly this message is expected.
EXPECTED = ("The following duplicated intents have been found across multiple domain files: faq",)


def responses_named_by_actions() -> Set[str]:
    """Responses that actions, channels speaking for themselves or background jobs utter by name."""
    names: Set[str] = set()
    for path in [*(PROJECT_ROOT / "actions").glob("*.py"), *(PROJECT_ROOT / "connectors").rglob("*.py"),
                 *(PROJECT_ROOT / "bot").rglob("*.py")]:  # e.g. the hold sweeper's notice
        names.update(re.findall(r"[\"'](utter_[a-z0-9_/]+)[\"']", path.read_text(encoding="utf-8")))
    return names


def responses_asked_by_forms() -> Set[str]:
    """A form asks for each required slot with ``utter_ask_<slot>``, and explains a slot
    answered wrongly again and again with ``utter_help_<slot>`` (actions/forms.py);
    stories never name either."""
    import yaml

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {f"utter_{kind}_{slot}" for form in (domain.get("forms") or {}).values()
            for slot in form.get("required_slots") or () for kind in ("ask", "help")}


def validation_warnings() -> List[str]:
    from rasa.cli.utils import validate_files
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"),
        str(PROJECT_ROOT / "domain.yml"),
        [str(PROJECT_ROOT / "data")],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_files(fail_on_warnings=False, max_history=None, importer=importer)
    used_by_actions = responses_named_by_actions() | responses_asked_by_forms() | USED_BY_DEFAULT_ACTIONS
    problems = []
    for warning in caught:
        if issubclass(warning.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        message = str(warning.message)
        if "rasa" not in str(warning.filename):
            continue
        if message.startswith(IGNORED) or message.strip() in EXPECTED:
            continue
        unused = UNUSED.search(message)
        if unused and unused.group(1) in used_by_actions:
            continue
        problems.append(message.splitlines()[0])
    return problems


def main() -> int:
    problems = validation_warnings()
    for problem in problems:
        print(f"validation: {problem}")
    print("rasa data validate: clean" if not problems else f"{len(problems)} problem(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    os.chdir(Path(PROJECT_ROOT))
    sys.exit(main())
