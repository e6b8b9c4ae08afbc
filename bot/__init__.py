"""TripDesk: a Chinese-first customer-service bot for travel businesses.

Every process of ours imports this package before it writes anything (the Rasa server
through our connectors, NLU components and NLG; the action server through the actions;
the CLI and workers directly), so the privacy settings are applied here, once: masked
logs and private files (see :mod:`bot.privacy`).
"""
from bot.privacy import protect_process

protect_process()
