"""The bot's conversation file: written once per persistence cycle, whatever the chat count."""

from __future__ import annotations

import asyncio
from pathlib import Path

from citedesk.bot.persistence import BatchedPicklePersistence


class CountingPersistence(BatchedPicklePersistence):
    writes = 0

    def _dump_singlefile(self) -> None:
        type(self).writes += 1
        super()._dump_singlefile()


async def test_one_cycle_of_many_changed_chats_writes_the_file_once(tmp_path: Path) -> None:
    path = tmp_path / "conversations.pickle"
    persistence = CountingPersistence(path, update_interval=5)
    await persistence.get_chat_data()
    # As PTB's update cycle does: one call per changed chat, gathered.
    await asyncio.gather(
        *(persistence.update_chat_data(chat, {"history": [chat]}) for chat in range(200))
    )
    await asyncio.sleep(0)  # the write follows the cycle's calls
    assert CountingPersistence.writes == 1
    await asyncio.gather(persistence.update_chat_data(5, {"history": [5]}))  # unchanged
    await asyncio.sleep(0)
    assert CountingPersistence.writes == 1
    await persistence.drop_chat_data(7)
    await asyncio.sleep(0)
    assert CountingPersistence.writes == 2
    saved = await BatchedPicklePersistence(path, update_interval=5).get_chat_data()
    assert len(saved) == 199 and 7 not in saved and saved[199] == {"history": [199]}
