"""Cleaning keeps the story: briefs, one-line files and pages heavier in furniture than story."""

from __future__ import annotations

from pathlib import Path

import pytest

from citedesk.errors import BadInputError
from citedesk.ingest._clean import clean_article
from citedesk.ingest._load import load_file

STORY = (
    "The harbour board of Kelso voted on Monday to rebuild the north pier. The work will cost "
    "4.2 million pounds and start in March, the board's chair, Ada Brennan, told reporters. "
    "Fishing crews had asked for repairs since a storm damaged the pier two winters ago"
)


def test_a_short_wire_brief_is_kept() -> None:
    brief = (
        "KELSO, March 3 (Reuters) - The harbour board voted to rebuild the north pier on Monday."
    )
    assert clean_article(brief).text == brief


def test_a_one_line_story_that_ends_without_a_full_stop_is_kept() -> None:
    assert clean_article(f"Pier to be rebuilt\n\n{STORY}").text == STORY


def test_a_one_line_story_with_a_credit_and_notice_stuck_to_it_keeps_the_story() -> None:
    line = f"{STORY}. Featured image via Getty Images. © 2026 Kelso Times. All rights reserved."
    text = clean_article(line).text
    assert text.startswith("The harbour board") and "4.2 million pounds" in text
    assert "All rights reserved" not in text


def test_boilerplate_longer_than_the_story_does_not_hide_it() -> None:
    furniture = "\n".join(
        ["Share this:", "Like this:", "Subscribe to our newsletter", "Advertisement"] * 30
        + [f"More stories: headline number {n}" for n in range(40)]
    )
    text = clean_article(f"{furniture}\n{STORY}.\n{furniture}").text
    assert "4.2 million pounds" in text and "Subscribe" not in text


def test_every_shared_distractor_article_is_kept() -> None:
    folder = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "distractors"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/distractors is not beside the project")
    refused = []
    for path in sorted(folder.glob("*.txt")):
        try:
            load_file(path, 5_000_000)
        except BadInputError:
            refused.append(path.name)
    assert refused == []


def test_a_file_with_no_story_at_all_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "empty.txt"
    page.write_text("Share this:\nLike this:\nAdvertisement\nMenu\n")
    with pytest.raises(BadInputError, match="no article text"):
        load_file(page, 5_000_000)
