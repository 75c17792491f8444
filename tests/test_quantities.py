"""A question that asks for a share, a sum, an age, a size, a date or a year is answered only by a
candidate that states one."""

from __future__ import annotations

import pytest

from citedesk.answering import ABSTAIN_TEXT, AnswerEngine
from citedesk.answering.quantities import kinds_asked, missing_quantity, states


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("What interest rate was Trump paying on that $640 million loan?", ["share"]),
        ("By how many percentage points did Northam beat Gillespie?", ["share"]),
        ("How much do tickets cost for Messi's GOAT Cup in Mumbai?", ["money"]),
        ("how much money did schnatter lose", ["money"]),
        ("How old is Danica Roem?", ["age"]),
        ("What was Vece Paes's age when he died?", ["age"]),
        ("How tall is the Messi statue in Kolkata?", ["size"]),
        ("In what year did Tilak write Gita Rahasya?", ["year"]),
        ("On what exact date in 2015 was the Minsk agreement signed?", ["date"]),
        ("What was Vece Paes's exact date of birth?", ["date"]),
        # Asking for no quantity: a verb "share", a year-end, "how much" without money.
        ("What did Manu Bhaker share on Independence Day?", []),
        ("What year-end target has BofA set for the Sensex?", []),
        ("How much did Lavrov criticise NATO?", []),
        ("Who is the Kremlin spokesman?", []),
    ],
)
def test_the_kind_of_quantity_asked_for(question: str, kinds: list[str]) -> None:
    assert kinds_asked(question) == kinds


def test_a_quantity_the_question_already_says_is_no_answer() -> None:
    question = "What interest rate was Trump paying on that $640 million loan?"
    assert not states("share", question, "Trump owed $640 million on the loan.")
    assert states("share", question, "The loan carried an interest rate of 5.5 per cent.")
    assert missing_quantity(question, ["Trump owed $640 million on the loan."]) == "share"
    assert missing_quantity(question, ["The rate was 4%.", "He owed it."]) is None
    assert missing_quantity("Who owed it?", ["He owed it."]) is None
    dated = "On what exact date in 2015 was the Minsk agreement signed?"
    assert not states("date", dated, "The Minsk agreement was signed in 2015.")
    assert states("date", dated, "It was signed on February 12, 2015.")


@pytest.mark.parametrize(
    "question",
    [
        "How much money has the US given Ukraine in aid?",
        "What interest rate does Russia charge Ukraine for gas?",
        "What percentage of Russia's troops are near Ukraine?",
        "How old is Sergei Lavrov?",
    ],
)
def test_a_near_miss_that_asks_for_a_quantity_none_states_is_refused(
    engine: AnswerEngine, question: str
) -> None:
    """The sample articles are about the aid, the gas, the troops and Lavrov, and give no sum,
    rate, share or age: each was answered with a sentence about its topic."""
    answer = engine.ask(question)
    assert answer.abstained and answer.answer == ABSTAIN_TEXT
