"""Pick verbatim sentences that answer a question, or decide that none does.

Every sentence of the retrieved chunks is a candidate. Each gets a few measured features:

- `dense`: cosine between the question and the sentence (vectors computed at ingest);
- `dense_chunk`: cosine between the question and the sentence's chunk (its topic);
- `lexical`: IDF-weighted share of the question's topic words (or their spellings in the corpus)
  that the sentence contains;
- `lexical_all`: the same share counting the words no article uses (never covered);
- `lexical_asked`: the same share over the question's words that are not names (what is asked
  about them: "age" in "What is Peskov's age?");
- `lexical_context`: the same share over the article title, the previous sentence and the
  sentence ("He will then travel to Berlin" after a sentence naming Blinken);
- `lexical_names`: the same share over the question's names only, in the title, the previous
  sentence and the sentence: whether the sentence is about whom the question asks ("Manu
  Bhaker" among athletes' Independence Day posts that share the question's other words);
- `chunk_rank`: how high hybrid retrieval ranked the sentence's chunk;
- `unknown_share`: the share of the question's topic words that no article uses at all;
- `answer_type`: whether the sentence holds the kind of answer asked for (when: a date; how
  many: a number; who: a name; where: a place);
- `dense_gap`, `lexical_gap`: how far the sentence is from the best candidate for this question;
- `dense_context`: cosine between the question and the sentence read with the one before it
  ("He will then travel to Berlin" after the sentence that names him);
- `article_coverage`: the `lexical` share over the whole article: an article that never uses the
  question's rarest words ("cello", "Pride and Prejudice") is about something else;
- `date_match`: whether the sentence is from an article about the day the question names
  ("on Tuesday", "yesterday"), by publication date and the weekday it mentions;
- `previous_article`: whether the conversation's last answer quoted the sentence's article (a
  follow-up is most likely about the same story).

A logistic model turns them into the probability that the sentence answers the question. Its
weights and the abstention threshold are fitted on the dev split only (`python -m eval.fit`,
written to `_weights.py`); nothing in here names a question or an article.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from citedesk.answering import _weights
from citedesk.answering.dates import TimeFrame
from citedesk.answering.quantities import DAYS, MONTHS, NUMBER_WORDS, says_anew
from citedesk.vectorstore.terms import Vocabulary, content_stems, stem, words

FEATURES = (
    "dense",
    "dense_chunk",
    "lexical",
    "lexical_all",
    "lexical_asked",
    "lexical_context",
    "chunk_rank",
    "unknown_share",
    "answer_type",
    "dense_gap",
    "lexical_gap",
    "previous_article",
    "dense_context",
    "article_coverage",
    "date_match",
    "lexical_names",
)
# Further quotes must score at least this share of the abstention threshold (the threshold
# decides whether to answer at all). No closeness to the best one is asked of them: the best
# sentence is wrong often enough (the answer was in the second or third place for 2-3% of the
# dev questions, below a margin of 0.35 from the first) that the three places are worth filling.
FOLLOWING_FLOOR = 0.5
# Below this cosine the best sentence is about something else, whatever words it shares with the
# question ("Who won the 2022 FIFA World Cup?" against a sentence about 2022 talks): no answer.
MIN_DENSE = 0.2
# Two sentences this similar from different articles report the same fact.
SAME_FACT_SIMILARITY = 0.82
MAX_CORROBORATING = 3
# ...or when they share a run of this many words: the same wire copy or statement, quoted twice.
SAME_FACT_SHARED_WORDS = 6


@dataclass
class Sentence:
    """A sentence of a stored article and its evidence for the question."""

    article_id: str
    start: int
    end: int
    text: str
    chunk_rank: int
    vector: np.ndarray
    title: str = ""  # the article's
    previous_text: str = ""  # the sentence before it in the article, if any
    published: str | None = None
    previous_vector: np.ndarray | None = None  # the sentence before it in the article, if known
    starts_paragraph: bool = True  # False when the sentence before it is in the same paragraph
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0

    @property
    def dense(self) -> float:
        return self.features.get("dense", 0.0)

    @property
    def context(self) -> str:
        """What a reader has just read: the title and the sentence before."""
        return f"{self.title} {self.previous_text}" if self.previous_text else self.title


@dataclass
class Fact:
    """One sentence to quote, and the same fact as other articles report it.

    `continuation` is a good sentence right next to the lead in the same article: it is quoted
    with the lead as one passage (an answer that spans two sentences), not in a place of its own.
    """

    lead: Sentence
    corroborating: list[Sentence] = field(default_factory=list)
    continuation: Sentence | None = None


class QueryTerms:
    """The question's topic words, each with the stems of its spellings in the corpus.

    Words that no article uses in any spelling ("hey", "bot", "Super Bowl") cannot be found in
    any sentence: they are left out of coverage and measured on their own (`unknown_share`).
    """

    def __init__(self, question: str, vocabulary: Vocabulary) -> None:
        self.question = question
        self.groups: list[tuple[set[str], float]] = []
        self.asked: list[tuple[set[str], float]] = []  # the groups that are not names
        self.names: list[tuple[set[str], float]] = []  # the groups that are
        unknown = 0.0
        seen: set[str] = set()
        for word in words(question):
            stems = content_stems(word)
            if not stems or stems[0] in seen:
                continue
            seen.add(stems[0])
            variants = vocabulary.variants(word)
            # A typo of a word the corpus uses (`correction`: unknown or rare, not a name).
            if not variants and (fixed := vocabulary.correction(word)) is not None:
                stems = [stem(fixed)]
            elif not variants and not vocabulary.document_frequency(word):
                unknown += vocabulary.idf(stems[0])
                continue
            weight = vocabulary.idf(stems[0])
            spellings = {stems[0], *(stem(variant) for variant in variants)}
            self.groups.append((spellings, weight))
            if word not in vocabulary.proper_nouns and not variants:
                self.asked.append((spellings, weight))
            else:
                self.names.append((spellings, weight))
        self.total = sum(weight for _, weight in self.groups)
        self.unknown_share = unknown / (unknown + self.total) if unknown + self.total else 0.0

    @property
    def stems(self) -> set[str]:
        """Every stem that counts towards coverage (each word's spellings)."""
        return {stem_ for spellings, _ in self.groups for stem_ in spellings}

    def coverage(self, stems: Collection[str]) -> float:
        """Return the IDF-weighted share of question words among these stems (of a sentence,
        or of a whole article)."""
        return _share(self.groups, set(stems))

    def names_coverage(self, stems: Collection[str]) -> float:
        """The same over the question's names (0 when it names nothing)."""
        return _share(self.names, set(stems))

    def asked_coverage(self, stems: Collection[str]) -> float:
        """The same over the words that are not names: what the question asks about them."""
        return _share(self.asked or self.groups, set(stems))


def _share(groups: list[tuple[set[str], float]], present: set[str]) -> float:
    total = sum(weight for _, weight in groups)
    if not total:
        return 0.0
    return sum(weight for spellings, weight in groups if spellings & present) / total


# What kind of answer a question asks for, and how a sentence that holds one looks.
_ANSWER_TYPES = [
    (
        re.compile(r"\b(when|what year|what date|which year|what day|how long ago)\b", re.I),
        re.compile(rf"\b(1[5-9]\d\d|20\d\d|{MONTHS}|{DAYS}|centur(y|ies)|decade)\b", re.I),
    ),
    (
        re.compile(
            r"\b(how (many|much|long|far|old|big|large|high|often)|what (percentage|share|number|amount))\b",
            re.I,
        ),
        re.compile(rf"(\d|\b({NUMBER_WORDS})\b|%)", re.I),
    ),
    (
        re.compile(r"\b(who|whom|whose)\b", re.I),
        # A capitalised word that does not start the sentence (one word is a name too:
        # "Tilak was married to Tapibai").
        re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*"),
    ),
    (
        re.compile(r"\b(where|which (city|country|place|state|town))\b", re.I),
        re.compile(r"\b(in|at|to|from|near)\s+(the\s+)?[A-Z][a-z]+"),
    ),  # What someone said: a quotation, or reported speech.
    (
        re.compile(
            r"\bwhat (did|does|do|has|have|had|was|were|is)\b.{0,80}?\b(say|said|tell|told|post"
            r"|posted|write|wrote|tweet|tweeted|claim|claimed|call|called|warn|warned|add|added"
            r"|deny|denied|stress|stressed|accuse|accused|reply|replied|respond|responded)\b",
            re.I,
        ),
        re.compile(
            r"[\"“”]|\b(said|says|told|tells|added|wrote|writes|tweeted|posted|stated|warned"
            r"|according to|called|accused|denied|replied|responded)\b",
            re.I,
        ),
    ),
    # What something is called: a name given to it.
    (
        re.compile(r"\bwhat (is|are|was|were) .{1,80}?\b(called|named|known as)\b", re.I),
        re.compile(r"\b(called|named|known as|referred to as|termed|term)\b", re.I),
    ),
]


def answer_type_match(question: str, text: str) -> float:
    """1 when the question asks for a kind of answer (a date, number, person, place) and the
    sentence holds one; 0 when it does not; 0.5 when the question asks for no such kind.

    An answer is something the question does not already say: in "Who was Tilak's wife?" the
    name Tilak is no answer, nor 2017 in "When did the 2017 talks end?"."""
    wanted = [shape for asks, shape in _ANSWER_TYPES if asks.search(question)]
    if not wanted:
        return 0.5
    return float(any(says_anew(shape, question, text) for shape in wanted))


# What a question's candidates say about it as a whole, for the decision to answer at all: how
# good the best ones are, and whether any holds what is asked. The best sentence's probability
# alone did not tell a near miss ("How old is Nicolle Wallace?" over articles about her) from a
# paraphrase: both have a fair best sentence, but a near miss's are fair all alike.
QUESTION_FEATURES = (
    "best_logit",  # the best sentence's score, as a logit
    "best3_probability",  # the mean probability of the best three
    "spread",  # the spread of the best ten's probabilities
    "dense_max",
    "lexical_asked_max",
    "lexical_context_max",
    "article_coverage_max",
    "unknown_share",
    "answer_type_best5",  # whether one of the best five holds the kind of answer asked for
    "answer_type_best",
    "dense_chunk_best5",
)  # Not how many candidates there are: that says how big the store is, not what was asked.


def question_features(matrix: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """QUESTION_FEATURES of a question from its candidates' feature rows (FEATURES order) and
    their ranking logits."""
    order = np.argsort(-logits, kind="stable")
    ranked, z = matrix[order], logits[order]
    p = 1.0 / (1.0 + np.exp(-z))
    column = {name: ranked[:, index] for index, name in enumerate(FEATURES)}
    return np.array(
        [
            z[0],
            p[:3].mean(),
            p[:10].std(),
            column["dense"].max(),
            column["lexical_asked"].max(),
            column["lexical_context"].max(),
            column["article_coverage"].max(),
            column["unknown_share"][0],
            column["answer_type"][:5].max(),
            column["answer_type"][0],
            column["dense_chunk"][:5].max(),
        ]
    )


def unanswered_probability(ranked: Sequence[Sentence]) -> float:
    """The fitted question-level model: how likely the articles do not answer the question."""
    matrix = np.array([[s.features[name] for name in FEATURES] for s in ranked])
    weights = np.array([_weights.WEIGHTS[name] for name in FEATURES])
    values = question_features(matrix, _weights.BIAS + matrix @ weights)
    z = _weights.UNANSWERED_BIAS + sum(
        _weights.UNANSWERED_WEIGHTS[name] * value
        for name, value in zip(QUESTION_FEATURES, values, strict=True)
    )
    return 1.0 / (1.0 + math.exp(-z))


def quoting_threshold(min_relevance: float | None = None) -> float:
    """The probability a sentence needs to be quoted: `min_relevance` if given (a setting),
    else the threshold fitted on dev."""
    return min_relevance or _weights.THRESHOLD


def answers(ranked: Sequence[Sentence], min_relevance: float | None = None) -> bool:
    """Whether the best candidates answer the question, once the vetoes (an unknown name, no
    candidate, a best sentence about something else) have passed it.

    With `min_relevance`, when the best sentence's probability reaches it; else when the
    question-level model fitted on dev says the articles answer it."""
    if min_relevance:
        return ranked[0].score >= min_relevance
    return unanswered_probability(ranked) < _weights.UNANSWERED_THRESHOLD


def probability(features: dict[str, float]) -> float:
    """The fitted logistic model: how likely a sentence with these features answers."""
    z = _weights.BIAS + sum(_weights.WEIGHTS[name] * features[name] for name in FEATURES)
    return 1.0 / (1.0 + math.exp(-z))


def score_sentences(
    sentences: Sequence[Sentence],
    query_vector: np.ndarray,
    terms: QueryTerms,
    context_articles: Collection[str] = (),
    article_stems: Mapping[str, Collection[str]] | None = None,
    frame: TimeFrame | None = None,
) -> None:
    """Measure each sentence's features and score it.

    `article_stems` maps an article id to the stems of its whole text, or at least those of
    them that are the question's (default: the stems of its sentences here only)."""
    # Each text is stemmed once per question: a sentence is also the next one's context, and
    # every sentence of an article shares its title.
    stemmed: dict[str, frozenset[str]] = {}

    def stems_of(text: str) -> frozenset[str]:
        if text not in stemmed:
            stemmed[text] = frozenset(content_stems(text))
        return stemmed[text]

    if article_stems is None:
        gathered: dict[str, set[str]] = {}
        for sentence in sentences:
            gathered.setdefault(sentence.article_id, set()).update(stems_of(sentence.text))
        article_stems = gathered
    article_coverage = {
        article_id: terms.coverage(stems) for article_id, stems in article_stems.items()
    }
    chunk_vectors: dict[int, np.ndarray] = {}
    for sentence in sentences:  # a chunk's topic: the mean of its sentences
        chunk_vectors.setdefault(sentence.chunk_rank, np.zeros_like(sentence.vector))
        chunk_vectors[sentence.chunk_rank] = chunk_vectors[sentence.chunk_rank] + sentence.vector
    chunk_dense = {
        rank: float(np.dot(query_vector, vector) / (np.linalg.norm(vector) or 1.0))
        for rank, vector in chunk_vectors.items()
    }
    for sentence in sentences:
        stems = stems_of(sentence.text)
        # What a reader has in mind at this sentence: the title, the sentence before, this one.
        in_context = stems | stems_of(sentence.title) | stems_of(sentence.previous_text)
        lexical = terms.coverage(stems)
        sentence.features = {
            "dense": float(np.dot(query_vector, sentence.vector)),
            "dense_chunk": chunk_dense[sentence.chunk_rank],
            "lexical": lexical,
            "lexical_all": lexical * (1.0 - terms.unknown_share),
            "lexical_asked": terms.asked_coverage(stems),
            "lexical_context": terms.coverage(in_context),
            "lexical_names": terms.names_coverage(in_context),
            "chunk_rank": 1.0 / (1.0 + sentence.chunk_rank),
            "unknown_share": terms.unknown_share,
            "answer_type": answer_type_match(terms.question, sentence.text),
            "previous_article": float(sentence.article_id in context_articles),
            "dense_context": _read_with(query_vector, sentence.vector, sentence.previous_vector),
            "article_coverage": article_coverage.get(sentence.article_id, 0.0),
            "date_match": float(
                frame is not None
                and frame.matches(sentence.published, f"{sentence.context} {sentence.text}")
            ),
        }
    # How far each sentence is from this question's best: scales differ between questions.
    best_dense = max(s.features["dense"] for s in sentences)
    best_lexical = max(s.features["lexical"] for s in sentences)
    for sentence in sentences:
        sentence.features["dense_gap"] = sentence.features["dense"] - best_dense
        sentence.features["lexical_gap"] = sentence.features["lexical"] - best_lexical
        sentence.score = probability(sentence.features)


def _read_with(query: np.ndarray, vector: np.ndarray, previous: np.ndarray | None) -> float:
    """Cosine between the question and a sentence together with the sentence before it."""
    if previous is None:
        return float(np.dot(query, vector))
    joined = vector + previous
    return float(np.dot(query, joined) / (np.linalg.norm(joined) or 1.0))


def group_facts(ranked: Sequence[Sentence], *, threshold: float, max_facts: int) -> list[Fact]:
    """Group the best sentences into at most `max_facts` facts (none below FOLLOWING_FLOOR of
    the threshold).

    Each place goes to the next best sentence that is a new fact. Another article's report of a
    fact already chosen is kept with it (`corroborating`) and takes no place: the answer quotes
    it only where the facts leave room. Taking a place, a story that two outlets ran word for
    word (1,643 scraped articles hold such pairs) filled two of the three places with one fact.
    """
    if not ranked:
        return []
    support = FOLLOWING_FLOOR * threshold
    facts: list[Fact] = []
    for sentence in ranked:
        if sentence.score < support:
            break
        if (beside := _next_to_a_lead(facts, sentence)) is not None:
            if beside.continuation is None:
                beside.continuation = sentence
            continue
        home = _same_fact(facts, sentence)
        if home is None:
            if len(facts) < max_facts:
                facts.append(Fact(lead=sentence))
            continue
        cited = {s.article_id for s in (home.lead, *home.corroborating)}
        if sentence.article_id not in cited and len(home.corroborating) < MAX_CORROBORATING:
            home.corroborating.append(sentence)
    return facts


# Sentences of one paragraph are a space or two apart.
_ADJACENT_GAP = 2


def _next_to_a_lead(facts: Sequence[Fact], sentence: Sentence) -> Fact | None:
    """The fact whose lead sentence is right before or after this one in the same article."""
    for fact in facts:
        lead = fact.lead
        if lead.article_id != sentence.article_id:
            continue
        after = 0 <= sentence.start - lead.end <= _ADJACENT_GAP and not sentence.starts_paragraph
        before = 0 <= lead.start - sentence.end <= _ADJACENT_GAP and not lead.starts_paragraph
        if after or before:
            return fact
    return None


def _word_runs(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    size = SAME_FACT_SHARED_WORDS
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def _same_fact(facts: Sequence[Fact], sentence: Sentence) -> Fact | None:
    runs = _word_runs(sentence.text)
    for fact in facts:
        # Only another article's sentence is the same fact by its meaning: one article's
        # sentences on a topic say different things about it ("bright red when oxygenated"
        # after "arterial blood is bright red"), and it repeats a passage only word for word.
        similar = (
            fact.lead.article_id != sentence.article_id
            and float(np.dot(fact.lead.vector, sentence.vector)) >= SAME_FACT_SIMILARITY
        )
        if similar or runs & _word_runs(fact.lead.text):
            return fact
    return None
