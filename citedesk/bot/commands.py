"""Everyone's commands: /start, /help, /reset, /sources, and hints for what the bot cannot read."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from citedesk.bot import render
from citedesk.bot.buttons import sources_markup
from citedesk.bot.context import Context
from citedesk.bot.questions import forget
from citedesk.bot.sending import reply_html
from citedesk.bot.texts import HELP, NON_TEXT_HINT

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


async def start(update: Update, context: Context) -> None:
    """Say what the bot knows, with example questions."""
    if not (message := update.effective_message):
        return
    bot_data = context.bot_data
    # The retriever already holds every article's text; reading them from the store again
    # on each /start would be one full read of the corpus per greeting.
    records = await bot_data.answer(bot_data.desk.sources, with_text=True)
    lines = [
        f"Hi! I answer questions about <b>{len(records)}</b> news articles, quoting them word for "
        "word with numbered sources. If the articles do not say, I tell you so.",
    ]
    examples = example_questions(records)
    if examples:
        lines.append("Try:\n" + "\n".join(f"• <code>{render.escape(q)}</code>" for q in examples))
    lines.append("Follow-up questions work (“What did he deny?”). /help lists the commands.")
    await reply_html(message, "\n\n".join(lines))


async def help_command(update: Update, context: Context) -> None:
    """Explain the commands."""
    if update.effective_message:
        await reply_html(update.effective_message, HELP)


async def reset(update: Update, context: Context) -> None:
    """Forget this chat's conversation."""
    forget(context)
    if update.effective_message:
        await reply_html(update.effective_message, "Done: I have forgotten our conversation.")


async def sources(update: Update, context: Context) -> None:
    """List the ingested articles, a page at a time."""
    if not (message := update.effective_message):
        return
    bot_data = context.bot_data
    records = await bot_data.answer(bot_data.desk.sources)
    per_page = bot_data.settings.telegram.sources_page_size
    first_page = render.sources_page(records, 0, per_page)
    await reply_html(message, first_page, sources_markup(0, len(records), per_page))


async def on_other(update: Update, context: Context) -> None:
    """Tell senders of stickers, photos, voice and the like what the bot reads."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return  # in groups, other people's photos are none of the bot's business
    await reply_html(message, NON_TEXT_HINT)
