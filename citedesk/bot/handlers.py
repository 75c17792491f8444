"""Telegram handlers: commands, questions, buttons, admin ingest, and the error handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from citedesk.answering.models import Answer, Citation, Turn
from citedesk.bot import render
from citedesk.bot.access import is_admin, is_allowed
from citedesk.bot.services import BotServices, services
from citedesk.desk import IngestReport
from citedesk.errors import BadInputError
from citedesk.sources import SUPPORTED_SUFFIXES, is_url

log = logging.getLogger(__name__)

HISTORY_TURNS = 6
KEPT_ANSWERS = 20
SEND_ATTEMPTS = 3
TYPING_EVERY_SECONDS = 4.0
REFUSAL = "Sorry, this bot is only open to approved users and chats."
APOLOGY = "Sorry, something went wrong while answering. Please try again."
NON_TEXT_HINT = "I can only read text. Send me a question about the news articles, or /help."
ADMIN_ONLY = "Only the bot's admins can do that."
_URL = re.compile(r"^\s*(https?://\S+)\s*$")


# --- sending ---------------------------------------------------------------------------------
async def send_retrying(send: Callable[[], Awaitable[Message]]) -> Message:
    """Send, retrying network failures a few times (429s are the rate limiter's job)."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await send()
        except (BadRequest, Forbidden, RetryAfter):
            raise
        except NetworkError:
            if attempt == SEND_ATTEMPTS:
                raise
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


async def reply_html(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    return await send_retrying(
        lambda: message.reply_html(
            text, do_quote=True, reply_markup=markup, disable_web_page_preview=True
        )
    )


async def keep_typing(message: Message) -> None:
    """Show 'typing…' until cancelled (Telegram clears it after five seconds)."""
    while True:
        with contextlib.suppress(NetworkError):
            await message.chat.send_action(ChatAction.TYPING)
        await asyncio.sleep(TYPING_EVERY_SECONDS)


# --- conversation state (chat_data is persisted) -----------------------------------------
def history(context: ContextTypes.DEFAULT_TYPE, idle_minutes: int) -> list[Turn]:
    """Return this chat's recent turns, forgetting them after the idle time."""
    data = context.chat_data
    assert data is not None
    if time.time() - float(data.get("last_active", 0)) > idle_minutes * 60:
        data["history"] = []
    return [Turn.model_validate(turn) for turn in data.get("history", [])]


def remember(context: ContextTypes.DEFAULT_TYPE, answer: Answer) -> int:
    """Keep the turn for follow-ups and the citations for buttons; return the answer's key."""
    data = context.chat_data
    assert data is not None
    data["history"] = [*data.get("history", []), Turn.from_answer(answer).model_dump()][
        -HISTORY_TURNS:
    ]
    data["last_active"] = time.time()
    key = int(data.get("next_answer", 0))
    data["next_answer"] = key + 1
    answers = dict(data.get("answers", {}))
    answers[key] = [citation.model_dump() for citation in answer.citations]
    data["answers"] = {k: answers[k] for k in sorted(answers)[-KEPT_ANSWERS:]}
    return key


def citation_buttons(key: int, answer: Answer) -> InlineKeyboardMarkup | None:
    if not answer.citations:
        return None
    buttons = [
        InlineKeyboardButton(f"[{c.n}] context", callback_data=f"ctx:{key}:{c.n}")
        for c in answer.citations
    ]
    return InlineKeyboardMarkup([buttons[i : i + 4] for i in range(0, len(buttons), 4)])


# --- guards ----------------------------------------------------------------------------------
async def admitted(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, admin: bool = False
) -> tuple[Message, BotServices] | None:
    """Return the message and services if its sender may do this; otherwise say why not."""
    message = update.effective_message
    if message is None:
        return None
    svc = services(context)
    if admin and not is_admin(update, svc.settings):
        await reply_html(message, ADMIN_ONLY)
        return None
    if not is_allowed(update, svc.settings):
        await reply_html(message, REFUSAL)
        return None
    return message, svc


# --- questions -------------------------------------------------------------------------------
async def answer_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
) -> None:
    """Answer a question in this chat's conversation, quoting the articles."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    if not question.strip():
        await reply_html(
            message,
            "Ask me a question about the news articles, e.g. <code>/ask Who is the Kremlin spokesman?</code>",
        )
        return
    async with svc.chat_lock(message.chat_id):
        typing = asyncio.create_task(keep_typing(message))
        try:
            turns = history(context, svc.settings.telegram.conversation_idle_minutes)
            try:
                answer = await svc.run(svc.desk.ask, question, turns)
            except BadInputError as exc:
                await reply_html(message, render.escape(f"Sorry: {exc}."))
                return
        finally:
            typing.cancel()
        key = remember(context, answer)
        svc.questions_answered += 1
        messages = render.split_messages(render.answer_paragraphs(answer))
        for index, text in enumerate(messages):
            last = index == len(messages) - 1
            await reply_html(message, text, citation_buttons(key, answer) if last else None)


def _mentions_bot(message: Message, username: str) -> bool:
    mentions = message.parse_entities([MessageEntityType.MENTION])
    return any(text.lower() == f"@{username.lower()}" for text in mentions.values())


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message: every one in private, in groups only when addressed."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    svc = services(context)
    text = message.text
    if message.chat.type != ChatType.PRIVATE:
        username = context.bot.username
        replied_to_bot = bool(
            message.reply_to_message
            and message.reply_to_message.from_user
            and message.reply_to_message.from_user.id == context.bot.id
        )
        if not (_mentions_bot(message, username) or replied_to_bot):
            return
        text = re.sub(rf"@{re.escape(username)}\b", "", text, flags=re.IGNORECASE)
    if not is_allowed(update, svc.settings):
        await reply_html(message, REFUSAL)
        return
    if (
        message.chat.type == ChatType.PRIVATE
        and _URL.match(text)
        and is_admin(update, svc.settings)
    ):
        await _ingest_url(message, svc, _URL.match(text).group(1))  # type: ignore[union-attr]
        return
    await answer_question(update, context, text)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /ask QUESTION (how to ask in groups)."""
    if await admitted(update, context):
        await answer_question(update, context, " ".join(context.args or []))


# --- commands --------------------------------------------------------------------------------
_NAME_PAIR = re.compile(r"\b([A-Z][a-z]{2,}) ([A-Z][a-z]{2,})\b")
# Words that make a capitalised pair a title, office or place rather than a person.
_NOT_NAMES = frozenset(
    [
        "president",
        "minister",
        "secretary",
        "state",
        "states",
        "foreign",
        "general",
        "chancellor",
        "department",
        "house",
        "united",
        "kingdom",
        "union",
        "european",
        "council",
        "news",
        "post",
        "new",
        "west",
        "east",
        "north",
        "south",
        "prime",
        "deputy",
        "ambassador",
        "spokesman",
        "spokeswoman",
        "senator",
        "governor",
        "mayor",
        "chief",
        "army",
        "navy",
        "force",
        "ministry",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)


def example_questions(records: list[Any]) -> list[str]:
    """Example questions about the people the articles name most, e.g. "Who is Dmitry Peskov?"."""
    counts: dict[str, int] = {}
    for record in records:
        for first, last in _NAME_PAIR.findall(record.text):
            if first.lower() not in _NOT_NAMES and last.lower() not in _NOT_NAMES:
                counts[f"{first} {last}"] = counts.get(f"{first} {last}", 0) + 1
    people = sorted(counts, key=lambda name: (-counts[name], name))[:2]
    templates = ["Who is {}?", "What did {} say?"]
    return [template.format(person) for template, person in zip(templates, people, strict=False)]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the bot knows, with example questions."""
    if not (found := await admitted(update, context)):
        return
    message, svc = found
    # The retriever already holds every article's text; reading them from the store again
    # on each /start would be one full read of the corpus per greeting.
    records = await svc.run(svc.desk.sources, with_text=True)
    lines = [
        f"Hi! I answer questions about <b>{len(records)}</b> news articles, quoting them word for "
        "word with numbered sources. If the articles do not say, I tell you so.",
    ]
    examples = example_questions(records)
    if examples:
        lines.append("Try:\n" + "\n".join(f"• <code>{render.escape(q)}</code>" for q in examples))
    lines.append("Follow-up questions work (“What did he deny?”). /help lists the commands.")
    await reply_html(message, "\n\n".join(lines))


HELP = """<b>How to use me</b>
In a private chat, just send a question. In groups, mention me, reply to me, or use /ask.

/ask QUESTION — ask (works in groups)
/sources — the articles I know
/reset — forget our conversation
/help — this message

Admins: /ingest URL, /stats, or send an article as a .txt/.md/.html file or a bare URL."""


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the commands."""
    if update.effective_message:
        await reply_html(update.effective_message, HELP)


async def reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget this chat's conversation."""
    if context.chat_data is not None:
        context.chat_data["history"] = []
    if update.effective_message:
        await reply_html(update.effective_message, "Done: I have forgotten our conversation.")


def _sources_markup(page: int, total: int, per_page: int) -> InlineKeyboardMarkup | None:
    pages = (total + per_page - 1) // per_page
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("‹ Previous", callback_data=f"src:{page - 1}"))
    if page + 1 < pages:
        buttons.append(InlineKeyboardButton("Next ›", callback_data=f"src:{page + 1}"))
    return InlineKeyboardMarkup([buttons]) if buttons else None


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the ingested articles, a page at a time."""
    if not (found := await admitted(update, context)):
        return
    message, svc = found
    records = await svc.run(svc.desk.sources)
    per_page = svc.settings.telegram.sources_page_size
    first_page = render.sources_page(records, 0, per_page)
    await reply_html(message, first_page, _sources_markup(0, len(records), per_page))


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show store and usage figures (admins)."""
    if not (found := await admitted(update, context, admin=True)):
        return
    message, svc = found
    records = await svc.run(svc.desk.sources)
    chunks = await svc.run(svc.desk.chunk_count)
    uptime = int(time.time() - svc.started)
    await reply_html(
        message,
        f"<b>Articles:</b> {len(records)}\n<b>Chunks:</b> {chunks}\n"
        f"<b>Questions answered:</b> {svc.questions_answered}\n<b>Errors:</b> {svc.errors}\n"
        f"<b>Store:</b> {svc.desk.store_kind}\n<b>Up for:</b> {uptime // 3600} h {uptime % 3600 // 60} min",
    )


# --- ingest (admins) -------------------------------------------------------------------------
def _summary(report: IngestReport) -> str:
    parts = [f"added {report.added}", f"updated {report.updated}", f"unchanged {report.unchanged}"]
    text = "Ingest: " + ", ".join(parts) + f"; {report.chunks} chunks."
    if report.titles_added:
        text += "\nNew: " + "; ".join(report.titles_added)
    if report.errors:
        text += "\nFailed:\n" + "\n".join(f"• {error}" for error in report.errors)
    return render.escape(text)


async def _ingest_url(message: Message, svc: BotServices, url: str) -> None:
    report = await svc.run(svc.desk.ingest, [url])
    await reply_html(message, _summary(report))


async def ingest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ingest the article at /ingest URL (admins)."""
    if not (found := await admitted(update, context, admin=True)):
        return
    message, svc = found
    urls = [arg for arg in context.args or [] if is_url(arg)]
    if not urls or len(urls) != len(context.args or []):
        await reply_html(message, "Usage: <code>/ingest https://example.com/article</code>")
        return
    for url in urls:
        await _ingest_url(message, svc, url)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ingest an article sent as a file (admins); tell others what the bot reads."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    svc = services(context)
    if not is_admin(update, svc.settings):
        await reply_html(message, NON_TEXT_HINT if is_allowed(update, svc.settings) else REFUSAL)
        return
    document = message.document
    name = document.file_name or "article.txt"
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        await reply_html(message, render.escape(f"{name}: send a .txt, .md or .html file."))
        return
    if (document.file_size or 0) > svc.settings.fetching.max_article_bytes:
        await reply_html(
            message,
            render.escape(f"{name}: larger than {svc.settings.fetching.max_article_bytes} bytes."),
        )
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    report = await svc.run(
        svc.desk.ingest_upload, data, name, f"telegram:{document.file_unique_id}"
    )
    await reply_html(message, _summary(report))


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell senders of stickers, photos, voice and the like what the bot reads."""
    message = update.effective_message
    if message is None:
        return
    if message.chat.type != ChatType.PRIVATE:
        return  # in groups, other people's photos are none of the bot's business
    svc = services(context)
    await reply_html(message, NON_TEXT_HINT if is_allowed(update, svc.settings) else REFUSAL)


async def poll_feeds(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ingest what the configured feeds list and tell the admins what was added."""
    svc = services(context)
    report = await svc.run(svc.desk.ingest, svc.settings.fetching.feed_urls)
    log.info("feed poll: %s", report.as_dict())
    if not (report.added or report.updated or report.errors):
        return
    for admin in svc.settings.telegram.admin_user_ids:
        with contextlib.suppress(BadRequest, Forbidden):  # an admin who never started the bot
            await context.bot.send_message(
                admin, "Feeds polled. " + _summary(report), parse_mode=ParseMode.HTML
            )


# --- buttons ---------------------------------------------------------------------------------
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show a citation's wider passage or another page of sources; always answer the query."""
    query = update.callback_query
    if query is None:
        return
    svc = services(context)
    if not is_allowed(update, svc.settings):
        await query.answer(REFUSAL, show_alert=True)
        return
    data = query.data or ""
    if re.fullmatch(r"src:\d+", data):
        await query.answer()
        page = int(data.split(":")[1])
        records = await svc.run(svc.desk.sources)
        per_page = svc.settings.telegram.sources_page_size
        page = max(0, min(page, (len(records) - 1) // per_page))
        with contextlib.suppress(BadRequest):  # "message is not modified" on a double tap
            await query.edit_message_text(
                render.sources_page(records, page, per_page),
                parse_mode=ParseMode.HTML,
                reply_markup=_sources_markup(page, len(records), per_page),
            )
        return
    match = re.fullmatch(r"ctx:(\d+):(\d+)", data)
    answers: dict[Any, Any] = (context.chat_data or {}).get("answers", {})
    citation = None
    if match:
        citation = next(
            (c for c in answers.get(int(match.group(1)), []) if c["n"] == int(match.group(2))), None
        )
    if citation is None:
        await query.answer("That answer is too old; please ask again.", show_alert=True)
        return
    passage = await svc.run(svc.desk.passage, Citation.model_validate(citation))
    if passage is None:
        await query.answer("That article is no longer in the store.", show_alert=True)
        return
    await query.answer()
    assert query.message is not None and isinstance(query.message, Message)
    await reply_html(
        query.message,
        render.passage_html(citation["n"], citation["title"], passage, citation["quote"]),
    )


# --- errors ----------------------------------------------------------------------------------
async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and apologise to the user; the bot keeps running."""
    log.error("error while handling an update", exc_info=context.error)
    svc = context.bot_data.get("citedesk")
    if isinstance(svc, BotServices):
        svc.errors += 1
    if isinstance(update, Update):
        if update.callback_query:
            with contextlib.suppress(Exception):
                await update.callback_query.answer(APOLOGY)
        elif update.effective_message:
            with contextlib.suppress(Exception):
                await update.effective_message.reply_text(APOLOGY, do_quote=True)
