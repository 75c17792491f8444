"""What the handlers share: settings, the Desk, and one worker thread for blocking work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from telegram.ext import ContextTypes

from citedesk.desk import Desk
from citedesk.settings import Settings

T = TypeVar("T")
SERVICES_KEY = "citedesk"


@dataclass
class BotServices:
    settings: Settings
    desk: Desk
    # One thread runs the engine and ingests: the embedding model and the store's clients are
    # then never used from two threads at once, and an ingest cannot interleave with an answer.
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
    )
    chat_locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    questions_answered: int = 0
    errors: int = 0

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(function, *args, **kwargs))

    def chat_lock(self, chat_id: int) -> asyncio.Lock:
        """Answer one message per chat at a time, so follow-ups see the turn before them."""
        return self.chat_locks.setdefault(chat_id, asyncio.Lock())


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    found = context.bot_data[SERVICES_KEY]
    assert isinstance(found, BotServices)
    return found
