"""Rasa input channels (REST for now; WeChat, Telegram and the web widget to come)."""
