"""Inline buttons: a citation's wider passage, and pages of the source list."""

from __future__ import annotations

import contextlib
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from citedesk.answering.models import Answer, Citation
from citedesk.bot import render
from citedesk.bot.context import Context
from citedesk.bot.conversation import Conversation
from citedesk.bot.sending import reply_html

_SOURCES_PAGE = re.compile(r"src:(\d+)")
_CITATION = re.compile(r"ctx:(\d+):(\d+)")


def citation_buttons(key: int, answer: Answer) -> InlineKeyboardMarkup | None:
    if not answer.citations:
        return None
    buttons = [
        InlineKeyboardButton(f"[{c.n}] context", callback_data=f"ctx:{key}:{c.n}")
        for c in answer.citations
    ]
    return InlineKeyboardMarkup([buttons[i : i + 4] for i in range(0, len(buttons), 4)])


def sources_markup(page: int, total: int, per_page: int) -> InlineKeyboardMarkup | None:
    pages = (total + per_page - 1) // per_page
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("‹ Previous", callback_data=f"src:{page - 1}"))
    if page + 1 < pages:
        buttons.append(InlineKeyboardButton("Next ›", callback_data=f"src:{page + 1}"))
    return InlineKeyboardMarkup([buttons]) if buttons else None


async def on_button(update: Update, context: Context) -> None:
    """Show a citation's wider passage or another page of sources; always answer the query."""
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    if page := _SOURCES_PAGE.fullmatch(data):
        await query.answer()
        await _show_sources_page(update, context, int(page.group(1)))
        return
    await _show_passage(update, context, _CITATION.fullmatch(data))


async def _show_sources_page(update: Update, context: Context, page: int) -> None:
    query = update.callback_query
    assert query is not None
    bot_data = context.bot_data
    records = await bot_data.answer(bot_data.desk.sources)
    per_page = bot_data.settings.telegram.sources_page_size
    page = max(0, min(page, (len(records) - 1) // per_page))
    with contextlib.suppress(BadRequest):  # "message is not modified" on a double tap
        await query.edit_message_text(
            render.sources_page(records, page, per_page),
            parse_mode=ParseMode.HTML,
            reply_markup=sources_markup(page, len(records), per_page),
        )


async def _show_passage(update: Update, context: Context, match: re.Match[str] | None) -> None:
    query = update.callback_query
    assert query is not None
    answers = Conversation.of(context.chat_data).answers
    citation = None
    if match:
        citation = next(
            (c for c in answers.get(int(match.group(1)), []) if c["n"] == int(match.group(2))), None
        )
    if citation is None:
        await query.answer("That answer is too old; please ask again.", show_alert=True)
        return
    bot_data = context.bot_data
    passage = await bot_data.answer(bot_data.desk.passage, Citation.model_validate(citation))
    if passage is None:
        await query.answer("That article is no longer in the store.", show_alert=True)
        return
    await query.answer()
    assert isinstance(query.message, Message)
    await reply_html(
        query.message,
        render.passage_html(citation["n"], citation["title"], passage, citation["quote"]),
    )
