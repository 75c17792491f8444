"""A question that asks for a share, a sum, an age, a size, a date, a year or a count is answered
only by a candidate that states one."""

from __future__ import annotations

import pytest

from citedesk.answering import ABSTAIN_TEXT, AnswerEngine
from citedesk.answering.quantities import counted, kinds_asked, missing_quantity, states


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("What interest rate was Trump paying on that $640 million loan?", ["share"]),
        ("By how many percentage points did Northam beat Gillespie?", ["share"]),
        ("How much do tickets cost for Messi's GOAT Cup in Mumbai?", ["money"]),
        ("how much money did schnatter lose", ["money"]),
        ("How much extra money for Maine did the revised bill include?", ["money"]),
        ("How old is Danica Roem?", ["age"]),
        ("What was Vece Paes's age when he died?", ["age"]),
        ("How tall is the Messi statue in Kolkata?", ["size"]),
        ("In what year did Tilak write Gita Rahasya?", ["year"]),
        ("On what exact date in 2015 was the Minsk agreement signed?", ["date"]),
        ("What was Vece Paes's exact date of birth?", ["date"]),
        ("What percent of the vote did Northam win?", ["share"]),
        ("At what rate did the economy grow?", ["share"]),
        ("What was the price of a ticket?", ["money"]),
        ("What is the age of the oldest accuser?", ["age"]),
        ("How many goals did Vece Paes score at the 1972 Olympics?", ["count"]),
        ("how many MORE troops did Biden send", ["count"]),
        # Asking for no quantity, though the words are there: a verb "share", a year-end, "how
        # much" of time or of criticism, a rate or an age talked about, a bill that is a law.
        ("What did Manu Bhaker share on Independence Day?", []),
        ("What year-end target has BofA set for the Sensex?", []),
        ("How much did Lavrov criticise NATO?", []),
        ("How much time did he spend in prison?", []),
        ("How much did the Sensex lose?", []),
        ("Why did the Fed raise the interest rate?", []),
        ("What did the RBI say about the interest rate?", []),
        ("Which party won a larger proportion of the seats?", []),
        ("What is the bill about?", []),
        ("Did Biden's age come up in the debate?", []),
        ("What did Modi say about India's golden age?", []),
        ("How far did the talks get?", []),
        ("How high are tensions on the border?", []),
        ("Who is the Kremlin spokesman?", []),
        # A count that names no thing counted cannot be checked.
        ("How many of them occur naturally?", []),
        ("How many are there?", []),
    ],
)
def test_the_kind_of_quantity_asked_for(question: str, kinds: list[str]) -> None:
    assert kinds_asked(question) == kinds


def test_a_quantity_is_a_number_with_its_unit_that_the_question_does_not_already_say() -> None:
    question = "What interest rate was Trump paying on that $640 million loan?"
    assert not states("share", question, "Trump owed $640 million on the loan.")
    assert states("share", question, "The loan carried an interest rate of 5.5 per cent.")
    assert missing_quantity(question, ["Trump owed $640 million on the loan."]) == "share"
    # The unit is in the question too; the number is the answer.
    assert states("share", "What percent of the vote did Northam win?", "He won 54 percent.")
    assert states("money", "How much was the fine in rupees?", "It was 500 rupees.")
    # The sum the question names is no answer to it; another one is.
    paid = "How much did Trump pay in interest on the $640 million loan?"
    assert not states("money", paid, "Trump owed $640 million on the loan.")
    assert states("money", paid, "He paid $12 million a year in interest.")
    # A month is a date only with its day: "Ukraine may sign" is none.
    signed = "What day in February was the Minsk agreement signed?"
    assert states("date", signed, "It was signed on February 12.")
    assert not states("date", signed, "Ukraine may sign it in 2015.")
    # "one of the talks" states no age; "COVID-19" would not either in words, but any number
    # is taken for an age or a size on purpose (the shapes are lenient there).
    assert not states("age", "How old is Lavrov?", "Lavrov was one of the speakers.")
    assert missing_quantity(question, ["The rate was 4%.", "He owed it."]) is None
    assert missing_quantity("Who owed it?", ["He owed it."]) is None
    # A follow-up's context asks for nothing, but what it says is no answer.
    assert (
        missing_quantity("Why did they do it?", ["No reason."], said="What percent voted?") is None
    )
    assert missing_quantity("How much did it cost?", ["It cost $5."], said="the $5 loan") == "money"
    dated = "On what exact date in 2015 was the Minsk agreement signed?"
    assert not states("date", dated, "The Minsk agreement was signed in 2015.")
    assert states("date", dated, "It was signed on February 12, 2015.")


def test_a_count_is_a_number_beside_the_thing_counted() -> None:
    goals = "How many goals did Vece Paes score at the 1972 Munich Olympics?"
    assert counted(goals) == {"goal"}
    assert not states("count", goals, "He won bronze at the 1972 Munich Olympics, aged 27.")
    assert states("count", goals, "Paes scored two goals in the final.")
    assert states("count", goals, "His goals: 3 in five matches.")
    assert missing_quantity(goals, ["He won bronze at the 1972 Olympics."]) == "count"
    # Once, twice and thrice are numbers of times; a hyphen joins a number to its unit.
    assert states("count", "How many times did he win the seat?", "Twice he won it.")
    trip = "how many days and how many km is the yatra?"
    assert counted(trip) == {"day", "km"}
    assert states("count", trip, "The 16-day, 1300+ km yatra aims to raise awareness.")
    # People are counted in other words too; a glued unit, a hyphenated thing, "twice" and
    # "no goals" are counts.
    assert states("count", "How many people died in the blast?", "The blast killed 14.")
    assert states("count", "How many civilians were killed?", "At least 12 people were killed.")
    assert not states("count", "How many people died?", "There is no evidence of it.")
    assert states("count", "How many km is the yatra?", "The 3,500km yatra began.")
    assert states("count", "How many by-elections were held?", "Three by-elections were held.")
    assert states("count", "How many F-35s did Israel buy?", "Israel bought 50 F-35 jets.")
    assert states("count", goals, "He scored twice.")
    assert states("count", goals, "He scored no goals.")
    assert states("count", "How many goals in the two games?", "He scored two goals in them.")


@pytest.mark.parametrize(
    "question",
    [
        "How many died in the blast?",  # a verb, not a thing counted
        "How many injured?",
        "How many were killed?",
        "How many of the 12 jurors voted?",
        "How many dollars did the deal cost?",  # money
    ],
)
def test_a_count_that_names_no_thing_is_not_checked(question: str) -> None:
    assert "count" not in kinds_asked(question)


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("How many rounds of talks did the US and Russia hold last week?", "three rounds"),
        ("How many hours did the Paris talks last?", "eight-hour talks"),
        ("How many troops has Russia massed near Ukraine?", "tens of thousands"),
    ],
)
def test_a_count_the_articles_give_is_answered(
    engine: AnswerEngine, question: str, quoted: str
) -> None:
    answer = engine.ask(question)
    assert not answer.abstained
    assert any(quoted in citation.quote for citation in answer.citations)


@pytest.mark.parametrize(
    "question",
    [
        "How much money has the US given Ukraine in aid?",
        "What interest rate does Russia charge Ukraine for gas?",
        "What percentage of Russia's troops are near Ukraine?",
        "How old is Sergei Lavrov?",
        "How many Javelin missiles did the US send?",
        "How many tanks has Russia moved to the border?",
        "How many anti-tank weapons did Britain send to Ukraine?",
    ],
)
def test_a_near_miss_that_asks_for_a_quantity_none_states_is_refused(
    engine: AnswerEngine, question: str
) -> None:
    """The sample articles are about the aid, the gas, the troops, Lavrov and the weapons sent,
    and give no sum, rate, share, age or count of them: each was answered with a sentence about
    its topic."""
    answer = engine.ask(question)
    assert answer.abstained and answer.answer == ABSTAIN_TEXT
