"""Sentence spans: punkt loaded without `import nltk` splits exactly as nltk's PunktTokenizer."""

from __future__ import annotations

import itertools
import os
import random
import re
import subprocess
import sys
from pathlib import Path

from citedesk.ingest._clean import clean_article
from citedesk.paths import SAMPLE_CORPUS
from citedesk.text import _BEFORE_A_NUMBER, _MORE_ABBREVIATIONS, sentence_spans

ROOT = Path(__file__).resolve().parent.parent


def _distractors() -> list[Path]:
    """100 real news articles from the shared corpus beside the checkout, when it is there."""
    configured = os.environ.get("CITEDESK_DISTRACTORS")
    folders = [Path(configured)] if configured else []
    folders += [parent / "shared" / "corpus" / "distractors" for parent in ROOT.parents]
    folder = next((f for f in folders if f.is_dir()), None)
    if folder is None:
        return []
    files = sorted(folder.iterdir())
    random.Random(7).shuffle(files)
    return files[:100]


def _reference_spans(text: str) -> list[tuple[int, int]]:
    """nltk imported whole, PunktTokenizer('english'), told the abbreviations citedesk adds."""
    import llama_index.core
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    cache = str(Path(llama_index.core.__file__).parent / "_static" / "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.insert(0, cache)
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types |= _MORE_ABBREVIATIONS
    spans = []
    for paragraph in re.finditer(r"[^\n]+", text):
        for start, end in tokenizer.span_tokenize(paragraph.group()):
            if text[paragraph.start() + start : paragraph.start() + end].strip():
                spans.append((paragraph.start() + start, paragraph.start() + end))
    return spans


def test_spans_refine_nltk_punkt_only_where_sentences_are_glued_or_a_number_follows() -> None:
    """Every punkt boundary is kept but one before a number after "Rs." or "No."; the only extra
    cuts are where a scrape lost the space between two sentences ("his account.So, why ...")."""
    files = sorted(SAMPLE_CORPUS.glob("*.txt")) + _distractors()
    compared = extra_cuts = merged = 0
    for path in files:
        raw = path.read_text(encoding="utf-8", errors="replace")
        for text in (raw, clean_article(raw).text):
            ours, punkt = sentence_spans(text), _reference_spans(text)
            for (start, end), (next_start, _) in itertools.pairwise(punkt):
                if end not in {e for _, e in ours}:  # joined with the next: a number follows
                    assert _BEFORE_A_NUMBER.search(text[start:end]), path.name
                    assert text[next_start].isdigit(), path.name
                    merged += 1
                else:
                    assert next_start in {s for s, _ in ours}, path.name
            for start, _ in ours:
                if start not in {s for s, _ in punkt}:
                    extra_cuts += 1
                    assert re.search(r"[a-z]{2}[.!?][\"”’']?$", text[start - 4 : start]), path.name
                    assert not text[start - 1].isspace() and text[start].isupper(), path.name
            compared += 1
    assert compared >= 10
    if len(files) > 50:  # the shared news corpus is there: its scrapes glue sentences
        assert extra_cuts > 0 and merged > 0


def test_sentences_glued_by_a_scrape_are_split_and_abbreviations_are_not() -> None:
    text = "Twitter suspended his account.So, why not Trump? Mr.Smith left the U.S.Army base."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Twitter suspended his account.",
        "So, why not Trump?",
        "Mr.Smith left the U.S.Army base.",
    ]


def test_a_period_before_a_number_or_a_name_after_an_abbreviation_ends_no_sentence() -> None:
    """A quote that ended at "Rs." or "Florida Gov." cut the answer off (punkt's English tables
    do not know them); "Yeah, no." and "He said no." before a year still end one."""
    text = (
        "Rs. 1.35 lakh crore was spent on 2024 Lok Sabha elections and Rs. 4-5 lakh crores on "
        "assembly polls. He lives at No. 10 Downing Street.\n"
        "Trump was encouraging Florida Gov. Rick Scott (R) to run. Ryan had said: Yeah, no. "
        "Sgt. La David Johnson was killed. He said no. 2024 will be his last year."
    )
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Rs. 1.35 lakh crore was spent on 2024 Lok Sabha elections and Rs. 4-5 lakh crores on "
        "assembly polls.",
        "He lives at No. 10 Downing Street.",
        "Trump was encouraging Florida Gov. Rick Scott (R) to run.",
        "Ryan had said: Yeah, no.",
        "Sgt. La David Johnson was killed.",
        "He said no.",
        "2024 will be his last year.",
    ]


def test_sentence_spans_do_not_import_nltk_whole() -> None:
    code = (
        "import sys\n"
        "from citedesk.text import sentence_spans\n"
        "print(sentence_spans('Mr. Smith went to Washington. He arrived on Jan. 3.'))\n"
        "print(sorted(m for m in ('nltk', 'scipy', 'sklearn', 'llama_index.core') if m in sys.modules))\n"
        "import nltk\n"  # the real package still imports afterwards
        "print(callable(nltk.word_tokenize))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["[(0, 29), (30, 51)]", "[]", "True"]
