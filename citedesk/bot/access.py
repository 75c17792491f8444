"""Who may use the bot, where, and who may change what it knows."""

from __future__ import annotations

from telegram import Update

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
