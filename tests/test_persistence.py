"""The bot's conversations: one SQLite row per chat, only the chats that changed written."""

from __future__ import annotations

import asyncio
import pickle
import sqlite3
from pathlib import Path

import pytest

from citedesk.bot.persistence import SqliteChatPersistence


def count_row_writes(path: Path) -> None:
    """Record every row written to the chats table, by a trigger in the file itself."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE written (chat_id INTEGER)")
        connection.execute(
            "CREATE TRIGGER count AFTER INSERT ON chats "
            "BEGIN INSERT INTO written VALUES (NEW.chat_id); END"
        )


def rows_written(path: Path) -> list[int]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT chat_id FROM written")]


async def settle() -> None:
    for _ in range(50):  # the write runs on a thread after the cycle's calls
        await asyncio.sleep(0.01)


async def test_a_cycle_writes_only_the_chats_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    persistence = SqliteChatPersistence(path, update_interval=5)
    assert await persistence.get_chat_data() == {}
    # As PTB's update cycle does: one call per changed chat, gathered.
    await asyncio.gather(
        *(persistence.update_chat_data(chat, {"history": [chat]}) for chat in range(200))
    )
    await settle()
    count_row_writes(path)
    await asyncio.gather(
        *(
            persistence.update_chat_data(
                chat, {"history": [chat, "again"] if chat == 3 else [chat]}
            )
            for chat in range(200)
        )
    )
    await settle()
    assert rows_written(path) == [3]  # 199 unchanged chats were not written again
    await persistence.drop_chat_data(7)
    await persistence.flush()
    saved = await SqliteChatPersistence(path, update_interval=5).get_chat_data()
    assert len(saved) == 199 and 7 not in saved
    assert saved[3] == {"history": [3, "again"]} and saved[199 - 1] == {"history": [198]}


async def test_a_conversation_changed_twice_keeps_its_last_version(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    persistence = SqliteChatPersistence(path, update_interval=5)
    await persistence.get_chat_data()
    live = {"history": ["first"]}
    await persistence.update_chat_data(1, live)
    live["history"].append("second")  # PTB hands over the live dict, which goes on changing
    await persistence.update_chat_data(1, live)
    await persistence.flush()
    assert await SqliteChatPersistence(path, update_interval=5).get_chat_data() == {
        1: {"history": ["first", "second"]}
    }


async def test_conversations_of_the_old_pickle_file_are_kept_on_upgrade(tmp_path: Path) -> None:
    legacy = tmp_path / "bot-conversations.pickle"
    # What PTB's PicklePersistence wrote (single file): a dict of its kinds of data.
    legacy.write_bytes(pickle.dumps({"chat_data": {5: {"history": ["old"]}}, "user_data": {}}))
    path = tmp_path / "bot-conversations.sqlite3"
    persistence = SqliteChatPersistence(path, update_interval=5, legacy_pickle=legacy)
    assert await persistence.get_chat_data() == {5: {"history": ["old"]}}
    await persistence.update_chat_data(5, {"history": ["new"]})
    await persistence.flush()
    # Read once: the SQLite file now exists, so the old file is not read over newer chats.
    again = SqliteChatPersistence(path, update_interval=5, legacy_pickle=legacy)
    assert await again.get_chat_data() == {5: {"history": ["new"]}}


@pytest.mark.parametrize(
    "content",
    [b"not a pickle", b"cno_such_module_here\nThing\n.", b""],
    ids=["garbage", "missing-class", "empty"],
)
async def test_an_unreadable_old_file_is_skipped_and_kept(tmp_path: Path, content: bytes) -> None:
    legacy = tmp_path / "bot-conversations.pickle"
    legacy.write_bytes(content)
    persistence = SqliteChatPersistence(
        tmp_path / "bot-conversations.sqlite3", update_interval=5, legacy_pickle=legacy
    )
    assert await persistence.get_chat_data() == {}
    assert legacy.exists()  # kept for the operator to look at


def test_idle_conversations_are_emptied_but_keep_their_answer_counter() -> None:
    import time

    from citedesk.bot.questions import trim_idle_chats

    now = time.time()
    chats = {
        1: {
            "history": [{"question": "q"}],
            "answers": {4: []},
            "next_answer": 5,
            "last_active": now - 3 * 3600,
        },
        2: {
            "history": [{"question": "q"}],
            "answers": {0: []},
            "next_answer": 1,
            "last_active": now - 60,
        },
        3: {"next_answer": 7},  # emptied before
    }
    assert trim_idle_chats(chats, idle_minutes=60) == [1]
    # Key 5 is the next answer's, so a button on an old message never finds a newer answer.
    assert chats[1] == {"next_answer": 5}
    assert chats[2]["history"] and chats[3] == {"next_answer": 7}


async def test_a_chat_keeps_its_lock_only_while_a_message_holds_or_awaits_it() -> None:
    import gc

    from citedesk.bot.context import BotData

    bot_data = BotData()
    first = bot_data.chat_lock(1)
    async with first:
        # A second message of the same chat waits on the same lock; another chat has its own.
        assert bot_data.chat_lock(1) is first
        assert bot_data.chat_lock(2) is not first
    del first
    gc.collect()
    # Nobody holds them now: a bot that has seen many chats does not keep a lock for each.
    assert len(bot_data.chat_locks) == 0
