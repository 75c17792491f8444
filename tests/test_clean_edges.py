"""The stored text starts and ends where the story does, on one-line scrapes (made-up pages).

A plain-text scrape often puts a whole page on one line: site furniture before the story (a stock
ticker, app prompts), the story, then rails of other headlines, comment widgets and copyright
lines; the page's blocks are kept apart only by runs of spaces. Wire-style scrapes end with a
picture credit glued to the last sentence.
"""

from __future__ import annotations

from citedesk.ingest._clean import clean_article

STORY = (
    "The harbour board approved a new ferry route to the northern islands on Tuesday. "
    "Boats will run twice a day from May, the board said in a statement. "
    "Islanders had asked for the link for a decade, and the council will pay for a new pier. "
    "“This changes everything for us,” said Mara Quill, who runs a bakery on the largest island."
)


def scrape(*blocks: str, title: str = "Ferry route approved") -> str:
    """A one-line scrape: the title, a blank line, the page's blocks joined by space runs."""
    return f"{title}\n\n" + "   ".join(blocks) + "\n"


def test_picture_credit_glued_to_the_last_sentence_is_dropped() -> None:
    for credit in (
        "Featured image via Jon Doe/Getty Images",
        "Featured Image: Screenshot",
        "Featured image is a screenshot",
        "featured image via screengrab",
        "Image via Twitter.",
        "Photo by Jon Doe/Getty Images.",
        "Featured image via example-news.com",
    ):
        text = clean_article(scrape(STORY + credit)).text
        assert text == STORY, credit


def test_picture_credit_after_a_date_or_bracket_is_dropped() -> None:
    story = STORY + " She posted a clip (with music) on June 8, 2017"
    assert clean_article(scrape(story + "Featured image via Pool/Getty Images")).text == story


def test_a_picture_mentioned_in_a_story_sentence_is_kept() -> None:
    story = STORY + " The mayor shared a photo via Twitter."
    assert clean_article(scrape(story)).text == story


def test_closing_quotes_stay_with_their_sentence() -> None:
    story = (
        "Critics called the plan “a giveaway.” The board disagreed and said the route would pay "
        "for itself within five years. Officials said the pier would be ready by spring, "
        "and the first boat would sail in May (weather permitting.) Tickets go on sale soon."
    )
    assert clean_article(scrape(story)).text == story


def test_ticker_and_app_prompt_before_the_story_are_dropped() -> None:
    page = scrape(
        "+ 12.40 + 3.10 -5.00 -120.00 + 12.40 + 3.10",
        "Get Examplenews apps on Connect with us TO ENJOY ADDITIONAL BENEFITS",
        STORY,
    )
    assert clean_article(page).text == STORY


def test_headline_rail_and_comment_widget_after_the_story_are_dropped() -> None:
    rail = (
        "Why ferry stocks are rallying this week Can small ports compete with the big hubs? "
        "Five islands you should visit before summer ends Council votes on new parking rules "
        "Tides and storms: what the new forecast means for fishing crews Market Watch: "
        "shipping shares hit record highs as fuel prices fall Bakery owners ask for tax relief"
    )
    page = scrape(
        STORY,
        rail,
        "Hot on Web In Case you missed it Top Searched Companies Latest News Follow us on: "
        "Find this comment offensive? Choose your reason below and click on the Report button. "
        "This will alert our moderators to take action Stories you might be interested in",
    )
    assert clean_article(page).text == STORY


def test_copyright_dateline_and_comment_rules_after_the_story_are_dropped() -> None:
    page = scrape(
        STORY,
        "Published on August 3, 2024 Copyright© 2024, Example Publishing Ltd. BACK TO TOP "
        "Comments have to be in English, and in full sentences. They cannot be abusive or "
        "personal. Please abide by our community guidelines for posting your comments.",
    )
    assert clean_article(page).text == STORY


def test_app_and_sign_off_prompts_on_the_same_line_are_dropped() -> None:
    for tail in (
        "© 2025 Example Network. Scan the QR code to download the Example app.",
        "Stay updated with the latest sports news across all games. Catch all the action "
        "with real-time live scores.",
        "Publish Date : 3 August 2024 19:34 PM",
    ):
        assert clean_article(scrape(STORY + " " + tail)).text == STORY, tail


def test_furniture_words_inside_a_story_sentence_cut_nothing() -> None:
    story = (
        STORY + " Residents can stay updated with the latest timetable on the council website, "
        "and the board said it would publish the fares next week."
    )
    assert clean_article(scrape(story)).text == story


def test_a_copyright_line_in_front_matter_does_not_cut_the_article() -> None:
    front = (
        "Citation: Doe J (2024) Ferries and island economies. Example Journal 3(2): e101. "
        "Received: May 2, 2024; Accepted: July 1, 2024. Copyright: © 2024 Doe. This is an open "
        "access article distributed under the terms of an open licence."
    )
    body = " ".join([STORY] * 6)
    text = clean_article(scrape(front, body)).text
    assert body in text


def test_boilerplate_longer_than_the_story_still_leaves_the_story() -> None:
    brief = "The harbour board approved a new ferry route to the northern islands on Tuesday."
    furniture = (
        "Find this comment offensive? Choose your reason below and click on the Report button. "
        "This will alert our moderators to take action. Log In/Connect with: Will be displayed. "
    ) * 5
    text = clean_article(scrape(brief, furniture)).text
    assert brief in text


def test_a_sentence_split_across_blocks_keeps_its_start() -> None:
    page = scrape(
        "Harbourtown, May 2 : The harbour board has",
        "said the new ferry route to the northern islands will open in May. " + STORY,
    )
    text = clean_article(page).text
    assert text.startswith("Harbourtown, May 2 : The harbour board has said the new ferry route")
    assert text.endswith(STORY)


STORY_LINE = (
    "The sports bill, which had been waiting in the wings for over a decade, was passed after "
    "extensive consultations held over one year. It also calls for the creation of a National "
    "Sports Election Panel to oversee polls that are often mired in controversies."
)


def test_promoted_headlines_after_the_story_are_dropped() -> None:
    page = (
        f"{STORY_LINE} 9 Aphrodisiac Recipes To Spice Up Your Life 8 Questions To Ask Your "
        "Date. 8 Questions To A-V-O-I-D Get Fizzical! 9 Ultimate Cocktail Recipes"
    )
    text = clean_article(page).text
    assert text == STORY_LINE


def test_a_closing_sentence_that_names_many_people_is_kept() -> None:
    closing = (
        "Eight members of the Senate voted against the bill: Bernie Sanders, Jeff Merkley, "
        "Bob Corker, Kirsten Gillibrand, Patrick Leahy, Rand Paul, Mike Lee and Ron Wyden."
    )
    text = clean_article(f"{STORY_LINE} {closing}").text
    assert text.endswith(closing)


def test_a_page_that_repeats_its_story_keeps_one_copy() -> None:
    # An endless-scroll scrape: the story, then the same story again, then again.
    paragraphs = STORY.split(". ")
    page = "Ferry route approved\n\n" + "\n\n".join(
        [*(p.rstrip(".") + "." for p in paragraphs)] * 3
    )
    text = clean_article(page).text
    assert text.split("\n\n") == [p.rstrip(".") + "." for p in paragraphs]


def test_a_repeated_one_line_story_keeps_one_copy() -> None:
    # No line reads as finished prose here (the story stops mid-sentence), so the fallback keeps
    # the lines that carry sentences: still once each.
    brief = "Boats will run twice a day from May to the northern islands, the harbour board said"
    assert clean_article(f"Ferry route approved\n\n{brief}\n\n{brief}\n").text == brief


def test_mojibake_is_repaired_and_right_text_is_left_alone() -> None:
    right = "“We won’t wait,” said Zoë Quill — the café’s owner — on Tuesday."
    broken = right.encode("utf-8").decode("latin-1")  # what a wrong charset upstream gives
    assert broken != right
    assert clean_article(f"Ferries\n\n{STORY}\n\n{broken}\n").text.endswith(right)
    assert clean_article(f"Ferries\n\n{STORY}\n\n{right}\n").text.endswith(right)
