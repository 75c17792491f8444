"""Build and run the Telegram application."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from citedesk.bot import access, admin, buttons, commands, failures, questions
from citedesk.bot.context import CONTEXT_TYPES, BotApplication
from citedesk.bot.persistence import SqliteChatPersistence
from citedesk.desk import Desk
from citedesk.errors import ConfigError
from citedesk.settings import Settings

log = logging.getLogger(__name__)

FIRST_FEED_POLL_SECONDS = 2.0
_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
COMMANDS = [
    BotCommand("start", "What I know, with example questions"),
    BotCommand("help", "How to ask"),
    BotCommand("ask", "Ask a question (in groups)"),
    BotCommand("sources", "The articles I know"),
    BotCommand("reset", "Forget our conversation"),
    BotCommand("ingest", "Add an article by URL (admins)"),
    BotCommand("remove", "Remove an article by id or source (admins)"),
    BotCommand("feeds", "Feeds and the last poll (admins)"),
    BotCommand("stats", "Store and usage figures (admins)"),
]


class RedactToken(logging.Filter):
    """Remove the bot token from every log line (URLs of the Bot API contain it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg = message.replace(self._token, "<token>")
            record.args = ()
        return True


def check_token(token: str) -> str:
    token = token.strip()
    if not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather (see README)"
        )
    if not _TOKEN.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and ~35 letters from @BotFather"
        )
    return token


def protect_logs(token: str) -> None:
    """Keep the token out of logs: httpx logs request URLs, which hold it."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redactor = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    for name in ("telegram", "httpx", "httpcore", "citedesk", "apscheduler"):
        logging.getLogger(name).addFilter(redactor)


def file_base_url(settings: Settings) -> str:
    if settings.telegram.file_base_url:
        return settings.telegram.file_base_url
    base = settings.telegram.api_base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


async def _on_startup(application: BotApplication) -> None:
    """Register the command menu and say that the bot is up (the token is never logged)."""
    await application.bot.set_my_commands(COMMANDS)
    log.info(
        "citedesk bot @%s is running (store: %s); Ctrl-C stops it",
        application.bot.username,
        application.bot_data.desk.store_kind,
    )


async def _on_shutdown(application: BotApplication) -> None:
    """Let the worker threads go (a running ingest finishes its current article on its own)."""
    application.bot_data.shutdown()


def build_application(settings: Settings, desk: Desk) -> BotApplication:
    """Wire the handlers, rate limiter and persistence around a Desk."""
    token = check_token(settings.telegram.bot_token)
    protect_logs(token)
    settings.store.data_dir.mkdir(parents=True, exist_ok=True)
    persistence = SqliteChatPersistence(
        settings.store.data_dir / "bot-conversations.sqlite3",
        update_interval=5,
        legacy_pickle=settings.store.data_dir / "bot-conversations.pickle",
    )
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram.api_base_url)
        .base_file_url(file_base_url(settings))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .persistence(persistence)
        .concurrent_updates(64)
        .context_types(CONTEXT_TYPES)
        .post_init(_on_startup)
        .post_shutdown(_on_shutdown)
        .build()
    )
    application.bot_data.bind(settings, desk)
    # Access is checked once, before any handler: strangers' updates stop here.
    application.add_handler(TypeHandler(Update, access.admit), group=-1)
    for name, callback in [
        ("start", commands.start),
        ("help", commands.help_command),
        ("reset", commands.reset),
        ("sources", commands.sources),
        ("ask", questions.ask_command),
        ("stats", admin.stats),
        ("ingest", admin.ingest_command),
        ("remove", admin.remove_command),
        ("feeds", admin.feeds_command),
    ]:
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(CallbackQueryHandler(buttons.on_button))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, questions.on_text))
    application.add_handler(MessageHandler(filters.Document.ALL, admin.on_document))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.COMMAND, commands.on_other
        )
    )
    application.add_error_handler(failures.on_error)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            questions.forget_idle_chats,
            interval=settings.telegram.conversation_idle_minutes * 60,
            name="forget-idle-chats",
        )
    if settings.fetching.feed_urls and application.job_queue is not None:
        application.job_queue.run_repeating(
            admin.poll_feeds,
            interval=settings.fetching.feed_poll_minutes * 60,
            first=FIRST_FEED_POLL_SECONDS,
            name="poll-feeds",
        )
    return application


def run_bot(settings: Settings, desk: Desk) -> None:
    """Run the bot until interrupted: long polling, or a webhook when WEBHOOK_URL is set.

    A Telegram error that stops the bot (a rejected token, an unreachable Bot API) becomes one
    ConfigError line with the token redacted: PTB's own messages quote the token.
    """
    token = check_token(settings.telegram.bot_token)
    application = build_application(settings, desk)
    try:
        if settings.telegram.webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except TelegramError as exc:
        raise ConfigError(startup_error(exc, token)) from None


def startup_error(error: TelegramError, token: str) -> str:
    """Say in one line, without the token, why the bot could not start."""
    if isinstance(error, InvalidToken):
        return "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): check it with @BotFather"
    text = " ".join(str(error).replace(token, "<token>").split())
    return f"the bot could not start: {type(error).__name__}: {text}"


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Arguments for run_webhook()/start_webhook(): where to listen, the URL, the secret token."""
    url = urlparse(settings.telegram.webhook_url)
    if url.scheme != "https" and url.hostname not in {"127.0.0.1", "localhost"}:
        raise ConfigError("WEBHOOK_URL must be https:// (Telegram only calls HTTPS webhooks)")
    # Telegram sends the secret in X-Telegram-Bot-Api-Secret-Token; PTB rejects calls without it.
    secret = settings.telegram.webhook_secret or secrets.token_urlsafe(32).replace("=", "")
    return {
        "listen": settings.telegram.webhook_listen,
        "port": settings.telegram.webhook_port,
        "url_path": url.path.lstrip("/"),
        "webhook_url": settings.telegram.webhook_url,
        "secret_token": secret,
        "allowed_updates": Update.ALL_TYPES,
    }
