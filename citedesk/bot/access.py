"""Who may use the bot, where, and who may change what it knows: checked once per update."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import ApplicationHandlerStop

from citedesk.bot.context import Context
from citedesk.bot.sending import reply_html
from citedesk.bot.texts import REFUSAL
from citedesk.settings import Settings


def is_admin(update: Update, settings: Settings) -> bool:
    user = update.effective_user
    return bool(user and user.id in settings.telegram.admin_user_ids)


def is_allowed(update: Update, settings: Settings) -> bool:
    """Admins always; others when the user and chat allow-lists (if set) include them."""
    if is_admin(update, settings):
        return True
    user, chat = update.effective_user, update.effective_chat
    if settings.telegram.allowed_user_ids and not (
        user and user.id in settings.telegram.allowed_user_ids
    ):
        return False
    return not (
        settings.telegram.allowed_chat_ids
        and not (chat and chat.id in settings.telegram.allowed_chat_ids)
    )


def mentions_bot(message: Message, username: str) -> bool:
    mentions = message.parse_entities([MessageEntityType.MENTION])
    return any(text.lower() == f"@{username.lower()}" for text in mentions.values())


def addressed_to_bot(message: Message, context: Context) -> bool:
    """Every private message is; in groups, commands, @mentions and replies to the bot are."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    return bool(
        message.parse_entities([MessageEntityType.BOT_COMMAND])
        or mentions_bot(message, context.bot.username)
        or (replied and replied.from_user and replied.from_user.id == context.bot.id)
    )


async def admit(update: Update, context: Context) -> None:
    """Stop every update from strangers before any handler sees it; tell them why if they asked."""
    if is_allowed(update, context.bot_data.settings):
        return
    if update.callback_query:
        await update.callback_query.answer(REFUSAL, show_alert=True)
    elif (message := update.effective_message) and addressed_to_bot(message, context):
        await reply_html(message, REFUSAL)
    raise ApplicationHandlerStop
