"""Does the stored text start and end where the story does? (issue 8, item 5)

Loads every article in ../shared/corpus/distractors/ through the loader ingest uses for a file
(`load_file`; a .txt file goes straight to the cleaner, no embedding model), counts refusals and
changed texts, and for a fixed, stratified sample of 30 (15 `us2017_*`, 15 `indnews_*`) writes
the stored text's ends beside verdicts judged by reading the raw file. The verdicts live in
benchmarks/cleaning_verdicts.json; each is tied to the stored text's first and last 100
characters, so a verdict whose text has changed since it was judged shows as "stale".

    PYTHONPATH=$PWD .venv/bin/python benchmarks/cleaning_check.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from citedesk.errors import BadInputError
from citedesk.ingest._load import CLEANING_VERSION, load_file
from citedesk.settings import FetchingSettings

HERE = Path(__file__).resolve().parent
# ../shared beside the main checkout; a worktree under wt/ sits one level deeper.
CORPUS = next(
    (
        up / "shared" / "corpus" / "distractors"
        for up in (HERE.parent.parent, HERE.parent.parent.parent)
        if (up / "shared" / "corpus" / "distractors").is_dir()
    ),
    HERE.parent.parent / "shared" / "corpus" / "distractors",
)
SEED = 2026
PER_STRATUM = 15
STRATA = ("us2017_", "indnews_")
ENDS = 100


def sample(files: list[Path]) -> list[Path]:
    rng = random.Random(SEED)
    picked: list[Path] = []
    for prefix in STRATA:
        stratum = sorted(f for f in files if f.name.startswith(prefix))
        picked += sorted(rng.sample(stratum, PER_STRATUM))
    return picked


def ends_key(text: str) -> str:
    """What a verdict was judged on: the stored text's first and last characters."""
    return hashlib.sha256((text[:ENDS] + "\0" + text[-ENDS:]).encode()).hexdigest()[:12]


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ⏎ ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--verdicts", type=Path, default=HERE / "cleaning_verdicts.json")
    parser.add_argument("--out", type=Path, default=HERE / "CLEANING.md")
    args = parser.parse_args()

    files = sorted(args.corpus.glob("*.txt"))
    limit = FetchingSettings().max_article_bytes
    stored: dict[str, str] = {}
    refused: dict[str, str] = {}
    for path in files:
        try:
            stored[path.name] = load_file(path, limit).text
        except BadInputError as exc:
            refused[path.name] = str(exc)

    verdicts: dict[str, Any] = json.loads(args.verdicts.read_text(encoding="utf-8"))
    judged: dict[str, dict[str, Any]] = verdicts["verdicts"]
    rows: list[str] = []
    start_ok = end_ok = stale = 0
    picked = sample(files)
    for path in picked:
        raw = path.read_text(encoding="utf-8")
        text = stored.get(path.name, "")
        verdict = judged.get(path.name)
        if verdict is None or verdict.get("key") != ends_key(text):
            stale += 1
            start, end = "stale", "stale"
        else:
            start = "yes" if verdict["start_ok"] else "**no**"
            end = "yes" if verdict["end_ok"] else "**no**"
            start_ok += bool(verdict["start_ok"])
            end_ok += bool(verdict["end_ok"])
        note = verdict.get("note", "") if verdict else ""
        rows.append(
            f"| {path.name} | {len(raw):,} | {len(text):,} | {cell(text[:ENDS])} | "
            f"{cell(text[-ENDS:])} | {start} | {end} | {cell(note)} |"
        )

    lines = [
        "# Cleaning check: does the stored text start and end where the story does?",
        "",
        "Issue 8, item 5. Regenerate with "
        "`PYTHONPATH=$PWD .venv/bin/python benchmarks/cleaning_check.py`; verdicts (judged by "
        "reading each raw file) are in `benchmarks/cleaning_verdicts.json`.",
        "",
        f"Cleaning version: `{CLEANING_VERSION}`. Corpus: {len(files):,} files in "
        f"`../shared/corpus/distractors/`, loaded with `load_file` (the ingest path for a .txt).",
        "",
        f"- Refused: **{len(refused)} of {len(files):,}**",
        f"- Sample of {len(picked)} (seed {SEED}; {PER_STRATUM} each of "
        + ", ".join(f"`{p}*`" for p in STRATA)
        + f"): start OK **{start_ok}/{len(picked)}**, end OK **{end_ok}/{len(picked)}**"
        + (f", {stale} verdicts stale (text changed since judged)" if stale else ""),
        "",
    ]
    if verdicts.get("history"):
        lines += ["## History", ""]
        lines += [f"- {entry}" for entry in verdicts["history"]]
        lines.append("")
    if refused:
        lines += ["## Refused", ""] + [f"- {name}: {why}" for name, why in refused.items()] + [""]
    lines += [
        "## Sample",
        "",
        f"First and last {ENDS} characters of the stored text (⏎ = paragraph break).",
        "",
        "| file | raw chars | stored chars | stored start | stored end | start OK | end OK | note |",
        "|---|---:|---:|---|---|---|---|---|",
        *rows,
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(
        f"refused {len(refused)}/{len(files)}; start OK {start_ok}/{len(picked)}, "
        f"end OK {end_ok}/{len(picked)}, stale {stale}; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
