"""The bot's typed context: what every handler shares, as a dataclass instead of a dict."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from citedesk.desk import Desk
from citedesk.settings import Settings

T = TypeVar("T")


def _one_thread(name: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)


@dataclass
class BotData:
    """Settings, the Desk, the worker threads and the counters /stats shows.

    PTB creates bot_data with no arguments, so `settings` and `desk` are bound right after the
    application is built (see app.build_application); they are never read before that.
    """

    settings: Settings = field(init=False)
    desk: Desk = field(init=False)
    # Questions run on one thread: the engine's models then never serve two answers at once.
    engine: ThreadPoolExecutor = field(default_factory=lambda: _one_thread("engine"))
    # Ingests (admin commands, feed polls) get their own thread, so a slow site never delays an
    # answer; the Desk answers questions while an ingest runs and keeps ingests one at a time.
    ingester: ThreadPoolExecutor = field(default_factory=lambda: _one_thread("ingest"))
    # A chat's lock lives while a message of that chat holds or awaits it: one per chat ever
    # seen would grow with every user.
    chat_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )
    started: float = field(default_factory=time.time)
    questions_answered: int = 0
    errors: int = 0
    last_feed_poll: str = ""

    def bind(self, settings: Settings, desk: Desk) -> None:
        self.settings, self.desk = settings, desk
        # Feed polls and admin ingests run in a child process (on an embedded store all of it,
        # Chroma's writes included; on a server the chunking and embedding): the bot's memory
        # stays what answering needs, and neither the model nor Chroma's writes hold its GIL.
        desk.ingest_in_child = True

    async def answer(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking Desk work for a user (questions, buttons, listings) off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.engine, partial(function, *args, **kwargs))

    async def ingest(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run an ingest on the ingest thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.ingester, partial(function, *args, **kwargs))

    def chat_lock(self, chat_id: int) -> asyncio.Lock:
        """Answer one message per chat at a time, so follow-ups see the turn before them."""
        return self.chat_locks.setdefault(chat_id, asyncio.Lock())

    def shutdown(self) -> None:
        self.engine.shutdown(wait=False, cancel_futures=True)
        self.ingester.shutdown(wait=False, cancel_futures=True)


# ExtBot[Any] and JobQueue[Any]: the rate limiter and the builder's job queue keep their own types.
Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
BotApplication = Application[
    ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Any]
]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
