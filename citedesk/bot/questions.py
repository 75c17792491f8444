"""Questions and follow-ups: each chat's conversation, answered with cited quotes."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from citedesk.answering.models import Answer, Turn
from citedesk.bot import render
from citedesk.bot.access import addressed_to_bot, is_admin
from citedesk.bot.admin import ingest_url
from citedesk.bot.buttons import citation_buttons
from citedesk.bot.context import Context
from citedesk.bot.conversation import Conversation
from citedesk.bot.sending import keep_typing, reply_html, send_html_replies
from citedesk.bot.texts import ASK_HINT
from citedesk.errors import BadInputError

HISTORY_TURNS = 6
KEPT_ANSWERS = 20
_URL = re.compile(r"^\s*(https?://\S+)\s*$")


# --- conversation state (chat_data is persisted) -----------------------------------------
def history(context: Context, idle_minutes: int) -> list[Turn]:
    """Return this chat's recent turns, forgetting them after the idle time."""
    data = context.chat_data
    assert data is not None
    if time.time() - float(data.get("last_active", 0)) > idle_minutes * 60:
        forget(context)
    return [Turn.model_validate(turn) for turn in Conversation.of(data).history]


def remember(context: Context, answer: Answer) -> int:
    """Keep the turn for follow-ups and the citations for buttons; return the answer's key."""
    data = context.chat_data
    assert data is not None
    conversation = Conversation.of(data)
    turns = [*conversation.history, Turn.from_answer(answer).model_dump()]
    conversation.history = turns[-HISTORY_TURNS:]
    data["last_active"] = time.time()
    key = int(data.get("next_answer", 0))
    data["next_answer"] = key + 1
    answers = {**conversation.answers, key: [c.model_dump() for c in answer.citations]}
    conversation.answers = {k: answers[k] for k in sorted(answers)[-KEPT_ANSWERS:]}
    conversation.save(data)
    return key


def trim_idle_chats(chat_data: Mapping[int, dict[Any, Any]], idle_minutes: int) -> list[int]:
    """Empty the conversations idle longer than `idle_minutes`; return their chat ids.

    Their history would be forgotten at their next question anyway, and PTB keeps every chat
    it has seen in memory: a bot with many users would grow without end. The answer counter
    stays, so a button on an old message never finds a newer answer under its key.
    """
    cutoff = time.time() - idle_minutes * 60
    trimmed = []
    for chat_id, data in chat_data.items():
        if set(data) - {"next_answer"} and float(data.get("last_active", 0)) < cutoff:
            kept = data.get("next_answer", 0)
            data.clear()
            data["next_answer"] = kept
            trimmed.append(chat_id)
    return trimmed


async def forget_idle_chats(context: Context) -> None:
    """Empty conversations idle past the idle time, in memory and in the saved chats."""
    application = context.application
    idle_minutes = context.bot_data.settings.telegram.conversation_idle_minutes
    trimmed = trim_idle_chats(application.chat_data, idle_minutes)
    if trimmed:
        application.mark_data_for_update_persistence(chat_ids=trimmed)


def forget(context: Context) -> None:
    """Start the conversation afresh: no turn to follow up on (its answers' buttons still work)."""
    data = context.chat_data
    if data is not None and (conversation := Conversation.of(data)).history:
        conversation.history = []
        conversation.save(data)


# --- answering -------------------------------------------------------------------------------
async def answer_question(update: Update, context: Context, question: str) -> None:
    """Answer a question in this chat's conversation, quoting the articles."""
    bot_data = context.bot_data
    message = update.effective_message
    assert message is not None
    if not question.strip():
        await reply_html(message, ASK_HINT)
        return
    async with bot_data.chat_lock(message.chat_id):
        typing = asyncio.create_task(keep_typing(message))
        try:
            turns = history(context, bot_data.settings.telegram.conversation_idle_minutes)
            try:
                answer = await bot_data.answer(bot_data.desk.ask, question, turns)
            except BadInputError as exc:
                await reply_html(message, render.shortened(f"Sorry: {exc}.", render.MAX_QUOTE))
                return
        finally:
            typing.cancel()
        key = remember(context, answer)
        bot_data.questions_answered += 1
        messages = render.split_messages(render.answer_paragraphs(answer))
        await send_html_replies(message, messages, citation_buttons(key, answer))


async def on_text(update: Update, context: Context) -> None:
    """Answer a text message: every one in private, in groups only when addressed."""
    message = update.effective_message
    if message is None or message.text is None or not addressed_to_bot(message, context):
        return
    text = message.text
    if message.chat.type != ChatType.PRIVATE:
        text = re.sub(rf"@{re.escape(context.bot.username)}\b", "", text, flags=re.IGNORECASE)
    url = _URL.match(text)
    if (
        message.chat.type == ChatType.PRIVATE
        and url
        and is_admin(update, context.bot_data.settings)
    ):
        await ingest_url(message, context.bot_data, url.group(1))
        return
    await answer_question(update, context, text)


async def ask_command(update: Update, context: Context) -> None:
    """Answer /ask QUESTION (how to ask in groups)."""
    await answer_question(update, context, " ".join(context.args or []))
