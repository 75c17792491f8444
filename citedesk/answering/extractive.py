"""Pick verbatim sentences that answer a question, or decide that none does.

Each candidate sentence from the retrieved chunks gets an evidence score: its cosine similarity to
the question plus the IDF-weighted share of the question's topic words (or their spellings in the
corpus) that it contains. Abstention is a threshold on the best score, calibrated on eval/dev.jsonl.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from citedesk.vectorstore.terms import Vocabulary, content_stems, stem, words

# Weights and margins, chosen on eval/dev.jsonl (see README, "Tuning").
DENSE_WEIGHT = 0.55
LEXICAL_WEIGHT = 0.45
# Below this cosine similarity a sentence is about something else, however many words it shares
# with the question ("the capital of France" vs "Minsk, the capital of Belarus ... France").
MIN_DENSE = 0.30
# Further facts must score close to the best one to be worth quoting too.
FOLLOWING_MARGIN = 0.20
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
    embedding: np.ndarray | None = None
    dense: float = 0.0
    lexical: float = 0.0

    @property
    def score(self) -> float:
        return DENSE_WEIGHT * self.dense + LEXICAL_WEIGHT * self.lexical


@dataclass
class Fact:
    """One sentence to quote, and the same fact as other articles report it."""

    lead: Sentence
    corroborating: list[Sentence] = field(default_factory=list)


class QueryTerms:
    """The question's topic words, each with the stems of its spellings in the corpus."""

    def __init__(self, question: str, vocabulary: Vocabulary) -> None:
        self.groups: list[tuple[set[str], float]] = []
        seen: set[str] = set()
        for word in words(question):
            stems = content_stems(word)
            if not stems or stems[0] in seen:
                continue
            seen.add(stems[0])
            spellings = {stems[0], *(stem(variant) for variant in vocabulary.variants(word))}
            self.groups.append((spellings, vocabulary.idf(stems[0])))
        self.total = sum(weight for _, weight in self.groups)

    def coverage(self, text: str) -> float:
        """Return the IDF-weighted share of question words that the text contains."""
        if not self.total:
            return 0.0
        present = set(content_stems(text))
        return sum(weight for spellings, weight in self.groups if spellings & present) / self.total


def score_sentences(
    sentences: Sequence[Sentence], query_embedding: np.ndarray, terms: QueryTerms
) -> None:
    for sentence in sentences:
        assert sentence.embedding is not None
        sentence.dense = float(np.dot(query_embedding, sentence.embedding))
        sentence.lexical = terms.coverage(sentence.text)


def select_facts(ranked: Sequence[Sentence], *, threshold: float, max_facts: int) -> list[Fact]:
    """Group the best sentences into facts; an empty list means abstain.

    A new fact must score within FOLLOWING_MARGIN of the best; the same fact as reported by
    another article only needs to pass the threshold.
    """
    if not ranked or ranked[0].score < threshold or ranked[0].dense < MIN_DENSE:
        return []
    floor = max(threshold, ranked[0].score - FOLLOWING_MARGIN)
    facts: list[Fact] = []
    for sentence in ranked:
        if sentence.score < threshold:
            break
        if sentence.dense < MIN_DENSE:
            continue
        home = _same_fact(facts, sentence)
        if home is None:
            if sentence.score >= floor and len(facts) < max_facts:
                facts.append(Fact(lead=sentence))
            continue
        cited = {s.article_id for s in (home.lead, *home.corroborating)}
        if sentence.article_id not in cited and len(home.corroborating) < MAX_CORROBORATING:
            home.corroborating.append(sentence)
    return facts


def _word_runs(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    size = SAME_FACT_SHARED_WORDS
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def _same_fact(facts: Sequence[Fact], sentence: Sentence) -> Fact | None:
    assert sentence.embedding is not None
    runs = _word_runs(sentence.text)
    for fact in facts:
        assert fact.lead.embedding is not None
        similar = float(np.dot(fact.lead.embedding, sentence.embedding)) >= SAME_FACT_SIMILARITY
        if similar or runs & _word_runs(fact.lead.text):
            return fact
    return None
