"""citedesk's parts in someone else's llama-index code, including the README's example."""

from __future__ import annotations

import re
from pathlib import Path

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from citedesk.answering.llamaindex import VerifiedQuotes
from citedesk.desk import Desk

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_example_runs(desk: Desk, capsys) -> None:  # type: ignore[no-untyped-def]
    match = re.search(
        r"<!-- llama-index example -->\s*```python\n(.*?)```", README.read_text(), re.S
    )
    assert match, "the README lost its llama-index example"
    code = match.group(1)
    assert len(code.strip().splitlines()) <= 14
    # The example opens the Desk from the environment; here it gets the test's Desk.
    exec(code.replace("Desk.open()", "desk_under_test"), {"desk_under_test": desk})
    printed = capsys.readouterr().out
    assert "Dmitry Peskov" in printed


def test_parts_are_llama_index_components(desk: Desk) -> None:
    assert isinstance(desk.as_retriever(), BaseRetriever)
    assert isinstance(desk.as_query_engine(), BaseQueryEngine)
    assert isinstance(desk.as_node_postprocessor(), BaseNodePostprocessor)


def test_query_engine_sources_are_verified_quotes_with_offsets(desk: Desk) -> None:
    response = desk.as_query_engine().query("Who is the Kremlin spokesman?")
    assert "[1]" in str(response)
    assert response.source_nodes
    for scored in response.source_nodes:
        meta = scored.node.metadata
        record = next(r for r in desk.sources(with_text=True) if r.id == meta["article_id"])
        assert record.text[meta["start"] : meta["end"]] == scored.node.get_content()


def test_query_engine_abstains_without_sources(desk: Desk) -> None:
    response = desk.as_query_engine().query("Who won the 1998 FIFA World Cup final?")
    assert response.source_nodes == []
    assert response.metadata == {"abstained": True}


def test_postprocessor_works_on_foreign_nodes(desk: Desk) -> None:
    """Chunks that citedesk never ingested: sentences are split and embedded on the fly."""
    text = (
        "The harbour of Kelso was rebuilt in 1904. The town library holds 1370 books. "
        "Its mayor is Ada Brennan."
    )
    nodes = [NodeWithScore(node=TextNode(text=text, metadata={"article_id": "kelso"}), score=1.0)]
    # Someone else's corpus: the vocabulary (IDF, names) comes from the nodes given.
    quotes = VerifiedQuotes(embed_model=desk.engine.embed_model).postprocess_nodes(
        nodes, QueryBundle("How many books does the Kelso library have?")
    )
    assert [q.node.get_content() for q in quotes][:1] == ["The town library holds 1370 books."]
    assert quotes[0].node.metadata["start"] == text.index("The town library")


def test_postprocessor_decides_as_the_engine_does(desk: Desk) -> None:
    """The postprocessor answers when the engine answers and abstains when it abstains.

    It used to apply the bar on the best sentence alone, which the engine had replaced with the
    question-level model: it quoted a sentence for "What did Peskov deny two days ago?" (the
    articles are years old) that the engine refuses."""
    postprocessor = desk.as_node_postprocessor()
    retriever = desk.as_retriever()
    questions = [
        "Who is the Kremlin's deputy chief of staff?",
        "Which two countries are holding joint military exercises near the Ukrainian border?",
        "What did the German foreign minister say on Tuesday about Russia?",
        "What did Peskov deny two days ago?",
        "Who won the 1998 FIFA World Cup final?",
        "What is the capital of Australia?",
    ]
    verdicts = []
    for question in questions:
        quotes = postprocessor.postprocess_nodes(
            retriever.retrieve(question), QueryBundle(question)
        )
        verdicts.append((question, bool(quotes), not desk.ask(question).abstained))
    assert all(quoted == answered for _, quoted, answered in verdicts), verdicts
    assert [quoted for _, quoted, _ in verdicts] == [True, True, True, False, False, False]
