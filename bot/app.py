"""Build and run the Telegram application."""

from __future__ import annotations

from citedesk.errors import ConfigError
from citedesk.settings import Settings


def run_bot(settings: Settings) -> None:
    """Run the bot until interrupted."""
    if not settings.telegram_bot_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather first")
    raise ConfigError("the bot is not built yet")
