"""Damaged stores, terminal escapes, chunk settings, files that are not files: through the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_settings
from typer.testing import CliRunner

from citedesk.cli import app
from citedesk.desk import Desk
from citedesk.paths import PROJECT_ROOT, SAMPLE_CORPUS

runner = CliRunner()
HOSTILE_TITLE = "[/x] Rich [bold]markup \x1b]0;pwned\x07title"
HOSTILE = (
    f"{HOSTILE_TITLE}\n\n"
    "The harbour in Kiel reopened on Tuesday after the storm\x1b[2J, said the harbour master.\n\n"
    "Ferries to Oslo will sail again from Wednesday morning\x9b31m, the operator said.\n"
)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "citedesk.lock"
    }


# --- 3. a damaged store is an error, never replaced --------------------------------------------
@pytest.mark.parametrize("damage", ["empty", "truncated", "sqlite_missing"])
def test_a_damaged_store_is_an_error_and_left_as_it_is(data_dir: Path, damage: str) -> None:
    chroma = data_dir / "chroma"
    if damage == "empty":
        chroma.mkdir(parents=True)
        (chroma / "chroma.sqlite3").write_bytes(b"")
    else:
        settings = make_settings(data_dir)
        with Desk.open(settings) as desk:
            story = data_dir.parent / "story.txt"
            story.write_text("Harbour\n\nThe harbour in Kiel reopened on Tuesday.\n")
            assert desk.ingest([str(story)]).added == 1
        database = chroma / "chroma.sqlite3"
        if damage == "truncated":
            with database.open("r+b") as handle:
                handle.truncate(database.stat().st_size // 2)
        else:
            database.unlink()
    before = _digest(chroma)
    result = runner.invoke(app, ["ask", "who warned of massive consequences?"])
    assert result.exit_code == 1, result.output
    assert "Ingested" not in result.stderr and "sample" not in result.stderr
    assert result.stderr.startswith("error: ") and "damaged" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _digest(chroma) == before


def test_the_sample_is_loaded_only_into_a_new_store(data_dir: Path, tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Harbour\n\nThe harbour in Kiel reopened on Tuesday after the storm.\n")
    with Desk.open(make_settings(data_dir)) as desk:
        assert desk.ingest([str(story)]).added == 1
        desk.remove([str(story.resolve())])
        assert desk.is_empty()
    result = runner.invoke(app, ["ask", "who warned of massive consequences?", "--json"])
    assert result.exit_code == 0, result.output
    assert "sample" not in result.stderr and json.loads(result.stdout)["abstained"]


# --- 4. what is printed is never a terminal command -------------------------------------------
def _no_escapes(text: str) -> None:
    for bad in ("\x1b]", "\x07", "\x1b[2J", "\x9b"):
        assert bad not in text, (bad, text)


def test_ask_and_sources_print_article_text_without_control_characters(data_dir: Path) -> None:
    folder = data_dir.parent / "articles"
    folder.mkdir()
    (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0
    answer = runner.invoke(app, ["ask", "When did the harbour in Kiel reopen?", "-k", "3"])
    assert answer.exit_code == 0, answer.output
    _no_escapes(answer.stdout)
    assert "reopened on Tuesday after the storm" in answer.stdout
    assert "[/x] Rich [bold]markup" in answer.stdout
    for args in (["sources"], ["sources", "--json"], ["ask", "When did Kiel reopen?", "--json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        _no_escapes(result.stdout)
        assert "[/x] Rich [bold]markup" in result.stdout


def test_sources_on_a_terminal_shows_titles_literally(data_dir: Path) -> None:
    """On a real pseudo-terminal `sources` draws a rich table: titles must not be markup."""
    folder = data_dir.parent / "articles"
    folder.mkdir()
    (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    env = {
        **os.environ,
        "CITEDESK_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(PROJECT_ROOT),
        "COLUMNS": "250",
        "TERM": "xterm",
    }
    # In child processes: an embedded store stays locked by the process that opened it.
    subprocess.run(
        [sys.executable, "-m", "citedesk", "ingest", str(folder)],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "citedesk", "sources"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=PROJECT_ROOT,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    assert process.wait(timeout=10) == 0, output.decode(errors="replace")
    text = output.decode("utf-8", "replace")
    _no_escapes(text)
    assert "[/x] Rich [bold]markup" in text and "Traceback" not in text


# --- 10. smaller holes -------------------------------------------------------------------------
def test_a_changed_chunk_size_rechunks_stored_articles(tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    with Desk.open(make_settings(tmp_path / "data", CITEDESK_CHUNK_CHARS=1500)) as desk:
        first = desk.ingest([str(corpus)])
        assert first.added == 5
        wide = desk.chunk_count()
    with Desk.open(make_settings(tmp_path / "data", CITEDESK_CHUNK_CHARS=300)) as desk:
        again = desk.ingest([str(corpus)])
        assert (again.updated, again.unchanged) == (5, 0)
        assert desk.chunk_count() > wide
        assert desk.ingest([str(corpus)]).unchanged == 5


def test_a_fifo_or_device_given_to_ingest_is_an_error_line(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text("Harbour\n\nThe harbour in Kiel reopened on Tuesday.\n")
    os.mkfifo(folder / "pipe.txt")
    os.mkfifo(tmp_path / "lone.txt")
    result = runner.invoke(
        app, ["ingest", str(folder), str(tmp_path / "lone.txt"), "/dev/null", "--json"]
    )
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, result.stderr
    assert sum("not a regular file" in e for e in errors) == 2, errors
    assert any("/dev/null" in e for e in errors), errors
    assert json.loads(result.stdout)["added"] == 1
