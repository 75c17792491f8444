"""Property tests: arbitrary article HTML and questions through ingest, ask and Telegram rendering.

Whatever comes in, nothing but our one-line CitedeskErrors escapes, and every message rendered
for Telegram fits its limits. Example counts are kept small: each example embeds real text.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram_api import visible_html_text

from citedesk.bot import render
from citedesk.desk import Answer, Desk
from citedesk.errors import CitedeskError

# Text as people and pages write it, plus what breaks parsers, terminals and HTML.
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # no lone surrogates: not UTF-8
    max_size=300,
)
_PIECES = st.one_of(
    _TEXT,
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<title>",
            "</title>",
            "<article><h1>",
            "</h1>",
            "<script>",
            "</script>",
            "<meta charset='x-no-such-charset'>",
            "&amp;",
            "&#0;",
            "<![CDATA[",
            "\x1b]0;x\x07",
            "\x1b[2J",
            "[1]",
            "<b>",
            "&",
            "<",
            " The harbour in Kiel reopened on Tuesday after the storm, officials said. ",
        ]
    ),
)
_HTML = st.lists(_PIECES, max_size=40).map("".join)
_QUESTION = st.one_of(
    _TEXT,
    st.sampled_from(["When did the harbour in Kiel reopen?", "", " ", "?" * 2000, "<b>[1]</b>"]),
)
_names = itertools.count()


@pytest.fixture(scope="module")
def fuzz_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    desk = Desk.open(make_settings(tmp_path_factory.mktemp("fuzz") / "data"))
    story = Path(tmp_path_factory.mktemp("story")) / "kiel.txt"
    story.write_text(
        "Harbour reopens\n\nThe harbour in Kiel reopened on Tuesday after the storm, "
        "harbour master Ilse Brandt said.\n",
        encoding="utf-8",
    )
    assert desk.ingest([str(story)]).added == 1
    yield desk
    desk.close()


def _check_rendering(desk: Desk, answer: Answer) -> None:
    messages = render.split_messages(render.answer_paragraphs(answer))
    assert messages
    for message in messages:
        assert len(message) <= render.MAX_MESSAGE
        assert visible_html_text(message).strip()  # Telegram refuses empty text
    for citation in answer.citations:
        passage = desk.passage(citation)
        if passage is not None:
            html = render.passage_html(citation.n, citation.title, passage, citation.quote)
            assert len(html) <= render.MAX_MESSAGE
    page = render.sources_page(desk.sources(), 0, 10)
    assert 0 < len(page) <= render.MAX_MESSAGE


def _ask(desk: Desk, question: str) -> Answer | None:
    try:
        return desk.ask(question)
    except CitedeskError as exc:
        assert str(exc) and "\n" not in str(exc), repr(exc)
        return None


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(html=_HTML, question=_QUESTION)
def test_any_article_and_question_end_in_an_answer_or_one_error_line(
    fuzz_desk: Desk, html: str, question: str
) -> None:
    name = f"page{next(_names)}.html"
    report = fuzz_desk.ingest_upload(html.encode("utf-8"), name, f"upload:{name}")
    assert report.added + report.unchanged + len(report.errors) == 1, report
    assert all(error and "\n" not in error for error in report.errors), report.errors
    for asked in (question, "When did the harbour in Kiel reopen?"):
        answer = _ask(fuzz_desk, asked)
        if answer is not None:
            _check_rendering(fuzz_desk, answer)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(question=_QUESTION)
def test_any_question_ends_in_an_answer_or_one_error_line(fuzz_desk: Desk, question: str) -> None:
    answer = _ask(fuzz_desk, question)
    if answer is not None:
        _check_rendering(fuzz_desk, answer)
