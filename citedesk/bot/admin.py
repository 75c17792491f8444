"""Admin commands: ingest by URL or file, /remove, /feeds, /stats, and the feed poll job."""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from citedesk.bot import render
from citedesk.bot.access import is_admin
from citedesk.bot.context import BotData, Context
from citedesk.bot.sending import reply_html, send_html_replies
from citedesk.bot.texts import ADMIN_ONLY, NON_TEXT_HINT
from citedesk.desk import IngestReport
from citedesk.errors import BadInputError
from citedesk.sources import SUPPORTED_SUFFIXES, is_url

log = logging.getLogger(__name__)
# New titles and failures an ingest report names; the rest it counts.
LISTED_IN_A_REPORT = 20


async def _admin_message(update: Update, context: Context) -> Message | None:
    """The message, if an admin sent it; otherwise tell the sender it is for admins."""
    message = update.effective_message
    if message is None:
        return None
    if not is_admin(update, context.bot_data.settings):
        await reply_html(message, ADMIN_ONLY)
        return None
    return message


def summary(report: IngestReport, heading: str = "Ingest") -> list[str]:
    """The report as HTML messages that each fit: the counts, then the first new titles and
    failures by name (a feed of a thousand articles would otherwise be dozens of messages)."""
    parts = [f"added {report.added}", f"updated {report.updated}", f"unchanged {report.unchanged}"]
    if report.errors:
        parts.append(f"failed {len(report.errors)}")
    lines = [render.escape(f"{heading}: " + ", ".join(parts) + f"; {report.chunks} chunks.")]
    if report.titles_added:
        lines.append("New:")
        lines += _listed([render.shortened(t, 200) for t in report.titles_added], "/sources")
    if report.errors:  # every one is in the log (see `_logged`)
        lines.append("Failed:")
        lines += _listed([render.shortened(error, 300) for error in report.errors], "the log")
    return render.split_lines(lines)


def _logged(report: IngestReport) -> IngestReport:
    log.info("ingest: %s", report.as_dict())
    return report


def _listed(items: list[str], where_all: str) -> list[str]:
    lines = [f"• {item}" for item in items[:LISTED_IN_A_REPORT]]
    if len(items) > LISTED_IN_A_REPORT:
        lines.append(f"… and {len(items) - LISTED_IN_A_REPORT} more ({where_all} has them all)")
    return lines


async def ingest_url(message: Message, bot_data: BotData, url: str) -> None:
    report = _logged(await bot_data.ingest(bot_data.desk.ingest, [url]))
    await send_html_replies(message, summary(report))


async def ingest_command(update: Update, context: Context) -> None:
    """Ingest the article at /ingest URL (admins)."""
    if not (message := await _admin_message(update, context)):
        return
    args = context.args or []
    if not args or not all(is_url(arg) for arg in args):
        await reply_html(message, "Usage: <code>/ingest https://example.com/article</code>")
        return
    for url in args:
        await ingest_url(message, context.bot_data, url)


async def remove_command(update: Update, context: Context) -> None:
    """Remove articles by id or source: /remove ID|SOURCE … (admins)."""
    if not (message := await _admin_message(update, context)):
        return
    if not context.args:
        await reply_html(message, "Usage: <code>/remove ID or SOURCE</code> (see /sources)")
        return
    bot_data = context.bot_data
    try:
        removed = await bot_data.ingest(bot_data.desk.remove, context.args)
    except BadInputError as exc:
        await reply_html(message, render.shortened(f"Nothing removed: {exc}.", render.MAX_QUOTE))
        return
    await reply_html(
        message, render.shortened(f"Removed {len(removed)}: {', '.join(removed)}", render.MAX_QUOTE)
    )


async def on_document(update: Update, context: Context) -> None:
    """Ingest an article sent as a file (admins); tell others what the bot reads."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    bot_data = context.bot_data
    if not is_admin(update, bot_data.settings):
        await reply_html(message, NON_TEXT_HINT)
        return
    document = message.document
    name = document.file_name or "article.txt"
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        await reply_html(
            message, render.shortened(f"{name}: send a .txt, .md or .html file.", 1000)
        )
        return
    limit = bot_data.settings.fetching.max_article_bytes
    if (document.file_size or 0) > limit:
        await reply_html(message, render.shortened(f"{name}: larger than {limit} bytes.", 1000))
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    report = _logged(
        await bot_data.ingest(
            bot_data.desk.ingest_upload, data, name, f"telegram:{document.file_unique_id}"
        )
    )
    await send_html_replies(message, summary(report))


async def stats(update: Update, context: Context) -> None:
    """Show store and usage figures (admins)."""
    if not (message := await _admin_message(update, context)):
        return
    bot_data = context.bot_data
    records = await bot_data.answer(bot_data.desk.sources)
    chunks = await bot_data.answer(bot_data.desk.chunk_count)
    uptime = int(time.time() - bot_data.started)
    await reply_html(
        message,
        f"<b>Articles:</b> {len(records)}\n<b>Chunks:</b> {chunks}\n"
        f"<b>Questions answered:</b> {bot_data.questions_answered}\n"
        f"<b>Errors:</b> {bot_data.errors}\n<b>Store:</b> {bot_data.desk.store_kind}\n"
        f"<b>Up for:</b> {uptime // 3600} h {uptime % 3600 // 60} min",
    )


async def feeds_command(update: Update, context: Context) -> None:
    """Show the configured feeds and the last poll's result (admins)."""
    if not (message := await _admin_message(update, context)):
        return
    settings = context.bot_data.settings
    if not settings.fetching.feed_urls:
        await reply_html(message, "No feeds are configured (FEED_URLS).")
        return
    lines = [f"<b>Feeds</b>, polled every {settings.fetching.feed_poll_minutes} min:"]
    lines += [f"• {render.shortened(url, 500)}" for url in settings.fetching.feed_urls]
    lines.append(context.bot_data.last_feed_poll or "Not polled yet.")
    await send_html_replies(message, render.split_lines(lines))


async def poll_feeds(context: Context) -> None:
    """Ingest what the configured feeds list and tell the admins what was added."""
    bot_data = context.bot_data
    report = _logged(
        await bot_data.ingest(bot_data.desk.ingest, bot_data.settings.fetching.feed_urls)
    )
    messages = summary(report, heading=f"Last poll ({time.strftime('%Y-%m-%d %H:%M')})")
    bot_data.last_feed_poll = messages[0]
    if not (report.added or report.updated or report.errors):
        return
    for admin in bot_data.settings.telegram.admin_user_ids:
        with contextlib.suppress(BadRequest, Forbidden):  # an admin who never started the bot
            for text in summary(report, heading="Feeds polled. Ingest"):
                await context.bot.send_message(admin, text, parse_mode=ParseMode.HTML)
