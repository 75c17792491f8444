"""The Telegram front end (python-telegram-bot v22) on the answering engine."""
