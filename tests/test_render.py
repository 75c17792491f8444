"""Rendering edge cases that every answer must survive, checked with Telegram's own rules."""

from __future__ import annotations

from telegram_api import MAX_TEXT, utf16_length, visible_html_text

from citedesk.answering import Answer, Citation
from citedesk.bot import render


def _answer(quotes: list[str], title: str = "T") -> Answer:
    citations = [
        Citation(
            n=i,
            source="a.txt",
            title=title,
            quote=q,
            score=1.0,
            article_id="a",
            start=0,
            end=len(q),
        )
        for i, q in enumerate(quotes, start=1)
    ]
    text = "\n\n".join(f"{q} [{i}]" for i, q in enumerate(quotes, start=1))
    return Answer(question="q", answer=text, abstained=False, citations=citations)


def test_huge_and_markup_heavy_quotes_still_fit_and_parse() -> None:
    quotes = ["<&>" * 3000, "A & B < C " * 900, "plain " * 100]
    messages = render.split_messages(render.answer_paragraphs(_answer(quotes, title="<b>" * 500)))
    assert len(messages) >= 2
    for message in messages:
        assert len(message) <= MAX_TEXT
        assert utf16_length(visible_html_text(message)) <= MAX_TEXT  # parses as Telegram HTML


def test_same_fact_header_and_every_citation_shown() -> None:
    answer = _answer(["one fact", "the same fact"])
    answer.answer = "one fact [1][2] (2 articles report this)"
    (message,) = render.split_messages(render.answer_paragraphs(answer))
    shown = visible_html_text(message)
    assert "2 articles report this" in shown and "[1]" in shown and "[2]" in shown


def test_wider_passage_and_source_pages_fit_whatever_the_article_holds() -> None:
    passage = "Fish & chips <cost> more. " * 600
    quote = "Fish & chips <cost> more."
    html = render.passage_html(1, "<Title> & co " * 100, passage, quote)
    assert len(html) <= MAX_TEXT and "&lt;cost&gt;" in html
    visible_html_text(html)  # parses as Telegram HTML
    short = render.passage_html(2, "T", f"Before. {quote} After.", quote)
    assert "<b>Fish &amp; chips &lt;cost&gt; more.</b>" in short

    from citedesk.vectorstore import ArticleRecord

    records = [
        ArticleRecord(id=str(i), source="s", title="&" * 2000, content_hash="h") for i in range(8)
    ]
    page = render.sources_page(records, 0, 8)
    assert len(page) <= MAX_TEXT
    visible_html_text(page)


def test_each_citation_shows_its_publication_date() -> None:
    answer = _answer(["The port reopened.", "Ferries sail again."])
    answer.citations[0].published = "2024-03-05"
    answer.citations[0].outlet = "Harbour Herald"
    shown = [visible_html_text(p) for p in render.answer_paragraphs(answer)]
    assert "— T, Harbour Herald, 2024-03-05 · a.txt" in shown[0]
    assert "— T · a.txt" in shown[1]  # no date known: none shown


def test_huge_outlet_title_url_and_question_still_fit() -> None:
    answer = _answer(["<&> " * 800], title="&" * 2000)
    citation = answer.citations[0]
    citation.outlet = "&" * 5000
    citation.published = "2024-03-05"
    citation.source = "https://news.example/" + "&" * 3000
    for case in (answer, Answer(question="&" * 1000, answer="", abstained=True, citations=[])):
        messages = render.split_messages(render.answer_paragraphs(case))
        assert all(len(m) <= MAX_TEXT for m in messages)
        assert all(utf16_length(visible_html_text(m)) <= MAX_TEXT for m in messages)


def test_a_thousand_article_ingest_report_fits_and_names_the_first_few() -> None:
    from citedesk.bot.admin import LISTED_IN_A_REPORT, summary
    from citedesk.ingest import IngestReport

    report = IngestReport(
        added=1000,
        chunks=6600,
        titles_added=[f"Story {i} <b>&amp; “quotes” " + "long words " * 40 for i in range(1000)],
        errors=[f"http://127.0.0.1/{i}: timed out & <gave up> " * 30 for i in range(60)],
    )
    messages = summary(report)
    seen = "\n".join(visible_html_text(message) for message in messages)  # parses as Telegram
    assert all(utf16_length(message) <= MAX_TEXT for message in messages)
    assert len(messages) <= 3  # not dozens of messages for one feed
    assert "added 1000" in seen and "failed 60" in seen
    assert seen.count("• Story ") == LISTED_IN_A_REPORT
    assert f"and {1000 - LISTED_IN_A_REPORT} more" in seen
    assert f"and {60 - LISTED_IN_A_REPORT} more" in seen
