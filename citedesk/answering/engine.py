"""The answering engine: a question and its conversation in, a cited answer out."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from citedesk.answering import followup
from citedesk.answering.extractive import (
    MIN_DENSE,
    Fact,
    QueryTerms,
    Sentence,
    score_sentences,
    select_facts,
)
from citedesk.answering.llm import ChatModel, LLMError, OpenAICompatibleChat, checked_answer, prompt
from citedesk.answering.models import CITATION_MARKER, Answer, Citation, Turn
from citedesk.errors import BadInputError
from citedesk.settings import Settings
from citedesk.text import sentence_spans
from citedesk.vectorstore.embedding import load_embed_model
from citedesk.vectorstore.retrieve import HybridRetriever
from citedesk.vectorstore.store import ArticleRecord, ArticleStore

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "The articles I have do not answer this question."
_EMBEDDING_CACHE_SIZE = 20_000
# Passages an LLM may cite: the best sentences, more than the extractive answer quotes.
LLM_PASSAGES = 6


class AnswerEngine:
    """Answers questions from the store's articles; safe to share between conversations."""

    def __init__(
        self, settings: Settings, store: ArticleStore, chat: ChatModel | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.chat = chat or (OpenAICompatibleChat(settings) if settings.llm_base_url else None)
        self._embed_model = load_embed_model(settings.embed_model)
        self.retriever = HybridRetriever(store, self._embed_model, settings.retrieve_k)
        self._sentences: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self._embeddings: OrderedDict[str, np.ndarray] = OrderedDict()

    # --- input ----------------------------------------------------------------------------
    def check_question(self, question: str) -> str:
        """Return the question stripped, or raise BadInputError saying what is wrong."""
        text = " ".join(question.split())
        if not text:
            raise BadInputError("the question is empty: type a question about the articles")
        limit = self.settings.max_question_chars
        if len(text) > limit:
            raise BadInputError(
                f"the question is {len(text):,} characters long; the limit is {limit:,}"
            )
        return text

    # --- answering ------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer from the articles, quoting them verbatim, or abstain."""
        question = self.check_question(question)
        resolved = followup.resolve(question, history)
        results = self.retriever.retrieve(resolved)
        sentences = self._candidate_sentences(results)
        vocabulary = self.retriever.vocabulary
        # A name no article mentions in any spelling cannot be answered about.
        if not sentences or vocabulary.unknown_names(resolved):
            return Answer(
                question=question, answer=ABSTAIN_TEXT, abstained=True, resolved_question=resolved
            )
        variants = vocabulary.expand(resolved)
        query_text = f"{resolved} {' '.join(variants)}" if variants else resolved
        query_embedding = np.asarray(self._embed_model.get_query_embedding(query_text))
        self._embed_sentences(sentences)
        score_sentences(sentences, query_embedding, QueryTerms(resolved, vocabulary))
        ranked = sorted(sentences, key=lambda s: (-s.score, s.chunk_rank, s.start))
        facts = select_facts(
            ranked, threshold=self.settings.min_relevance, max_facts=self.settings.top_k
        )
        fresh: dict[str, ArticleRecord | None] = {}
        extractive = self._compose(question, resolved, facts, fresh)
        if self.chat is None or extractive.abstained:
            return extractive
        return self._written_by_llm(extractive, ranked, fresh)

    def _written_by_llm(
        self, extractive: Answer, ranked: Sequence[Sentence], fresh: dict[str, ArticleRecord | None]
    ) -> Answer:
        """Let the LLM write the answer from verified passages; keep only what checks out."""
        assert self.chat is not None
        candidates = [
            s for s in ranked if s.score >= self.settings.min_relevance and s.dense >= MIN_DENSE
        ]
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

    def _candidate_sentences(self, results: Sequence[object]) -> list[Sentence]:
        articles = self.retriever.articles
        found: dict[tuple[str, int], Sentence] = {}
        for rank, result in enumerate(results):
            node = result.node  # type: ignore[attr-defined]
            record = articles.get(str(node.metadata.get("article_id")))
            if record is None:
                continue
            chunk_start, chunk_end = int(node.metadata["start"]), int(node.metadata["end"])
            for start, end in self._spans(record):
                if start >= chunk_start and end <= chunk_end and (record.id, start) not in found:
                    found[(record.id, start)] = Sentence(
                        record.id, start, end, record.text[start:end], rank
                    )
        return list(found.values())

    def _spans(self, record: ArticleRecord) -> list[tuple[int, int]]:
        key = (record.id, record.content_hash)
        if key not in self._sentences:
            self._sentences[key] = sentence_spans(record.text)
        return self._sentences[key]

    def _embed_sentences(self, sentences: Sequence[Sentence]) -> None:
        missing = [s.text for s in sentences if s.text not in self._embeddings]
        if missing:
            vectors = self._embed_model.get_text_embedding_batch(list(dict.fromkeys(missing)))
            for text, vector in zip(dict.fromkeys(missing), vectors, strict=True):
                self._embeddings[text] = np.asarray(vector)
        for sentence in sentences:
            sentence.embedding = self._embeddings[sentence.text]
            self._embeddings.move_to_end(sentence.text)
        while len(self._embeddings) > _EMBEDDING_CACHE_SIZE:
            self._embeddings.popitem(last=False)

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

    def _compose(
        self,
        question: str,
        resolved: str,
        facts: Sequence[Fact],
        fresh: dict[str, ArticleRecord | None],
    ) -> Answer:
        citations: list[Citation] = []
        lines: list[str] = []
        for fact in facts:
            numbers = []
            for sentence in [fact.lead, *fact.corroborating]:
                citation = self._verified(sentence, fresh)
                if citation is None:
                    continue
                citation.n = len(citations) + 1
                citations.append(citation)
                numbers.append(citation.n)
            if not numbers:
                continue
            markers = "".join(f"[{n}]" for n in numbers)
            quote = citations[numbers[0] - 1].quote
            note = f" ({len(numbers)} articles report this)" if len(numbers) > 1 else ""
            lines.append(f"{quote} {markers}{note}")
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
        spans = self._spans(record)
        index = next((i for i, (s, _) in enumerate(spans) if s <= start < _), None)
        if index is None:
            return None
        last = next((i for i, (_, e) in enumerate(spans) if e >= end), index)
        lo, hi = max(0, index - sentences), min(len(spans) - 1, last + sentences)
        return record.text[spans[lo][0] : spans[hi][1]]
