"""Two processes, one store: kill -9 mid-ingest, the embedded-store lock, and a shared server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from children import ctrl_c_as_at_a_terminal
from telegram_api import FakeTelegram
from test_bot import TOKEN, RunningBot, ask, bot_settings, visible

from citedesk.desk import Desk
from citedesk.ingest import ingest_paths
from citedesk.paths import PROJECT_ROOT, SAMPLE_CORPUS
from citedesk.settings import Settings
from citedesk.vectorstore import open_store
from citedesk.vectorstore._sqlite_scan import unsaved_vector_writes

# Several commit groups (16 articles each), so that the kill lands between two of them.
ARTICLES = 64
KILL_AFTER = 8
PROCESS_SECONDS = 240
TOWNS = [
    "Aldham",
    "Brixby",
    "Corwen",
    "Dunmore",
    "Elsford",
    "Fenwick",
    "Garston",
    "Holbeck",
    "Ilfield",
    "Jarrow",
    "Kelso",
    "Lanark",
    "Morpeth",
    "Nairn",
    "Otley",
    "Penrith",
    "Quorn",
    "Rippon",
    "Selby",
    "Thirsk",
    "Ullapool",
    "Ventnor",
    "Wigton",
    "Yarm",
    "Zennor",
    "Alnwick",
    "Beverley",
    "Cromer",
    "Dornoch",
    "Epping",
]


def write_articles(folder: Path) -> None:
    folder.mkdir()
    for index in range(ARTICLES):
        base = TOWNS[index % len(TOWNS)]  # a second round of towns: Aldthorpe, Brithorpe, ...
        town = base if index < len(TOWNS) else f"{base[:3]}thorpe"
        (folder / f"{index:02d}_{town.lower()}.txt").write_text(
            f"{town} opens a new library\n\n"
            f"The town of {town} opened its new library on Saturday, mayor Jo Hale{index} said.\n\n"
            f"The library in {town} holds {1000 + index * 37} books and a reading room for children.\n\n"
            f"Building work in {town} took two years and cost less than planned, the council said.\n",
            encoding="utf-8",
        )


def environment(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CITEDESK_", "CHROMA_", "TELEGRAM_"))
    }
    return env | {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", **extra}


def citedesk(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    with ctrl_c_as_at_a_terminal():
        return subprocess.Popen(
            [sys.executable, "-m", "citedesk", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_interrupting_midway_leaves_a_store_that_answers_and_a_rerun_completes(
    tmp_path: Path, stop: signal.Signals
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder)
    data = tmp_path / "data"
    process = citedesk("ingest", str(folder), env=environment(CITEDESK_DATA_DIR=str(data)))
    watchdog = threading.Timer(PROCESS_SECONDS, process.kill)
    watchdog.start()
    try:
        assert process.stderr is not None
        for line in process.stderr:  # "N/30 name" per article when stderr is not a terminal
            if line.startswith(f"{KILL_AFTER}/{ARTICLES} "):
                os.kill(process.pid, stop)
                break
        process.wait(timeout=30)
    finally:
        watchdog.cancel()
    # kill -9 ends it at once; Ctrl-C is caught and reported as exit status 130.
    assert process.returncode == (-signal.SIGKILL if stop == signal.SIGKILL else 130)

    settings = Settings(_env_file=None, CITEDESK_DATA_DIR=data)  # type: ignore[call-arg]
    store = open_store(settings)  # the lock died with the process
    committed = store.articles()
    assert KILL_AFTER - 1 <= len(committed) < ARTICLES
    # Every committed article is complete; whatever else was written is never returned.
    per_article: dict[str, int] = {}
    for node in store.chunk_nodes():
        per_article[node.metadata["article_id"]] = (
            per_article.get(node.metadata["article_id"], 0) + 1
        )
    assert per_article == {record.id: record.chunks for record in committed}
    stray = store.chunk_count() - sum(per_article.values())
    town = TOWNS[0]
    answer = Desk(settings, store).ask(f"How many books does the library in {town} hold?")
    assert "1000 books" in answer.answer

    rerun = ingest_paths([folder], settings, store)
    assert (rerun.added, rerun.unchanged, rerun.errors) == (
        ARTICLES - len(committed),
        len(committed),
        [],
    )
    assert store.chunk_count() == sum(record.chunks for record in store.articles())
    print(
        f"\n{stop.name} after {KILL_AFTER}/{ARTICLES}: {len(committed)} committed, {stray} stray chunks; rerun added {rerun.added}"
    )


def test_a_second_process_on_an_embedded_store_gets_a_clear_message(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, CITEDESK_DATA_DIR=tmp_path / "data")  # type: ignore[call-arg]
    open_store(settings)  # this process now holds the store, as a running bot does
    process = citedesk(
        "ingest", str(SAMPLE_CORPUS), env=environment(CITEDESK_DATA_DIR=str(tmp_path / "data"))
    )
    _, stderr = process.communicate(timeout=PROCESS_SECONDS)
    assert process.returncode == 1
    assert stderr.count("\n") == 1 and f"is in use by pid {os.getpid()}" in stderr
    assert "CHROMA_URL" in stderr and "Traceback" not in stderr


async def test_ingest_process_and_bot_share_a_chroma_server(
    chroma_server: str, tmp_path: Path, sample_copy: Path
) -> None:
    telegram = FakeTelegram(TOKEN).start()
    collection = f"shared{os.getpid()}"
    settings = bot_settings(
        telegram, tmp_path / "bot", CHROMA_URL=chroma_server, CITEDESK_COLLECTION=collection
    )
    store = open_store(settings)
    ingest_paths([sample_copy], settings, store)
    news = tmp_path / "news"
    write_articles(news)
    try:
        async with RunningBot(settings, Desk(settings, store)):
            (before,) = await ask(telegram, 50, "How many books does the library in Kelso hold?")
            assert "1370 books" not in visible(before)
            env = environment(
                CHROMA_URL=chroma_server,
                CITEDESK_COLLECTION=collection,
                CITEDESK_DATA_DIR=str(tmp_path / "cli"),
            )
            process = citedesk("ingest", str(news), "--json", env=env)
            answered = 0
            while process.poll() is None:  # the bot keeps answering while the other process writes
                (reply,) = await ask(telegram, 51, "Who is the Kremlin spokesman?")
                assert "Dmitry Peskov" in visible(reply)
                answered += 1
                if answered > 200:
                    break
            stdout, stderr = await asyncio.to_thread(process.communicate, timeout=PROCESS_SECONDS)
            assert process.returncode == 0, stderr
            assert f'"added": {ARTICLES}' in stdout
            (after,) = await ask(telegram, 52, "How many books does the library in Kelso hold?")
            assert "1370 books" in visible(after)
            print(
                f"\nbot answered {answered} questions while another process ingested {ARTICLES} articles"
            )
    finally:
        telegram.stop()


def test_bot_process_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """`python -m bot` as an operator runs it: long polling, sample corpus, Ctrl-C to stop."""
    telegram = FakeTelegram(TOKEN).start()
    env = environment(
        CITEDESK_DATA_DIR=str(tmp_path / "data"),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "citedesk", "bot"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        message = telegram.user_sends(70, "Who is Karen Donfried?")
        (reply,) = telegram.wait_for(
            lambda: [
                m
                for m in telegram.sent_to(70)
                if m.get("reply_to_message", {}).get("message_id") == message["message_id"]
            ],
            timeout=PROCESS_SECONDS,
        )
        assert "assistant secretary of state" in visible(reply)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        telegram.stop()
    assert process.returncode == 0, stderr
    assert "citedesk bot @citedesk_test_bot is running (store: embedded)" in stderr
    assert TOKEN not in stderr and "Traceback" not in stderr


NEAREST_CODE = """
import json, numpy as np
from citedesk.settings import Settings
from citedesk.vectorstore import open_store
store = open_store(Settings())
vector = np.random.default_rng(7).standard_normal(384)
nearest = store.nearest_chunk_ids((vector / np.linalg.norm(vector)).tolist(), 10)
hnsw = store._chunks.configuration["hnsw"]
print(json.dumps({"ids": [i for i, _ in nearest], "sync_threshold": hnsw["sync_threshold"]}))
"""
# An ingest through the library alone (no Desk), which leaves saving the graph to the next opener.
INGEST_CODE = """
import sys
from pathlib import Path
from citedesk.ingest import ingest_paths
from citedesk.settings import Settings
from citedesk.vectorstore import open_store
settings = Settings()
ingest_paths([Path(sys.argv[1])], settings, open_store(settings))
"""


def python(code: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_SECONDS,
        check=True,
    )
    return done.stdout


def test_every_process_that_opens_the_store_after_an_ingest_searches_one_saved_graph(
    tmp_path: Path,
) -> None:
    """Chroma saves its vector graph every 1,000 writes and each process adds the rest again in
    no fixed order: an ingest has the graph saved whole, and so does the next process to open a
    store that was written without it."""
    settings = Settings(_env_file=None, CITEDESK_DATA_DIR=tmp_path / "cli")  # type: ignore[call-arg]
    chunks = f"{settings.store.collection}_chunks"
    env = environment(CITEDESK_DATA_DIR=str(tmp_path / "cli"))
    ingest = citedesk("ingest", str(SAMPLE_CORPUS), env=env)
    _, errors = ingest.communicate(timeout=PROCESS_SECONDS)
    assert ingest.returncode == 0, errors
    assert unsaved_vector_writes(settings.store.chroma_dir / "chroma.sqlite3", chunks) == 0

    settings = Settings(_env_file=None, CITEDESK_DATA_DIR=tmp_path / "lib")  # type: ignore[call-arg]
    database = settings.store.chroma_dir / "chroma.sqlite3"
    env = environment(CITEDESK_DATA_DIR=str(tmp_path / "lib"))
    python(INGEST_CODE, str(SAMPLE_CORPUS), env=env)
    assert (unsaved_vector_writes(database, chunks) or 0) >= 30  # the sample's chunks: none saved
    runs = []
    for _ in range(2):
        runs.append(json.loads(python(NEAREST_CODE, env=env).strip().splitlines()[-1]))
        assert unsaved_vector_writes(database, chunks) == 0
    assert runs[0] == runs[1] and len(runs[0]["ids"]) == 10
    assert runs[0]["sync_threshold"] == 1000  # Chroma's own setting is back
