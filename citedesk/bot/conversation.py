"""A chat's conversation between messages: its recent turns and the citations its buttons open.

PTB keeps every chat's data in memory for as long as the conversation is not idle, and a bot
with many users holds thousands. As dicts (pydantic dumps), a chat with one answer took ~6.4 KB;
packed with pickle into one bytes object, ~1.6 KB; compressed as well (zlib: the quotes appear
in the turn and again in the citations), the pickle of an answer over the 102k-chunk benchmark
store takes 645 bytes instead of 1,236. It is unpacked for the one message that reads or
changes it (a few microseconds). The persistence saves chat data as pickles already, so the
packed form is no less trusted than the rest.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

_PACKED = "conversation"
# A pickle of ours starts with its protocol opcode; an earlier version stored it uncompressed.
_PICKLE_OPCODE = 0x80
# How an earlier version kept them, unpacked: still read, and replaced at the next change.
_UNPACKED = ("history", "answers")


@dataclass
class Conversation:
    """Turns as `Turn` dumps, oldest first; answers' citations as dumps, by answer key."""

    history: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, chat_data: MutableMapping[Any, Any] | None) -> Conversation:
        """The chat's conversation (empty for a new chat)."""
        if not chat_data:
            return cls()
        packed = chat_data.get(_PACKED)
        if packed is not None:
            if packed[0] != _PICKLE_OPCODE:
                packed = zlib.decompress(packed)
            history, answers = pickle.loads(packed)  # our own chat data, as the persistence's
            return cls(history, answers)
        return cls(list(chat_data.get("history", [])), dict(chat_data.get("answers", {})))

    def save(self, chat_data: MutableMapping[Any, Any]) -> None:
        """Keep it in the chat's data, packed."""
        chat_data[_PACKED] = zlib.compress(
            pickle.dumps((self.history, self.answers), protocol=pickle.HIGHEST_PROTOCOL)
        )
        for key in _UNPACKED:
            chat_data.pop(key, None)
