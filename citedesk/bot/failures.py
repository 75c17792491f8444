"""The error handler: log, count, apologise; the bot keeps running."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TimedOut

from citedesk.bot.context import Context
from citedesk.bot.texts import APOLOGY

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log the error and apologise to the user; the bot keeps running."""
    log.error("error while handling an update", exc_info=context.error)
    context.bot_data.errors += 1
    if isinstance(context.error, TimedOut):
        # Telegram got the request and may well have delivered it: an apology under a
        # delivered answer would be wrong, and the log already has the timeout.
        return
    if isinstance(update, Update):
        if update.callback_query:
            with contextlib.suppress(Exception):
                await update.callback_query.answer(APOLOGY)
        elif update.effective_message:
            with contextlib.suppress(Exception):
                await update.effective_message.reply_text(APOLOGY, do_quote=True)
