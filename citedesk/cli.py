"""The `citedesk` command: ingest, ask, chat, bot, sources, eval, worker."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from citedesk.errors import BadInputError, CitedeskError
from citedesk.paths import SAMPLE_CORPUS
from citedesk.process import cap_malloc_arenas
from citedesk.version import __version__

# Heavy modules load inside the commands that need them, so that --help, --version and usage
# errors answer at once.
if TYPE_CHECKING:
    from rich.progress import Progress

    from citedesk.answering.models import Answer
    from citedesk.desk import Desk, EvalReport
    from citedesk.settings import Settings


def get_settings() -> Settings:
    """citedesk.settings.get_settings, imported on first use (pydantic-settings is slow to load)."""
    from citedesk.settings import get_settings as cached_settings

    return cached_settings()


app = typer.Typer(
    help="Answer questions about news articles with verified, cited passages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]

# Text from articles, URLs and files may carry terminal commands (ESC ]0;title BEL, ESC [2J, the
# one-byte CSI \x9b) or bidi overrides that make text read differently: none of it is printed.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# In JSON, control characters below \x20 are escaped already; escape the rest the same way.
_UNPRINTABLE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _plain(text: object) -> str:
    """Text safe to print: no control characters (tabs become spaces), no bidi overrides."""
    return _UNPRINTABLE.sub("", str(text or "").replace("\t", " "))


def _one_line(text: object) -> str:
    return " ".join(_plain(text).split())


def _json(data: object) -> str:
    """JSON whose strings carry no raw terminal or bidi control characters."""
    dumped = json.dumps(data, ensure_ascii=False)
    return _UNPRINTABLE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def _print_version(value: bool) -> None:
    if value:
        out.print(f"citedesk {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Answer questions about news articles with verified, cited passages."""


def _quiet_libraries() -> None:
    """Keep library chatter (progress bars, telemetry notices) off the terminal."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("chromadb", "httpx", "sentence_transformers", "transformers", "bm25s"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # Importing transformers takes seconds and the bundled model does not need it; when another
    # model loads it, HF_HUB_DISABLE_PROGRESS_BARS (above) already keeps its bars off.
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Turn our errors into one line on stderr and exit status 1; Ctrl-C into status 130."""
    try:
        yield
    except CitedeskError as exc:
        err.print(f"error: {_one_line(exc)}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        raise typer.Exit(130) from None


def _run(body: Callable[[], T]) -> T:
    with _one_line_errors():
        _quiet_libraries()
        return body()


def _desk(settings: Settings | None = None, *, seed_sample: bool = False) -> Desk:
    """Open the Desk; with `seed_sample`, a genuinely new store first gets the sample articles."""
    from citedesk.desk import Desk

    desk = Desk.open(settings or get_settings())
    if seed_sample and desk.is_new():
        err.print(
            f"The store is new: ingesting the sample corpus from {SAMPLE_CORPUS}", highlight=False
        )
        report = desk.seed_sample()
        err.print(f"Ingested {report.added} articles ({report.chunks} chunks).", highlight=False)
    return desk


def _progress_bar(json_output: bool) -> Progress:
    """A bar on stderr for a terminal; none for scripts and --json."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=json_output or not err.is_terminal,
    )


# --- ingest --------------------------------------------------------------------------------
@app.command()
def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files (.txt .md .html), folders, article URLs and RSS/Atom feed URLs."
        ),
    ] = None,
    json_output: JsonOption = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove stored articles whose files left these folders.")
    ] = False,
    feeds: Annotated[
        list[Path] | None,
        typer.Option("--feeds", help="A file listing feed URLs, one per line (may repeat)."),
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Also ingest the bundled sample articles.")
    ] = False,
) -> None:
    """Ingest articles; unchanged ones are skipped and changed ones replaced."""

    def body() -> None:
        if not paths and not feeds and not sample:  # before any import: usage errors are instant
            raise BadInputError("give files, folders or URLs to ingest, --feeds FILE, or --sample")
        desk = _desk()
        with _progress_bar(json_output) as bar:
            task = bar.add_task("ingesting", total=None)

            def progress(name: str, done: int, total: int) -> None:
                shown = _plain(name)
                bar.update(task, completed=done, total=total, description=escape(shown[:40]))
                if not err.is_terminal and not json_output:
                    err.print(f"{done}/{total} {shown}", markup=False, highlight=False)

            sources = [*(paths or []), *([str(SAMPLE_CORPUS)] if sample else [])]
            report = desk.ingest(sources, prune=prune, feed_lists=feeds or [], progress=progress)
        if json_output:
            out.print_json(json.dumps(report.as_dict()), ensure_ascii=True)
        else:
            out.print(
                f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                f"removed {report.removed}; {report.chunks} chunks written",
                highlight=False,
            )
        if (report.updated or report.removed) and not json_output:
            _compact_hint()
        for error in report.errors:
            err.print(f"error: {_one_line(error)}", markup=False, highlight=False)
        if report.errors:
            raise typer.Exit(1)

    _run(body)


# --- ask and chat --------------------------------------------------------------------------
def _print_answer(answer: Answer, json_output: bool) -> None:
    if json_output:
        out.print(_json(answer.public()), markup=False, highlight=False)
        return
    out.print(_plain(answer.answer), markup=False, highlight=False)
    if answer.citations:
        out.print("\nSources:", style="bold")
        for citation in answer.citations:
            outlet = f" — {citation.outlet}" if citation.outlet else ""
            date = f", {citation.published}" if citation.published else ""
            out.print(
                _plain(f"[{citation.n}] {citation.title}{outlet} ({citation.source}{date})"),
                markup=False,
                highlight=False,
            )
            if answer.written_by == "llm":  # the answer is the model's words: show the evidence
                out.print(f"    “{_plain(citation.quote)}”", markup=False, highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    json_output: JsonOption = False,
    k: Annotated[int | None, typer.Option("-k", help="Most passages to quote (1-10).")] = None,
) -> None:
    """Answer one question from the articles."""

    def body() -> None:
        settings = get_settings()
        if k is not None:
            if not 1 <= k <= 10:
                raise BadInputError("-k must be between 1 and 10")
            settings = settings.replace(CITEDESK_TOP_K=k)
        desk = _desk(settings, seed_sample=True)
        _print_answer(desk.ask(question), json_output)

    _run(body)


@app.command()
def chat(json_output: JsonOption = False) -> None:
    """Ask questions in a conversation; reads one question per line when piped."""

    def body() -> None:
        from citedesk.answering.models import Turn

        desk = _desk(seed_sample=True)
        history: list[Turn] = []
        interactive = sys.stdin.isatty()
        if interactive and not json_output:
            out.print("Ask about the articles. /reset forgets the conversation; Ctrl-D quits.")
        failed = False
        while True:
            try:
                line = input("> " if interactive else "")
            except EOFError:
                break
            if line.strip() == "/reset":
                history.clear()
                if interactive:
                    out.print("(conversation forgotten)")
                continue
            if not line.strip() and interactive:
                continue
            try:
                answer = desk.ask(line, history)
            except BadInputError as exc:
                failed = True
                err.print(f"error: {_one_line(exc)}", markup=False, highlight=False)
                continue
            history = [*history, Turn.from_answer(answer)][-10:]
            _print_answer(answer, json_output)
            if not json_output:
                out.print()
        if failed and not interactive:
            raise typer.Exit(1)

    _run(body)


# --- sources, eval, bot --------------------------------------------------------------------
@app.command()
def sources(json_output: JsonOption = False) -> None:
    """List the ingested articles."""

    def body() -> None:
        records = _desk().sources()
        if json_output:
            dumped = [record.model_dump(exclude={"text"}) for record in records]
            out.print(_json(dumped), markup=False, highlight=False)
            return
        if not records:
            out.print("No articles yet: run `citedesk ingest PATH`.")
            return
        columns = ("id", "title", "outlet", "published", "ingested", "chunks", "source")
        rows = [
            tuple(
                _plain(field)
                for field in (
                    r.id,
                    r.title,
                    r.outlet,
                    r.published,
                    r.ingested_at,
                    r.chunks,
                    r.source,
                )
            )
            for r in records
        ]
        if not out.is_terminal:  # a pipe gets one tab-separated line per article
            for row in rows:
                out.print("\t".join(row), markup=False, highlight=False)
            return
        from rich.table import Table

        table = Table(*columns)
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))  # Text: never read as rich markup
        out.print(table)

    _run(body)


@app.command()
def remove(
    articles: Annotated[
        list[str], typer.Argument(help="Article ids or sources, as `citedesk sources` shows them.")
    ],
    json_output: JsonOption = False,
) -> None:
    """Remove articles and all their chunks from the store."""

    def body() -> None:
        removed = _desk().remove(articles)
        if json_output:
            out.print(json.dumps({"removed": removed}), markup=False, highlight=False)
            return
        for article_id in removed:
            out.print(f"removed {_plain(article_id)}", markup=False, highlight=False)
        _compact_hint()

    _run(body)


def _compact_hint() -> None:
    err.print(
        "Chroma keeps the vectors of replaced and removed chunks in its index: "
        "`citedesk compact` (with the bot stopped) gives the space back.",
        markup=False,
        highlight=False,
    )


@app.command()
def compact(json_output: JsonOption = False) -> None:
    """Rebuild the vector index without the space of removed and replaced articles.

    Chroma keeps every removed chunk's vector in its index, so a store whose articles are often
    replaced (or re-ingested after an upgrade) grows in memory and on disk. Stop the bot and
    workers that use the store first.
    """

    def body() -> None:
        desk = _desk()
        folder = desk.settings.store.chroma_dir if desk.store_kind == "embedded" else None
        before = _folder_bytes(folder)
        with _progress_bar(json_output) as bar:
            task = bar.add_task("compacting", total=None)
            chunks = desk.compact(lambda done, total: bar.update(task, completed=done, total=total))
        after = _folder_bytes(folder)
        if json_output:
            report = {"chunks": chunks, "bytes_before": before, "bytes_after": after}
            out.print(json.dumps(report), markup=False, highlight=False)
            return
        sizes = (
            f"; {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB on disk"
            if before is not None and after is not None
            else ""
        )
        out.print(f"compacted {chunks} chunks{sizes}", markup=False, highlight=False)
        if desk.store_kind == "server":
            err.print("Restart the bots and workers that use this Chroma server.", highlight=False)

    _run(body)


def _folder_bytes(folder: Path | None) -> int | None:
    if folder is None:
        return None
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


@app.command(name="eval")
def evaluate_command(
    files: Annotated[list[Path], typer.Argument(help="Evaluation sets, one JSON object per line.")],
    json_output: JsonOption = False,
    misses: Annotated[bool, typer.Option("--misses", help="List every wrong item.")] = False,
) -> None:
    """Score answers on evaluation sets: hit rate, MRR, abstain accuracy, per category."""

    def body() -> None:
        desk = _desk(seed_sample=True)
        reports = {str(file): desk.evaluate(file) for file in files}
        if json_output:
            dumped = {name: report.summary() for name, report in reports.items()}
            out.print(json.dumps(dumped), markup=False, highlight=False)
            return
        for name, report in reports.items():
            out.print(
                f"{name}: {report.items} questions ({report.answerable} answerable): hit rate "
                f"{report.hit_rate:.1%} (strict {report.overall.strict_hit_rate or 0:.1%}), "
                f"MRR {report.mrr:.3f}, abstain accuracy {report.abstain_accuracy:.1%}",
                markup=False,
                highlight=False,
            )
            if len(report.by_category) > 1:
                out.print(category_table(report), markup=False, highlight=False)
            wrong = [result for result in report.results if not result.correct]
            for result in wrong if misses else []:
                out.print(
                    f"  miss [{result.category}] {_plain(result.question)}",
                    markup=False,
                    highlight=False,
                )

    _run(body)


def percent(value: float | None) -> str:
    """A share as a percentage, or a dash where there is none (no answerable questions)."""
    return "–" if value is None else f"{value:.1%}"


def category_table(report: EvalReport) -> str:
    """The per-category scores as a Markdown table."""
    lines = [
        "| category | questions | hit rate | strict hit rate | MRR | abstain accuracy |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    rows = [
        *report.by_category.items(),
        *((f"corpus: {name}", scores) for name, scores in report.by_corpus.items()),
        ("all", report.overall),
    ]
    for name, scores in rows:
        mrr = "–" if scores.mrr is None else f"{scores.mrr:.3f}"
        lines.append(
            f"| {name} | {scores.items} | {percent(scores.hit_rate)} | "
            f"{percent(scores.strict_hit_rate)} | {mrr} | {percent(scores.abstain_accuracy)} |"
        )
    return "\n".join(lines)


@app.command()
def bot() -> None:
    """Run the Telegram bot (needs TELEGRAM_BOT_TOKEN)."""

    def body() -> None:
        from citedesk.bot.app import run_bot

        cap_malloc_arenas()  # before the Desk and the bot start their threads
        # The bot's own messages (startup, feed polls, errors) are worth seeing; libraries' are not.
        logging.getLogger("citedesk").setLevel(logging.INFO)
        settings = get_settings()
        run_bot(settings, _desk(settings, seed_sample=True))

    _run(body)


# --- worker --------------------------------------------------------------------------------
# How much lower than the bot's the worker's CPU priority is (`nice`).
WORKER_NICENESS = 10


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # `docker stop` sends SIGTERM: stop the way Ctrl-C does. Each article is committed whole,
    # so stopping between or inside articles leaves a store that answers, and the next run
    # completes the rest.
    raise KeyboardInterrupt


def _worker_log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    err.print(f"{stamp} worker: {message}", markup=False, highlight=False)


@app.command()
def worker(
    once: Annotated[
        bool,
        typer.Option("--once", help="Run once and exit; exit status 1 if a source failed."),
    ] = False,
) -> None:
    """Ingest FEED_URLS and CITEDESK_WATCH_DIR every FEED_POLL_MINUTES until stopped."""

    def body() -> None:
        # Ingest is batch work beside a bot answering people (on 2 cores, the model's threads
        # took the CPU from questions): let the scheduler favour the bot.
        with suppress(OSError):
            os.nice(WORKER_NICENESS)
        settings = get_settings()
        folders = [settings.fetching.watch_dir] if settings.fetching.watch_dir else []
        sources = [*settings.fetching.feed_urls, *folders]
        if not sources:
            raise BadInputError("nothing to ingest: set FEED_URLS and/or CITEDESK_WATCH_DIR")
        try:
            with _desk(settings) as desk:
                feeds = len(settings.fetching.feed_urls)
                what = [
                    f"{feeds} feed{'' if feeds == 1 else 's'}",
                    *(f"folder {f}" for f in folders),
                ]
                _worker_log(
                    f"{', '.join(what)} into the {desk.store_kind} store, "
                    + ("once" if once else f"every {settings.fetching.feed_poll_minutes} min")
                )
                run = 0
                while True:
                    run += 1
                    started = time.monotonic()
                    # Only the watched folder is pruned: articles from feeds are never removed.
                    report = desk.ingest(sources, prune=bool(folders))
                    for error in report.errors:
                        _worker_log(f"error: {error}")
                    _worker_log(
                        f"run {run}: added {report.added}, updated {report.updated}, unchanged "
                        f"{report.unchanged}, removed {report.removed}; {report.chunks} chunks "
                        f"written; {len(report.errors)} errors; "
                        f"{time.monotonic() - started:.1f} s"
                    )
                    if once:
                        if report.errors:
                            raise typer.Exit(1)
                        return
                    time.sleep(settings.fetching.feed_poll_minutes * 60)
        except KeyboardInterrupt:
            _worker_log("stopped")

    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        _run(body)
    finally:
        signal.signal(signal.SIGTERM, previous)
