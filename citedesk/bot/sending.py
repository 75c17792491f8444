"""Sending to Telegram: retry only what never left, and keep the chat's 'typing…' up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import httpx
from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import NetworkError

SEND_ATTEMPTS = 3
TYPING_EVERY_SECONDS = 4.0
# Failures before the request was written: Telegram cannot have acted on it, so it is safe to
# send again. A timeout or a dropped connection after sending may hide a delivered message, and
# retrying that would post the answer twice. (429s are the rate limiter's job.)
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def never_sent(error: NetworkError) -> bool:
    """True when the request failed before it reached Telegram."""
    return isinstance(error.__cause__, _NEVER_SENT)


async def send_retrying(send: Callable[[], Awaitable[Message]]) -> Message:
    """Send, retrying a few times when the request could not even be made."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await send()
        except NetworkError as error:
            if attempt == SEND_ATTEMPTS or not never_sent(error):
                raise
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


async def reply_html(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Reply with Telegram HTML (the caller escapes and sizes it; see render.py)."""
    return await send_retrying(
        lambda: message.reply_html(
            text, do_quote=True, reply_markup=markup, disable_web_page_preview=True
        )
    )


async def send_html_replies(
    message: Message, texts: list[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Reply with several messages in order; the buttons go under the last."""
    for index, text in enumerate(texts):
        await reply_html(message, text, markup if index == len(texts) - 1 else None)


async def keep_typing(message: Message) -> None:
    """Show 'typing…' until cancelled (Telegram clears it after five seconds)."""
    while True:
        with contextlib.suppress(NetworkError):
            await message.chat.send_action(ChatAction.TYPING)
        await asyncio.sleep(TYPING_EVERY_SECONDS)
