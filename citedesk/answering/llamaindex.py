"""citedesk's answering as llama-index components, for use in anyone's llama-index code.

- `VerifiedQuotes`: a node postprocessor. Given retrieved chunks and the question, it returns
  the sentences that answer it (at most `top_n`), each a verbatim slice of its chunk, or nothing
  when none does. It works on any retriever's nodes; chunks that citedesk ingested carry their
  sentence vectors, others have their sentences embedded on the fly.
- `CitedQueryEngine`: a query engine whose response text is the cited answer and whose
  `source_nodes` are the verified quotes, with article id, offsets and date in their metadata.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import ConfigDict, Field

from citedesk.answering.engine import AnswerEngine, Evidence
from citedesk.answering.extractive import (
    QueryTerms,
    Sentence,
    answers,
    group_facts,
    quoting_threshold,
    score_sentences,
)
from citedesk.answering.models import Answer
from citedesk.text import sentence_spans
from citedesk.vectorstore.sentences import unpack_sentences
from citedesk.vectorstore.terms import Vocabulary


class VerifiedQuotes(BaseNodePostprocessor):
    """Keep only the sentences of the retrieved chunks that answer the question."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    embed_model: BaseEmbedding
    vocabulary: Vocabulary | None = Field(
        default=None, description="Corpus vocabulary for IDF and name spellings (None: the nodes')."
    )
    top_n: int = Field(default=3, description="Most quotes returned.")
    threshold: float | None = Field(
        default=None,
        description="The probability the best sentence needs for any quote; None: decide as "
        "citedesk's engine does (the question-level model fitted on dev).",
    )

    @classmethod
    def class_name(cls) -> str:
        return "VerifiedQuotes"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("VerifiedQuotes needs the question (query_str or query_bundle)")
        question = query_bundle.query_str
        vocabulary = self.vocabulary or Vocabulary(n.node.get_content() for n in nodes)
        query_vector = np.asarray(
            query_bundle.embedding or self.embed_model.get_query_embedding(question)
        )
        sentences = self._sentences(nodes)
        if not sentences:
            return []
        score_sentences(sentences, query_vector, QueryTerms(question, vocabulary))
        ranked = sorted(sentences, key=lambda s: (-s.score, s.chunk_rank, s.start))
        # The engine's vetoes, then its decision: the same question gets the same verdict here.
        evidence = Evidence(question, ranked, vocabulary.unknown_names(question))
        if evidence.vetoed or not answers(ranked, self.threshold):
            return []
        threshold = quoting_threshold(self.threshold)
        facts = group_facts(ranked, threshold=threshold, max_facts=self.top_n)
        return [_quote_node(fact.lead, nodes[fact.lead.chunk_rank]) for fact in facts]

    def _sentences(self, nodes: list[NodeWithScore]) -> list[Sentence]:
        found: list[Sentence] = []
        for rank, scored in enumerate(nodes):
            node = scored.node
            text = node.get_content()
            base = int(node.metadata.get("start", getattr(node, "start_char_idx", None) or 0))
            spans, vectors = unpack_sentences(node.metadata)
            if not spans:  # not ingested by citedesk: split and embed here
                spans = [(base + s, base + e) for s, e in sentence_spans(text)]
                texts = [text[s - base : e - base] for s, e in spans]
                vectors = np.asarray(self.embed_model.get_text_embedding_batch(texts))
            title = str(node.metadata.get("title", ""))
            for index, (start, end) in enumerate(spans):
                previous = text[spans[index - 1][0] - base : spans[index - 1][1] - base]
                found.append(
                    Sentence(
                        article_id=str(node.metadata.get("article_id", node.node_id)),
                        start=start,
                        end=end,
                        text=text[start - base : end - base],
                        chunk_rank=rank,
                        vector=vectors[index],
                        title=title,
                        previous_text=previous if index else "",
                        published=node.metadata.get("published"),
                    )
                )
        return found


def _quote_node(sentence: Sentence, chunk: NodeWithScore) -> NodeWithScore:
    metadata = {
        key: value
        for key, value in chunk.node.metadata.items()
        if key in ("article_id", "title", "source", "outlet", "published")
    }
    metadata.update({"start": sentence.start, "end": sentence.end})
    node = TextNode(text=sentence.text, metadata=metadata)
    return NodeWithScore(node=node, score=sentence.score)


class CitedQueryEngine(BaseQueryEngine):
    """A llama-index query engine answering with verified, numbered quotes (or abstaining)."""

    def __init__(self, engine: AnswerEngine, callback_manager: CallbackManager | None = None):
        self._engine = engine
        super().__init__(callback_manager=callback_manager or CallbackManager([]))

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {}

    def _query(self, query_bundle: QueryBundle) -> Response:
        return as_response(self._engine.ask(query_bundle.query_str))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return self._query(query_bundle)


def as_response(answer: Answer) -> Response:
    """An Answer as a llama-index Response: text plus the quotes as source nodes."""
    nodes = [
        NodeWithScore(
            node=TextNode(
                text=citation.quote,
                metadata={
                    "n": citation.n,
                    "article_id": citation.article_id,
                    "start": citation.start,
                    "end": citation.end,
                    "title": citation.title,
                    "source": citation.source,
                    "published": citation.published,
                },
            ),
            score=citation.score,
        )
        for citation in answer.citations
    ]
    return Response(
        response=answer.answer, source_nodes=nodes, metadata={"abstained": answer.abstained}
    )
