"""`citedesk worker`: feeds and a watched folder into a real `chroma run` server, on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from children import ctrl_c_as_at_a_terminal
from typer.testing import CliRunner
from websites import KIEL, LUBECK, NewsSite, article_html

from citedesk.cli import app
from citedesk.desk import Desk
from citedesk.paths import PROJECT_ROOT
from citedesk.settings import Settings, get_settings

runner = CliRunner()
PROCESS_SECONDS = 180
STOP_SECONDS = 30
WORKER_VARIABLES = ("FEED_URLS", "CITEDESK_WATCH_DIR", "FEED_POLL_MINUTES")

ROSTOCK = (
    "Rostock port adds a night ferry\n\n"
    "A night ferry from Rostock to Trelleborg will start in May, the port authority said.\n\n"
    "Tickets go on sale next week, and cabins can be booked for the first crossings.\n"
)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    site = NewsSite()
    site.page("/kiel", KIEL)
    site.page("/lubeck", LUBECK)
    site.feed("/rss", [site.url("/kiel"), site.url("/lubeck")])
    yield site
    site.stop()


@pytest.fixture
def worker_env(
    tmp_path: Path, site: NewsSite, chroma_server: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The worker's settings in the environment: a loopback feed, a folder, the Chroma server."""
    for name in WORKER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "rostock.txt").write_text(ROSTOCK, encoding="utf-8")
    env = {
        "CITEDESK_DATA_DIR": str(tmp_path / "data"),
        "CHROMA_URL": chroma_server,
        "CITEDESK_COLLECTION": f"worker_{tmp_path.name}_{os.getpid()}",
        "FEED_URLS": site.url("/rss"),
        "FETCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CITEDESK_WATCH_DIR": str(folder),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def run_once() -> tuple[int, list[str]]:
    get_settings.cache_clear()
    result = runner.invoke(app, ["worker", "--once"])
    return result.exit_code, result.stderr.splitlines()


def summary(lines: list[str]) -> str:
    (line,) = [line for line in lines if " worker: run " in line]
    return line.split(" worker: ", 1)[1].rsplit(";", 1)[0]  # without the seconds


def test_once_ingests_the_feed_and_the_folder_then_keeps_them_current(
    worker_env: dict[str, str], site: NewsSite, tmp_path: Path
) -> None:
    status, lines = run_once()
    assert status == 0, lines
    assert "1 feed, folder" in lines[0] and "into the server store, once" in lines[0]
    assert summary(lines) == (
        "run 1: added 3, updated 0, unchanged 0, removed 0; 3 chunks written; 0 errors"
    )
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with Desk.open(settings) as desk:
        assert {r.title for r in desk.sources()} == {
            "Harbour reopens after storm",
            "Bridge in Lübeck closed for repairs",
            "Rostock port adds a night ferry",
        }
        answer = desk.ask("When will the ferries to Oslo sail again?")
        assert "from Wednesday morning" in answer.citations[0].quote

    status, lines = run_once()
    assert status == 0 and summary(lines).startswith(
        "run 1: added 0, updated 0, unchanged 3, removed 0; 0 chunks written; 0 errors"
    )

    # A story changes on the site and a file leaves the folder: updated, and pruned.
    site.page("/kiel", KIEL.replace("Wednesday morning", "Thursday evening"))
    (tmp_path / "inbox" / "rostock.txt").unlink()
    status, lines = run_once()
    assert status == 0
    assert summary(lines).startswith("run 1: added 0, updated 1, unchanged 1, removed 1;")
    with Desk.open(settings) as desk:
        assert len(desk.sources()) == 2
        answer = desk.ask("When will the ferries to Oslo sail again?")
        assert "from Thursday evening" in answer.citations[0].quote


def test_a_failing_source_is_reported_and_the_rest_goes_in(
    worker_env: dict[str, str], site: NewsSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.page("/harbour", article_html("Harbour fees", ["Harbour fees in Kiel rise in June."]))
    site.feed("/rss", [site.url("/harbour"), site.url("/gone")])
    monkeypatch.setenv("FEED_URLS", f"{site.url('/rss')},{site.url('/missing-feed')}")
    status, lines = run_once()
    assert status == 1
    errors = [line for line in lines if " worker: error: " in line]
    assert len(errors) == 2
    assert any("/gone" in line and "404" in line for line in errors), errors
    assert any("/missing-feed" in line and "404" in line for line in errors), errors
    assert summary(lines).startswith("run 1: added 2, updated 0, unchanged 0, removed 0;")


def test_without_feeds_or_a_folder_it_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in WORKER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CITEDESK_DATA_DIR", str(tmp_path / "data"))
    status, lines = run_once()
    assert status == 1
    assert lines == ["error: nothing to ingest: set FEED_URLS and/or CITEDESK_WATCH_DIR"]
    assert not (tmp_path / "data").exists()  # it stopped before opening any store


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_the_running_worker_stops_cleanly(worker_env: dict[str, str], stop: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env |= {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "FEED_POLL_MINUTES": "60"}
    with ctrl_c_as_at_a_terminal():
        process = subprocess.Popen(
            [sys.executable, "-m", "citedesk", "worker"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    watchdog = threading.Timer(PROCESS_SECONDS, process.kill)
    watchdog.start()
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # the first run, then it sleeps for an hour
            seen.append(line)
            if " worker: run 1: added 3," in line:
                process.send_signal(stop)
                break
        _, rest = process.communicate(timeout=STOP_SECONDS)
    finally:
        watchdog.cancel()
    assert process.returncode == 0, "".join(seen) + rest
    assert rest.strip().endswith("worker: stopped"), rest
