"""Conversation persistence: one SQLite row per chat, only changed chats written."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import pickle
import sqlite3
import threading
from pathlib import Path
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from citedesk.bot.context import BotData

log = logging.getLogger(__name__)

ChatData = dict[Any, Any]
_SCHEMA = "CREATE TABLE IF NOT EXISTS chats (chat_id INTEGER PRIMARY KEY, data BLOB NOT NULL)"


def _digest(blob: bytes) -> bytes:
    return hashlib.blake2b(blob, digest_size=16).digest()


class SqliteChatPersistence(BasePersistence[ChatData, ChatData, BotData]):
    """Each chat's conversation in a row of a SQLite file, written only when it changed.

    PTB's `PicklePersistence` keeps every chat ever seen in one pickle and rewrites all of it,
    on the event loop, each cycle in which any chat changed (about 100 ms at 6 MB, with every
    reply waiting, and growing with each new chat). Here each cycle writes the chats that
    changed, in one transaction, on a worker thread. Only chat data is kept (users and bot data are not used).

    A `PicklePersistence` file from an earlier version (`legacy_pickle`) is read in once, when
    the SQLite file does not exist yet, so no conversation is lost on upgrade.
    """

    def __init__(
        self, path: Path, update_interval: float, legacy_pickle: Path | None = None
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, user_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.path = path
        self._legacy = legacy_pickle
        self._connection: sqlite3.Connection | None = None
        # A digest of each chat as last written, to skip unchanged ones (the chats themselves
        # are in PTB's chat_data already: a second, pickled copy of each doubled their memory).
        self._saved: dict[int, bytes] = {}
        self._pending: dict[int, bytes | None] = {}  # None: delete the chat
        self._write_lock = threading.Lock()
        self._scheduled = False
        self._writing: asyncio.Task[None] | None = None

    # --- the file -------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            new = not self.path.exists()
            self._connection = sqlite3.connect(self.path, check_same_thread=False)
            self._connection.execute(_SCHEMA)
            self._connection.commit()
            if new and self._legacy is not None and self._legacy.exists():
                self._import_legacy(self._connection, self._legacy)
        return self._connection

    @staticmethod
    def _import_legacy(connection: sqlite3.Connection, legacy: Path) -> None:
        try:
            with legacy.open("rb") as file:
                chats = (pickle.load(file) or {}).get("chat_data") or {}  # our own file
        except Exception as exc:  # unpickling raises many types; any means "unreadable"
            log.warning("could not read the old conversation file %s: %s", legacy, exc)
            return
        connection.executemany(
            "INSERT OR REPLACE INTO chats VALUES (?, ?)",
            [(int(chat_id), pickle.dumps(data)) for chat_id, data in chats.items()],
        )
        connection.commit()
        log.info("read %d conversations from %s", len(chats), legacy)

    def _commit(self, batch: dict[int, bytes | None]) -> None:
        with self._write_lock:
            connection = self._open()
            with connection:  # one transaction
                connection.executemany(
                    "DELETE FROM chats WHERE chat_id = ?",
                    [(chat_id,) for chat_id, blob in batch.items() if blob is None],
                )
                connection.executemany(
                    "INSERT OR REPLACE INTO chats VALUES (?, ?)",
                    [(chat_id, blob) for chat_id, blob in batch.items() if blob is not None],
                )

    async def _write_pending(self, previous: asyncio.Task[None] | None = None) -> None:
        if previous is not None:  # writes land in order: an older copy never wins
            await asyncio.wait([previous])
        batch, self._pending = self._pending, {}
        if not batch:
            return
        try:
            await asyncio.to_thread(self._commit, batch)
        except sqlite3.Error as exc:
            log.warning("could not save conversations in %s (%s); retrying later", self.path, exc)
            self._pending = batch | self._pending  # kept, and written with the next change

    # --- chat data ------------------------------------------------------------------------
    async def get_chat_data(self) -> dict[int, ChatData]:
        rows = await asyncio.to_thread(
            lambda: self._open().execute("SELECT chat_id, data FROM chats").fetchall()
        )
        self._saved = {int(chat_id): _digest(bytes(blob)) for chat_id, blob in rows}
        return {int(chat_id): pickle.loads(blob) for chat_id, blob in rows}

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        blob = pickle.dumps(data)  # now: PTB hands over the live dict
        digest = _digest(blob)
        if self._saved.get(chat_id) == digest:
            return
        self._saved[chat_id] = digest
        self._pending[chat_id] = blob
        self._write_soon()

    async def drop_chat_data(self, chat_id: int) -> None:
        self._saved.pop(chat_id, None)
        self._pending[chat_id] = None
        self._write_soon()

    def _write_soon(self) -> None:
        """One write after this cycle's calls (PTB gathers one call per changed chat)."""
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._start_write)

    def _start_write(self) -> None:
        self._scheduled = False
        self._writing = asyncio.ensure_future(self._write_pending(self._writing))

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        return None

    async def flush(self) -> None:
        await self._write_pending(self._writing)
        if self._connection is not None:
            with self._write_lock:
                self._connection.close()
                self._connection = None

    # --- what is not stored ---------------------------------------------------------------
    async def get_user_data(self) -> dict[int, ChatData]:
        return {}

    async def update_user_data(self, user_id: int, data: ChatData) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: ChatData) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def get_bot_data(self) -> BotData:
        raise NotImplementedError("bot data is not persisted")  # PTB never asks: store_data

    async def update_bot_data(self, data: BotData) -> None:
        return None

    async def refresh_bot_data(self, bot_data: BotData) -> None:
        return None

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def get_conversations(self, name: str) -> dict[Any, object]:
        return {}

    async def update_conversation(self, name: str, key: Any, new_state: object | None) -> None:
        return None
