"""``python -m bot.dialogue_eval``: see bot/dialogue_eval/runner.py."""
import sys

from bot.dialogue_eval.runner import main

sys.exit(main())
