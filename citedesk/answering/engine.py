"""The answering engine: a question and its conversation in, a cited answer out."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from llama_index.core.schema import NodeWithScore, QueryBundle

from citedesk.answering import followup
from citedesk.answering.dates import TimeFrame, time_frame
from citedesk.answering.extractive import (
    MIN_DENSE,
    Fact,
    QueryTerms,
    Sentence,
    answers,
    group_facts,
    quoting_threshold,
    score_sentences,
)
from citedesk.answering.llm import ChatModel, LLMError, OpenAICompatibleChat, checked_answer, prompt
from citedesk.answering.models import CITATION_MARKER, Answer, Citation, Turn
from citedesk.answering.quantities import missing_quantity
from citedesk.answering.question import normalize_question
from citedesk.errors import BadInputError
from citedesk.settings import Settings
from citedesk.text import sentence_spans
from citedesk.vectorstore.embedding import load_embed_model
from citedesk.vectorstore.retrieve import HybridRetriever
from citedesk.vectorstore.sentences import SPANS_KEY, VECTORS_KEY, unpack_sentences
from citedesk.vectorstore.store import ArticleRecord, ArticleStore

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "The articles I have do not answer this question."
# Scores this close count as equally good evidence when the question asks for the latest.
RECENCY_TIE = 0.05
# Passages an LLM may cite: the best sentences, more than the extractive answer quotes.
LLM_PASSAGES = 6
# The best candidates one of which must state a quantity the question asks for: more than the
# three places an answer has, so a quote that a same-fact grouping moves up still counts.
QUANTITY_CANDIDATES = 5


@dataclass
class Evidence:
    """A question made standalone, its candidate sentences best first, and any unknown names."""

    resolved: str
    ranked: list[Sentence]
    unknown_names: list[str] = field(default_factory=list)
    # The question as the user put it (tidied), before the conversation filled it in: what it
    # asks for is in its own words, not in the last question added as context.
    asked: str = ""
    # The articles ranking read from the store for this question (not from the cache): as
    # stored now, so the quotes are checked in them without reading them again.
    read_articles: dict[str, ArticleRecord] = field(default_factory=dict)

    @property
    def vetoed(self) -> bool:
        """Refused whatever the scores: a name no article mentions in any spelling, no candidate,
        a best sentence about something else (MIN_DENSE), or a quantity asked for (a share, a
        sum of money, ...) that none of the best candidates states."""
        return (
            bool(self.unknown_names)
            or not self.ranked
            or self.ranked[0].dense < MIN_DENSE
            or missing_quantity(
                self.asked or self.resolved,
                (s.text for s in self.ranked[:QUANTITY_CANDIDATES]),
                said=self.resolved,
            )
            is not None
        )


class AnswerEngine:
    """Answers questions from the store's articles; safe to share between conversations."""

    def __init__(
        self, settings: Settings, store: ArticleStore, chat: ChatModel | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.chat = chat or (OpenAICompatibleChat(settings) if settings.llm.base_url else None)
        self.embed_model = load_embed_model(store.embed_model_name)
        self.retriever = HybridRetriever(store, self.embed_model, settings.retrieval.retrieve_k)

    # --- input ----------------------------------------------------------------------------
    def check_question(self, question: str) -> str:
        """Return the question tidied, or raise BadInputError saying what is wrong."""
        limit = self.settings.retrieval.max_question_chars
        if len(question) > 4 * limit:  # too long to be worth tidying
            raise BadInputError(
                f"the question is {len(question):,} characters long; the limit is {limit:,}"
            )
        text = normalize_question(question)
        if not text or not any(char.isalnum() for char in text):
            raise BadInputError("the question is empty: type a question about the articles")
        if len(text) > limit:
            raise BadInputError(
                f"the question is {len(text):,} characters long; the limit is {limit:,}"
            )
        return text

    # --- answering ------------------------------------------------------------------------
    def ask(
        self, question: str, history: Sequence[Turn] = (), *, today: date | None = None
    ) -> Answer:
        """Answer from the articles, quoting them verbatim, or abstain.

        `today` is the day the question is asked, for "yesterday" or "on Tuesday" (default: now).
        """
        with self.retriever.reading():
            return self._ask(question, history, today)

    def _ask(self, question: str, history: Sequence[Turn], today: date | None) -> Answer:
        tidied = self.check_question(question)
        question = " ".join(question.split())  # shown back as typed
        evidence = self.evidence(tidied, history, today=today)
        if evidence.vetoed or not self.answerable(evidence.ranked):
            return self._abstain(question, evidence.resolved)
        facts = group_facts(
            evidence.ranked, threshold=self.threshold, max_facts=self.settings.retrieval.top_k
        )
        # The articles to quote, as stored now (each quote is checked in them): those ranking
        # read from the store for this question, and the rest (cached ones) read now in one call.
        quoted = {
            sentence.article_id
            for fact in facts
            for sentence in (fact.lead, fact.continuation, *fact.corroborating)
            if sentence is not None
        }
        read = {i: evidence.read_articles[i] for i in quoted if i in evidence.read_articles}
        found = read | self.store.articles_by_id(quoted - read.keys())
        fresh: dict[str, ArticleRecord | None] = {i: found.get(i) for i in quoted}
        extractive = self._compose(question, evidence.resolved, facts, fresh)
        if self.chat is None or extractive.abstained:
            return extractive
        return self._written_by_llm(extractive, evidence.ranked, fresh)

    def evidence(
        self, tidied: str, history: Sequence[Turn] = (), *, today: date | None = None
    ) -> Evidence:
        """Resolve a tidied question against the conversation and rank its candidate sentences."""
        self.retriever.refresh()
        vocabulary = self.retriever.vocabulary
        resolved = followup.resolve(tidied, history, vocabulary.proper_nouns)
        frame = time_frame(resolved, today or date.today())
        # A follow-up is most likely about what the last answer quoted.
        context = tuple(history[-1].article_ids) if history else ()
        read: dict[str, ArticleRecord] = {}
        return Evidence(
            resolved=resolved,
            ranked=self._rank(resolved, frame, context_articles=context, read=read),
            # A name no article mentions in any spelling cannot be answered about.
            unknown_names=vocabulary.unknown_names(resolved),
            asked=tidied,
            read_articles=read,
        )

    def answerable(self, ranked: Sequence[Sentence]) -> bool:
        """Whether to answer from the candidates of a question the vetoes pass (`answers`)."""
        return answers(ranked, self.settings.retrieval.min_relevance)

    @property
    def threshold(self) -> float:
        """The abstention threshold: the setting if given, else the one fitted on dev."""
        return quoting_threshold(self.settings.retrieval.min_relevance)

    def _rank(
        self,
        question: str,
        frame: TimeFrame | None = None,
        *,
        context_articles: Sequence[str] = (),
        read: dict[str, ArticleRecord] | None = None,
    ) -> list[Sentence]:
        """Every candidate sentence for a (standalone) question, best first.

        `context_articles` are the articles the conversation's last answer quoted: their
        sentences are candidates too, and carry that as evidence. The articles read from the
        store on the way (not from the cache) are added to `read`.
        """
        frame = frame or TimeFrame()
        # evidence() refreshed the retriever before resolving, and retrieve() checks again.
        vocabulary = self.retriever.vocabulary
        # Typos corrected to the corpus's spellings, and other spellings of its names added.
        corrected = vocabulary.corrected(question)
        variants = vocabulary.expand(corrected)
        query_text = f"{corrected} {' '.join(variants)}" if variants else corrected
        # The embedding is of what was asked; the other spellings are for BM25, which matches
        # words. Embedded, a name's look-alikes pulled the question towards other people
        # (Karen: Kiran, Korean, Karni among 1,728 articles).
        query_vector = np.asarray(self.embed_model.get_query_embedding(corrected))
        results = self.retriever.retrieve(QueryBundle(query_text, embedding=query_vector.tolist()))
        retrieved = {result.node.node_id for result in results}
        results += [
            NodeWithScore(node=node, score=0.0)
            for article_id in context_articles
            for node in self.retriever.article_chunks(article_id)
            if node.node_id not in retrieved
        ]
        texts = self.retriever.articles_with_text(
            {str(result.node.metadata.get("article_id")) for result in results}
        )
        if read is not None:
            read.update(texts.read)
        articles = texts.all()
        sentences = self._candidate_sentences(results, articles)
        if not sentences:
            return []
        terms = QueryTerms(question, vocabulary)
        score_sentences(
            sentences,
            query_vector,
            terms,
            set(context_articles),
            {
                article_id: self.retriever.article_stems(article_id, terms.stems)
                for article_id in articles
            },
            frame,
        )

        def order(sentence: Sentence) -> tuple[float, ...]:
            score = sentence.score
            if frame.prefer_recent:  # equally good evidence: the newer article first
                score = round(score / RECENCY_TIE, 0) * RECENCY_TIE
                return (-score, -_ordinal(sentence.published), sentence.chunk_rank, sentence.start)
            return (-score, sentence.chunk_rank, sentence.start)

        return sorted(sentences, key=order)

    def _abstain(self, question: str, resolved: str) -> Answer:
        return Answer(
            question=question, answer=ABSTAIN_TEXT, abstained=True, resolved_question=resolved
        )

    def _written_by_llm(
        self, extractive: Answer, ranked: Sequence[Sentence], fresh: dict[str, ArticleRecord | None]
    ) -> Answer:
        """Let the LLM write the answer from verified passages; keep only what checks out."""
        assert self.chat is not None
        candidates = [s for s in ranked if s.score >= self.threshold]
        evidence = [c for s in candidates[:LLM_PASSAGES] if (c := self._verified(s, fresh))]
        question = extractive.resolved_question or extractive.question
        try:
            reply = self.chat.complete(prompt(question, [c.quote for c in evidence]))
        except LLMError as exc:
            log.warning("%s; showing the extractive answer", exc)
            return extractive
        checked = checked_answer(reply, [c.quote for c in evidence])
        if checked is None:
            log.warning(
                "no sentence of the LLM's answer checked out; showing the extractive answer"
            )
            return extractive
        text, used = checked
        if not used:
            return extractive.model_copy(
                update={"answer": ABSTAIN_TEXT, "abstained": True, "citations": []}
            )
        renumber = {old: new for new, old in enumerate(used, start=1)}
        citations = [evidence[old - 1].model_copy(update={"n": renumber[old]}) for old in used]
        text = CITATION_MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)
        return extractive.model_copy(
            update={"answer": text, "citations": citations, "written_by": "llm"}
        )

    def _candidate_sentences(
        self, results: Sequence[NodeWithScore], articles: Mapping[str, ArticleRecord]
    ) -> list[Sentence]:
        """The sentences of the retrieved chunks, with the vectors computed at ingest."""
        # Retrieved chunks carry their sentences; only chunks from elsewhere are read again.
        stored = {
            result.node.node_id: result.node.metadata
            for result in results
            if SPANS_KEY in result.node.metadata and VECTORS_KEY in result.node.metadata
        }
        stored |= self.store.chunk_metadata(
            [result.node.node_id for result in results if result.node.node_id not in stored]
        )
        found: dict[tuple[str, int], Sentence] = {}
        for rank, result in enumerate(results):
            node = result.node
            record = articles.get(str(node.metadata.get("article_id")))
            metadata = stored.get(node.node_id)
            if record is None or metadata is None:
                continue
            spans, vectors = unpack_sentences(metadata)
            for index, (start, end) in enumerate(spans):
                if (record.id, start) in found:
                    continue
                previous = spans[index - 1] if index else None
                found[(record.id, start)] = Sentence(
                    article_id=record.id,
                    start=start,
                    end=end,
                    text=record.text[start:end],
                    chunk_rank=rank,
                    vector=vectors[index],
                    title=record.title,
                    previous_text=record.text[previous[0] : previous[1]] if previous else "",
                    published=record.published,
                    previous_vector=vectors[index - 1] if index else None,
                    starts_paragraph=_starts_paragraph(record.text, start),
                )
        return list(found.values())

    # --- output ---------------------------------------------------------------------------
    def _verified(
        self, sentence: Sentence, fresh: dict[str, ArticleRecord | None]
    ) -> Citation | None:
        """Return a citation if the quote is, to the letter, in the article as stored now.

        `fresh` holds the articles read from the store for this answer, so each is read once.
        """
        if sentence.article_id not in fresh:
            fresh[sentence.article_id] = self.store.article(sentence.article_id)
        record = fresh[sentence.article_id]
        if record is None or record.text[sentence.start : sentence.end] != sentence.text:
            log.warning("dropped an unverifiable quote from %s", sentence.article_id)
            return None
        return Citation(
            n=0,
            source=record.source,
            title=record.title,
            quote=sentence.text,
            score=sentence.score,
            article_id=record.id,
            start=sentence.start,
            end=sentence.end,
            outlet=record.outlet,
            published=record.published,
        )

    def _passage(self, fact: Fact, fresh: dict[str, ArticleRecord | None]) -> Citation | None:
        """The lead's citation, widened to its continuation when that checks out too."""
        lead = self._verified(fact.lead, fresh)
        if lead is None or fact.continuation is None:
            return lead
        if self._verified(fact.continuation, fresh) is None:
            return lead
        record = fresh[fact.lead.article_id]
        assert record is not None  # verified above
        start = min(lead.start, fact.continuation.start)
        end = max(lead.end, fact.continuation.end)
        return lead.model_copy(update={"start": start, "end": end, "quote": record.text[start:end]})

    def _compose(
        self,
        question: str,
        resolved: str,
        facts: Sequence[Fact],
        fresh: dict[str, ArticleRecord | None],
    ) -> Answer:
        # At most top_k quotes in all: each fact's lead first, then other articles reporting
        # the same fact while there is room.
        budget = self.settings.retrieval.top_k
        leads = [(fact, c) for fact in facts if (c := self._passage(fact, fresh))][:budget]
        room = budget - len(leads)
        citations: list[Citation] = []
        lines: list[str] = []
        for fact, lead in leads:
            group = [lead]
            for sentence in fact.corroborating:
                if room <= 0:
                    break
                if citation := self._verified(sentence, fresh):
                    group.append(citation)
                    room -= 1
            for citation in group:
                citation.n = len(citations) + 1
                citations.append(citation)
            markers = "".join(f"[{c.n}]" for c in group)
            # Count only the articles cited here, so the note never claims more than it shows.
            note = f" ({len(group)} articles report this)" if len(group) > 1 else ""
            lines.append(f"{lead.quote} {markers}{note}")
        if not lines:
            return Answer(
                question=question, answer=ABSTAIN_TEXT, abstained=True, resolved_question=resolved
            )
        return Answer(
            question=question,
            answer="\n\n".join(lines),
            abstained=False,
            citations=citations,
            resolved_question=resolved,
        )

    def wider_passage(
        self, article_id: str, start: int, end: int, sentences: int = 2
    ) -> str | None:
        """Return the quote with the sentences around it, for 'show more' in the bot."""
        record = self.store.article(article_id)
        if record is None:
            return None
        # Split on each request, not cached: a cache by article grew with every article shown.
        spans = sentence_spans(record.text)
        index = next((i for i, (s, _) in enumerate(spans) if s <= start < _), None)
        if index is None:
            return None
        last = next((i for i, (_, e) in enumerate(spans) if e >= end), index)
        lo, hi = max(0, index - sentences), min(len(spans) - 1, last + sentences)
        return record.text[spans[lo][0] : spans[hi][1]]


def _starts_paragraph(text: str, start: int) -> bool:
    """Say whether a line break comes between this sentence and the text before it."""
    before = text[max(0, start - 8) : start]
    stripped = before.rstrip()
    return start == 0 or "\n" in before[len(stripped) :] or not stripped


def _ordinal(published: str | None) -> int:
    """A publication date as a number for sorting (undated articles count as oldest)."""
    try:
        return date.fromisoformat((published or "")[:10]).toordinal()
    except ValueError:
        return 0
