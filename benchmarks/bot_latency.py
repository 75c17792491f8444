"""Reply latency of the real bot over loopback: question sent -> answer received.

Runs python-telegram-bot against the tests' Bot API server on 127.0.0.1 with the sample corpus,
first one chat at a time, then 50 chats at once. Prints p50/p95/max in milliseconds as JSON.

    .venv/bin/python benchmarks/bot_latency.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from telegram_api import FakeTelegram  # noqa: E402
from test_bot import TOKEN, RunningBot, bot_settings, replies_to  # noqa: E402

from citedesk.answering.evaluation import load_items  # noqa: E402
from citedesk.desk import Desk  # noqa: E402
from citedesk.ingest import ingest_paths  # noqa: E402
from citedesk.paths import SAMPLE_CORPUS  # noqa: E402
from citedesk.vectorstore import open_store  # noqa: E402

TIMEOUT = 120.0


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[max(0, int(0.95 * len(ordered)) - 1)], 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


async def wait_reply(telegram: FakeTelegram, message: dict) -> float:  # type: ignore[type-arg]
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if replies_to(telegram, message):
            return time.monotonic()
        await asyncio.sleep(0.002)
    raise TimeoutError("no reply")


async def main(rounds: int) -> None:
    questions = [
        item.question for item in load_items(ROOT / "eval" / "dev.jsonl") if not item.history
    ]
    with tempfile.TemporaryDirectory() as tmp:
        telegram = FakeTelegram(TOKEN).start()
        settings = bot_settings(telegram, Path(tmp) / "data")
        store = open_store(settings)
        ingest_paths([SAMPLE_CORPUS], settings, store)
        engine = Desk(settings, store)
        engine.ask("warm up")
        sequential: list[float] = []
        concurrent: list[float] = []
        async with RunningBot(settings, engine):
            chat = 1
            for _ in range(rounds):
                for question in questions:
                    started = time.monotonic()
                    message = telegram.user_sends(chat, question)
                    sequential.append(await wait_reply(telegram, message) - started)
                    chat += 1
            for _ in range(rounds):
                started = time.monotonic()
                sent = [
                    telegram.user_sends(chat + i, questions[i % len(questions)]) for i in range(50)
                ]
                chat += 50
                done = await asyncio.gather(*(wait_reply(telegram, m) for m in sent))
                concurrent.extend(t - started for t in done)
        telegram.stop()
    print(
        json.dumps(
            {
                "one_chat_at_a_time": percentiles(sequential),
                "fifty_chats_at_once": percentiles(concurrent),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args().rounds))
