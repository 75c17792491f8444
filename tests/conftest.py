"""Shared fixtures: the real embedding model, real Chroma (embedded and `chroma run`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Never read a developer's .env or environment into the tests.
for _name in ("CHROMA_URL", "TELEGRAM_BOT_TOKEN", "LLM_BASE_URL", "CITEDESK_DATA_DIR"):
    os.environ.pop(_name, None)

from citedesk.paths import SAMPLE_CORPUS  # noqa: E402
from citedesk.settings import Settings, get_settings  # noqa: E402

SERVER_START_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, CITEDESK_DATA_DIR=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start a real Chroma server (`chroma run`) on loopback for the session."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("the chroma command is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma run exited: {(path / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("chroma run did not answer within the time limit")
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


_collection_counter = 0


@pytest.fixture(params=["embedded", "server"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh, empty store of each kind (one collection per test on the server)."""
    global _collection_counter
    if request.param == "embedded":
        return make_settings(tmp_path / "data")
    url = request.getfixturevalue("chroma_server")
    _collection_counter += 1
    return make_settings(
        tmp_path / "data",
        CHROMA_URL=url,
        CITEDESK_COLLECTION=f"t{_collection_counter}_{os.getpid()}",
    )


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An embedded store holding the sample corpus, shared read-only by the session."""
    from citedesk.ingest import ingest_paths
    from citedesk.vectorstore import open_store

    settings = make_settings(tmp_path_factory.mktemp("sample") / "data")
    report = ingest_paths([SAMPLE_CORPUS], settings, open_store(settings))
    assert report.added == 5 and not report.errors
    return settings


@pytest.fixture(scope="session")
def desk(sample_settings: Settings):  # type: ignore[no-untyped-def]
    from citedesk.desk import Desk
    from citedesk.vectorstore import open_store

    return Desk(sample_settings, open_store(sample_settings))


@pytest.fixture(scope="session")
def engine(desk):  # type: ignore[no-untyped-def]
    return desk.engine


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample corpus."""
    target = tmp_path / "articles"
    shutil.copytree(SAMPLE_CORPUS, target)
    return target


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder for the CLI, through the environment as a user would set it."""
    monkeypatch.setenv("CITEDESK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()
