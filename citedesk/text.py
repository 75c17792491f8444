"""Sentence spans over a text, shared by the chunker and the answering engine."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import threading
import types
from functools import lru_cache
from pathlib import Path
from typing import Any

_PARAGRAPH = re.compile(r"[^\n]+")
# Scraped text often loses the space between sentences ("his account.So, why ..."), which punkt
# cannot see as a boundary. A word of two or more lower-case letters, an end mark, an optional
# closing quote, then a capitalised word is one: "Mr.Smith" and "U.S.Army" are not split.
_GLUED_BOUNDARY = re.compile(r"(?<=[a-z]{2}[.!?])[\"”’']?(?=[A-Z][a-z])")
_IMPORT_LOCK = threading.Lock()
# Abbreviations punkt's English tables lack that stand before a name ("Florida Gov. Rick Scott",
# "Sgt. La David Johnson", "Viacom18 Media Pvt. Ltd") or inside a sentence ("e.g.", "approx."):
# without them the quote of "Trump was encouraging Florida Gov." ended there.
# ("govt" is left out: "criticised by the govt. Modi said ..." ends a sentence as often.)
_MORE_ABBREVIATIONS = {"approx", "capt", "cmdr", "dept", "e.g", "gov", "i.e", "pvt", "sgt"}
# A period after these is no sentence end when a number follows: "Rs. 1.35 lakh crore",
# "No. 10 Downing Street", "Art. 370". Written as abbreviations are (a sentence may end in "no."
# or "art." and the next begin with a year).
_BEFORE_A_NUMBER = re.compile(r"(?:^|[\s(])(?:No|Nos|Rs|Re|Art|Sec|Vol|Fig|pp|ch|ca)\.\s*$")


def _punkt_modules() -> tuple[Any, Any]:
    """Import nltk's punkt module without running `nltk/__init__.py`.

    `import nltk` takes about 1.8 s here because its __init__ pulls in scipy and scikit-learn;
    punkt itself needs only a few small nltk modules. While punkt loads, `nltk` and
    `nltk.tokenize` are bare package stubs; afterwards every nltk module loaded that way leaves
    sys.modules again, so a later `import nltk` anywhere in the process runs normally.
    """
    if "nltk" in sys.modules:  # the real package is already there: use it as it is
        return importlib.import_module("nltk.tokenize.punkt"), importlib.import_module(
            "nltk.tabdata"
        )
    spec = importlib.util.find_spec("nltk")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nltk is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    with _IMPORT_LOCK:
        before = set(sys.modules)
        for name, folder in (("nltk", root), ("nltk.tokenize", root / "tokenize")):
            stub = types.ModuleType(name)
            stub.__path__ = [str(folder)]
            sys.modules[name] = stub
        try:
            return importlib.import_module("nltk.tokenize.punkt"), importlib.import_module(
                "nltk.tabdata"
            )
        finally:
            for name in set(sys.modules) - before:
                if name == "nltk" or name.startswith("nltk."):
                    del sys.modules[name]


def _nltk_cache() -> Path:
    # llama-index ships the punkt tables, so nothing is downloaded at run time; find them without
    # importing llama_index.core (1.6 s).
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("llama-index-core is not installed")
    core = Path(next(iter(spec.submodule_search_locations)))
    return core / "_static" / "nltk_cache"


@lru_cache(maxsize=1)
def _punkt() -> Any:
    punkt, tabdata = _punkt_modules()
    # What `PunktTokenizer("english")` loads (punkt.load_punkt_params), read with plain open():
    # nltk.data's checked opener looks its search path up in the whole nltk package.
    tables = _nltk_cache() / "tokenizers" / "punkt_tab" / "english"
    decoder = tabdata.PunktDecoder()
    params = punkt.PunktParameters()
    with (tables / "collocations.tab").open(encoding="utf-8") as lines:
        params.collocations = set(decoder.tab2tups(lines))
    with (tables / "sent_starters.txt").open(encoding="utf-8") as lines:
        params.sent_starters = decoder.txt2set(lines)
    with (tables / "abbrev_types.txt").open(encoding="utf-8") as lines:
        params.abbrev_types = decoder.txt2set(lines) | _MORE_ABBREVIATIONS
    with (tables / "ortho_context.tab").open(encoding="utf-8") as lines:
        params.ortho_context = decoder.tab2intdict(lines)
    return punkt.PunktSentenceTokenizer(params)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of every sentence; no sentence crosses a line break."""
    spans: list[tuple[int, int]] = []
    tokenizer = _punkt()
    for paragraph in _PARAGRAPH.finditer(text):
        base = paragraph.start()
        pieces: list[tuple[int, int]] = []
        for start, end in tokenizer.span_tokenize(paragraph.group()):
            cuts = [
                base + match.end()
                for match in _GLUED_BOUNDARY.finditer(paragraph.group(), start, end)
                if match.start() > start  # inside the sentence, not at its start
            ]
            for piece_start, piece_end in zip(
                [base + start, *cuts], [*cuts, base + end], strict=True
            ):
                if not text[piece_start:piece_end].strip():
                    continue
                if (
                    pieces
                    and text[piece_start].isdigit()
                    and _BEFORE_A_NUMBER.search(text[pieces[-1][0] : pieces[-1][1]])
                ):
                    pieces[-1] = (pieces[-1][0], piece_end)
                else:
                    pieces.append((piece_start, piece_end))
        spans += pieces
    return spans
