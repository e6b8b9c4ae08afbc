"""Scripted traveller dialogues replayed against the live bot (``make eval-dialogues``).

The format and what each expectation means: tests/dialogues/README.md. ``scripts`` loads
and validates the files, ``replies`` reads what the bot said (its prompts and kinds of
reply, from domain.yml), ``facts`` finds catalogue items and facts in a reply, ``checks``
judges one turn, ``runner`` replays dialogues over REST and reports.
"""
