"""Follow-up questions made standalone from the last turn, without an LLM."""

from __future__ import annotations

import pytest

from citedesk.answering.followup import resolve
from citedesk.answering.models import Turn

PROPER = {"peskov", "gandhi", "kremlin", "biden", "baerbock", "moscow", "india", "london"}


def turn(question: str, *quotes: str) -> Turn:
    return Turn(question=question, resolved_question=question, quotes=list(quotes))


def test_he_after_a_who_question_is_the_person_in_the_answer() -> None:
    last = turn("Who is the Kremlin spokesman?", "Kremlin spokesman Dmitry Peskov said on Tuesday.")
    assert "Dmitry Peskov" in resolve("What did he deny?", [last], PROPER)


def test_he_after_a_question_about_someone_is_that_someone() -> None:
    last = turn(
        "Where did Gandhi study law?",
        "Gandhi enrolled at the Inner Temple in London, advised by Dadabhai Naoroji.",
    )
    assert resolve("and when did he go back to India?", [last], PROPER).startswith(
        "and when did Gandhi go back"
    )


def test_sentence_initial_and_calendar_words_are_not_people() -> None:
    last = turn(
        "Who is the Kremlin spokesman?",
        "Prior to the trip, Kremlin spokesman Dmitry Peskov said on Tuesday that talks would go on.",
    )
    resolved = resolve("what did he deny?", [last], PROPER)
    assert "Prior" not in resolved and "Tuesday" not in resolved and "Peskov" in resolved


def test_the_other_one_is_another_person_from_the_last_answer() -> None:
    last = turn(
        "Who warned Moscow of consequences?",
        "Joe Biden warned his Russian counterpart of a terrible price.",
        "Annalena Baerbock said Russia would face massive consequences.",
    )
    first = resolve("what did he say?", [last], PROPER)
    other = resolve("and what did the other one say?", [last], PROPER)
    named = {"Joe Biden", "Annalena Baerbock"}
    assert any(name in other for name in named)
    assert not any(name in first and name in other for name in named)


def test_a_word_pointing_at_a_name_in_the_answer_adds_it() -> None:
    last = turn(
        "What did NATO propose?",
        "Stoltenberg invited Russia to a series of NATO-Russia Council meetings.",
    )
    assert "NATO-Russia Council" in resolve("what was said about the council?", [last], PROPER)


def test_a_title_before_a_name_in_the_answer_points_at_it() -> None:
    """ "the host" is the person the answer gave that title; a place before a title is not."""
    last = turn(
        "What did Sekulow insist on Fox News Sunday?",
        "The show's host, Chris Wallace, said this is weird.",
    )
    assert "Chris Wallace" in resolve("How did the host push back?", [last], PROPER)
    assert "Chris Wallace" not in resolve("How did the guest push back?", [last], PROPER)
    moved = turn("Where are the troops?", "Troops near Kiev, Ukraine's capital, were moved.")
    assert "Kiev" not in resolve("how many troops are there now?", [moved], PROPER)
    # A noun that is no role names no one: "the report", "the meeting".
    met = turn("What was said?", "At the meeting, Vladimir Putin met Emmanuel Macron.")
    assert resolve("Where was the meeting held?", [met], PROPER) == "Where was the meeting held?"
    new = turn("What changed?", "The new prime minister, Keir Starmer, promised change.")
    assert "Keir Starmer" in resolve("What did the new prime minister say?", [new], PROPER)


def test_a_standalone_question_is_left_alone() -> None:
    last = turn("Who is the Kremlin spokesman?", "Kremlin spokesman Dmitry Peskov said.")
    assert resolve("How many troops are at the border?", [last], PROPER) == (
        "How many troops are at the border?"
    )


def test_it_keeps_what_the_last_question_was_about_beside_the_names_it_points_at() -> None:
    last = Turn(
        question="What is the basic structure doctrine?",
        resolved_question="What is the basic structure doctrine?",
        quotes=["The Supreme Court held that the basic structure cannot be amended."],
    )
    resolved = resolve("which court case created it?", [last], PROPER)
    assert "Supreme Court" in resolved and "basic structure doctrine" in resolved


def test_after_who_is_a_name_the_pronoun_is_that_person() -> None:
    last = turn(
        "Who was Vece Paes?",
        "Dr. Vece Paes, an Olympic bronze medallist and sports medicine expert, was laid to rest.",
    )
    assert resolve("who is his son?", [last], PROPER | {"vece", "paes", "olympic"}) == (
        "who is Vece Paes's son?"
    )


def test_an_organisation_or_a_place_is_not_he() -> None:
    last = turn(
        "Who spoke for Washington?",
        "The State Department denied it, and State Department spokesman Ned Price said so.",
    )
    assert resolve("what did he deny?", [last], PROPER) == "what did Ned Price deny?"
    other = turn(
        "Who met in Kiev?",
        "Blinken will meet Wednesday in Kiev with President Volodymyr Zelensky.",
        "Blinken said the United States would stand by Ukraine.",
    )
    resolved = resolve("and what did the other one say?", [other], PROPER | {"kiev"})
    assert "did Kiev say" not in resolved


def test_a_title_before_a_name_is_not_part_of_the_person() -> None:
    last = turn(
        "Who is NATO's secretary general?",
        "NATO Secretary General Jens Stoltenberg renewed the alliance's support for Ukraine.",
    )
    assert resolve("what about his comments on the open door?", [last], PROPER | {"nato"}) == (
        "what about Jens Stoltenberg's comments on the open door?"
    )


def test_the_pronoun_takes_up_the_subject_not_an_object_of_a_preposition() -> None:
    last = turn(
        "What did the US envoy to the UN say about talks with Moscow on Friday?",
        "Linda Thomas-Greenfield, the US ambassador to the UN, said talks would go on.",
    )
    assert resolve("and what did she say about the embassy?", [last], PROPER).startswith(
        "and what did Linda Thomas-Greenfield say"
    )


def test_she_is_not_a_person_the_answer_calls_he() -> None:
    last = turn(
        "Who took part in the call?",
        "Russian Foreign Minister Sergei Lavrov said he had spoken to Annalena Baerbock.",
        "Annalena Baerbock said she wanted an open and honest talk.",
    )
    assert "Sergei Lavrov" not in resolve("what did she say?", [last], PROPER)


def test_they_is_not_one_person_of_the_last_question() -> None:
    """ "They" is the newspapers, the Republicans, the elements: the last question goes with the
    follow-up, and no name is put in the pronoun's place."""
    last = turn(
        "Which newspapers did Bal Gangadhar Tilak start?",
        "Tilak started two weeklies, Kesari in Marathi and Mahratta in English.",
    )
    resolved = resolve("Which languages were they published in?", [last], PROPER)
    assert resolved == (
        "Which languages were they published in? (Which newspapers did Bal Gangadhar Tilak start?)"
    )
    last = turn("What did Dan Rather predict about Republicans defecting from Trump?")
    assert "they" in resolve("why would they do that?", [last], PROPER)


def test_a_question_s_first_word_is_not_part_of_a_name() -> None:
    """ "Which BJD MP warned ...?" then "what did the minister say back to him?": him is the MP
    the answer names, not "Which BJD MP"."""
    last = turn(
        "Which BJD MP warned in the Rajya Sabha debate that the sports bill centralises power?",
        "During the discussion, BJD MP Subhashish Khuntia raised concerns about the bill.",
    )
    resolved = resolve("what did the minister say back to him?", [last], PROPER)
    assert "Which" not in resolved and "Subhashish Khuntia" in resolved


def test_a_chain_of_follow_ups_keeps_its_topic_without_nesting_each_in_the_next() -> None:
    history = [turn("What did Baerbock say about the talks in Moscow?", "Baerbock said so.")]
    for question in ["and when?", "and where?", "and why?", "what about it?"] * 3:
        resolved = resolve(question, history, PROPER)
        history.append(Turn(question=question, resolved_question=resolved, quotes=["Yes."]))
    # Each follow-up went to retrieval as a question ten levels deep, and grew the chat's data.
    assert resolved.count("(") == 1 and len(resolved) < 120
    assert "Baerbock" in resolved and "Moscow" in resolved
    # The last follow-up's own words go with the topic.
    assert resolve("and how?", history, PROPER) == "and how? (what about it? " + (
        "What did Baerbock say about the talks in Moscow?)"
    )


def test_he_is_a_person_not_a_company_named_first() -> None:
    """ "he" takes a name given in full (Roger Stone) before a one-word name the texts never
    give a first name to (Twitter); before, the first capitalised word was taken."""
    last = turn(
        "Why did Twitter suspend Roger Stone's account?",
        "Roger Stone lost it to such a degree, Twitter suspended his account.",
    )
    resolved = resolve("Which other journalist did he go after?", [last], {"twitter", "stone"})
    assert resolved == "Which other journalist did Roger Stone go after?"


def test_he_after_a_which_question_is_the_person_in_the_answer() -> None:
    """ "Which former Arizona sheriff did Trump pardon?" asks for a person, as "who" does: "he"
    is the one the answer names (Joe Arpaio), not the name in the question (Trump)."""
    last = turn(
        "Which former Arizona sheriff did Trump pardon?",
        "Donald Trump decided to pardon former Maricopa County, Arizona Sheriff Joe Arpaio.",
    )
    resolved = resolve("what did he claim about Obama?", [last], {"trump", "arizona", "arpaio"})
    assert resolved == "what did Joe Arpaio claim about Obama?"


def test_after_a_which_question_he_is_no_one_the_question_named() -> None:
    """ "Which Trump judicial nominee ...?" is answered by someone the question did not name:
    before, "he" was Trump, the name nearest the question's words."""
    last = turn(
        "Which Trump judicial nominee for Alabama was approved by the committee?",
        "The committee approved Donald Trump's nomination of Brett Talley, who has never tried a "
        "case, to a federal judgeship in Alabama.",
    )
    assert resolve("has he ever tried a case?", [last], PROPER) == (
        "has Brett Talley ever tried a case?"
    )


def test_he_and_him_are_the_question_s_person_and_the_answer_s() -> None:
    """ "Which journalist did Roger Stone attack?" then "what did he call him?": he is Stone, him
    the journalist the answer names (before: "what did Don Lemon call him?")."""
    last = turn(
        "Which journalist did Roger Stone attack on Twitter?",
        "Roger Stone went after CNN host Don Lemon in a string of tweets.",
    )
    assert resolve("and what did he call him?", [last], PROPER) == (
        "and what did Roger Stone call Don Lemon?"
    )


@pytest.mark.parametrize(
    ("question", "quote", "follow_up", "resolved"),
    [
        pytest.param(
            "Who ordered the lathi charge in Lahore?",
            "The police superintendent in Lahore, James A. Scott, ordered the lathi charge.",
            "when did he die?",
            "when did James A Scott die?",
            id="a middle initial is part of a name (not A Scott)",
        ),
        pytest.param(
            "Which Maine senator announced she would vote no?",
            "Senator Susan Collins (R-ME) announced she would vote no on the bill.",
            "what did she say?",
            "what did Susan Collins say?",
            id="capitals after a name are an affiliation (not Collins R-ME)",
        ),
        pytest.param(
            "Who won the governor's race?",
            "Democrats won the governor's race and the New York Mayor race, as Phil Murphy beat "
            "Kim Guadagno.",
            "who did he beat?",
            "who did Phil Murphy beat?",
            id="a run that ends in a title is no person (not York Mayor)",
        ),
        pytest.param(
            "Who won the mayor's race?",
            "Voters re-elected New York Mayor Bill de Blasio, who won in a landslide.",
            "who did he beat?",
            "who did Bill de Blasio beat?",
            id="a particle is part of a name",
        ),
        pytest.param(
            "Who is the CEO of Papa John's?",
            "Papa John's founder and CEO John Schnatter blamed the 2012 healthcare law.",
            "what did he say?",
            "what did John Schnatter say?",
            id="a first name in the question does not name the answer",
        ),
    ],
)
def test_names_are_read_as_news_style_writes_them(
    question: str, quote: str, follow_up: str, resolved: str
) -> None:
    assert resolve(follow_up, [turn(question, quote)], PROPER) == resolved
