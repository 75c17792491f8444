"""Where an ingest inside an answering process puts its memory: a heap profile with memray.

Reproduces the in-bot ingest of `run_all.py --only bot` without Telegram: a Desk on a copy of a
built store answers questions in one thread while another ingests real articles (chunking and
embedding in a child process, as the bot does). memray records every allocation of that process,
native ones included; the report groups what is live by the first frame of ours or of a library
(allocations made on Chroma's own threads, whose library carries no symbols, are one group) and
prints it before the ingest, at the heap's peak and at the end, beside the process's RSS.

    pip install memray   # not a citedesk dependency
    python benchmarks/profile_ingest_memory.py --store /tmp/scale-data

It copies the store first (an ingest changes it) and needs about 4 GB of free disk for the
profile at 100k chunks; memray itself adds ~60 MB of RSS.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import run_all  # noqa: E402

_OURS = ("/citedesk/", "/chromadb/", "onnxruntime", "llama_index", "/benchmarks/")


def probe(store: Path, corpus: Path, questions_file: Path, marks: Path) -> None:
    """Answer questions in a thread while ingesting `corpus` into `store`, as the bot does."""
    from citedesk.process import cap_malloc_arenas

    cap_malloc_arenas()  # as `citedesk bot` does, before any thread starts
    from citedesk.desk import Desk

    desk = Desk.open(run_all.settings_for(store))
    desk.ingest_in_child = True
    questions = json.loads(questions_file.read_text())
    for question in questions[:50]:
        desk.ask(question)
    done = threading.Event()

    def ask() -> None:
        for question in itertools.cycle(questions):
            if done.is_set():
                return
            desk.ask(question)

    asker = threading.Thread(target=ask)
    started = time.time()
    asker.start()
    report = desk.ingest([str(corpus)])
    done.set()
    asker.join()
    marks.write_text(json.dumps({"ingest_start": started, "ingest_end": time.time()}))
    print(f"ingested: {report.added} added, {len(report.errors)} errors", file=sys.stderr)


def _group(record: Any) -> str:
    try:
        stack = record.hybrid_stack_trace(max_stacks=40)
    except Exception:  # a record without a usable stack
        stack = []
    for function, file, _ in stack:
        if any(mark in file for mark in _OURS):
            return f"{file.split('site-packages/')[-1].split(str(ROOT) + '/')[-1]}: {function}"
    if stack and {f for f, _, _ in stack} <= {"<unknown>", "start_thread", "clone3"}:
        return "Chroma's Rust threads (library without symbols)"
    return "the interpreter (imports, code objects)"


def analyse(capture: Path, marks: dict[str, float], top: int) -> str:
    """A markdown table: MB live per group before the ingest, at the heap's peak, at the end."""
    from memray import FileReader

    reader = FileReader(capture)
    snapshots = list(reader.get_memory_snapshots())
    times = [snapshot.time / 1000 for snapshot in snapshots]
    # Live bytes per group at each snapshot, from allocation intervals (a difference array).
    deltas: dict[str, list[int]] = defaultdict(lambda: [0] * (len(snapshots) + 1))
    for record in reader.get_temporal_allocation_records(merge_threads=True):
        row = deltas[_group(record)]
        for interval in record.intervals:
            row[min(interval.allocated_before_snapshot, len(snapshots))] += interval.n_bytes
            if interval.deallocated_before_snapshot is not None:
                row[min(interval.deallocated_before_snapshot, len(snapshots))] -= interval.n_bytes
    live = {name: list(itertools.accumulate(row))[: len(snapshots)] for name, row in deltas.items()}

    def nearest(moment: float) -> int:
        return min(range(len(times)), key=lambda i: abs(times[i] - moment))

    points = {
        "before the ingest": nearest(marks["ingest_start"]),
        "heap's peak": max(range(len(snapshots)), key=lambda i: snapshots[i].heap),
        "end": len(snapshots) - 1,
    }
    mb = 2**20
    lines = [
        "| MB live | " + " | ".join(points) + " |",
        "|---|" + "---:|" * len(points),
    ]
    for name in sorted(live, key=lambda n: -max(live[n][i] for i in points.values()))[:top]:
        cells = " | ".join(f"{live[name][i] / mb:.1f}" for i in points.values())
        lines.append(f"| {name} | {cells} |")
    heap = " | ".join(f"{snapshots[i].heap / mb:.1f}" for i in points.values())
    rss = " | ".join(f"{snapshots[i].rss / mb:.1f}" for i in points.values())
    lines += [f"| **heap, all groups** | {heap} |", f"| **RSS** | {rss} |"]
    at = " | ".join(f"{times[i] - marks['ingest_start']:+.0f} s" for i in points.values())
    lines.append(f"| (time from the ingest's start) | {at} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a built store (run_all.py --scale-data)")
    parser.add_argument("--articles", type=int, default=1000, help="articles to ingest")
    parser.add_argument("--distractors", help="the shared distractor corpus folder")
    parser.add_argument("--top", type=int, default=15, help="groups to show")
    parser.add_argument("--keep", type=Path, help="keep the memray capture here")
    parser.add_argument("--probe", nargs=4, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(*args.probe)
        return
    if args.store is None:
        parser.error("--store is required")
    if importlib.util.find_spec("memray") is None:
        parser.error("memray is not installed here: pip install memray")
    distractors = run_all.distractor_folder(args.distractors)
    with tempfile.TemporaryDirectory(prefix="citedesk-memprofile-") as tmp:
        work = Path(tmp)
        store, corpus = work / "store", work / "corpus"
        shutil.copytree(args.store, store, ignore=shutil.ignore_patterns("*.lock"))
        run_all.write_scaled_corpus(distractors, corpus, args.articles, seed=77)
        questions = work / "questions.json"
        questions.write_text(json.dumps(run_all.questions_from(distractors, 200)))
        capture, marks = args.keep or work / "ingest.bin", work / "marks.json"
        capture.unlink(missing_ok=True)
        memray = [run_all.PY, "-m", "memray", "run", "--native", "-q", "-o", str(capture)]
        probe_args = [str(store), str(corpus), str(questions), str(marks)]
        subprocess.run(
            [*memray, __file__, "--probe", *probe_args], check=True, env=run_all.ENV, cwd=ROOT
        )
        print(analyse(capture, json.loads(marks.read_text()), args.top))


if __name__ == "__main__":
    main()
