"""Ingest into a real Chroma, embedded and `chroma run`, with the real embedding model."""

from __future__ import annotations

from pathlib import Path

from citedesk.ingest import ingest_paths
from citedesk.settings import Settings
from citedesk.vectorstore import open_store
from citedesk.vectorstore.embedding import load_embed_model
from citedesk.vectorstore.retrieve import HybridRetriever


def test_ingest_then_reingest_is_a_no_op(store_settings: Settings, sample_copy: Path) -> None:
    store = open_store(store_settings)
    first = ingest_paths([sample_copy], store_settings, store)
    assert first.as_dict() | {"chunks": 0} == {
        "added": 5,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "chunks": 0,
        "errors": [],
    }
    assert first.chunks == store.chunk_count() > 5
    chunks_before = store.chunk_count()
    generation = store.fingerprint()
    assert generation
    second = ingest_paths([sample_copy], store_settings, open_store(store_settings))
    assert second.as_dict() == {
        "added": 0,
        "updated": 0,
        "unchanged": 5,
        "removed": 0,
        "chunks": 0,
        "errors": [],
    }
    assert store.chunk_count() == chunks_before
    assert len(store.articles()) == 5
    assert store.fingerprint() == generation  # readers have nothing to reload
    store.delete_article(store.articles()[0].id)
    assert store.fingerprint() != generation


def test_every_stored_chunk_is_a_verbatim_slice_of_its_article(
    store_settings: Settings, sample_copy: Path
) -> None:
    store = open_store(store_settings)
    ingest_paths([sample_copy], store_settings, store)
    articles = {record.id: record for record in store.articles(with_text=True)}
    record = next(iter(articles.values()))
    assert (
        record.title
        and record.content_hash
        and record.ingested_at
        and record.source.endswith(".txt")
    )
    for node in store.chunk_nodes():
        article = articles[node.metadata["article_id"]]
        assert article.text[node.metadata["start"] : node.metadata["end"]] == node.text


def test_changed_article_replaces_its_old_text(store_settings: Settings, sample_copy: Path) -> None:
    store = open_store(store_settings)
    ingest_paths([sample_copy], store_settings, store)
    target = sample_copy / "003_f9cf9154fa5bc754.txt"
    target.write_text(
        target.read_text().replace("eight-hour talks in Paris", "nine-hour talks in Lyon"),
        encoding="utf-8",
    )
    report = ingest_paths([sample_copy], store_settings, store)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 4)
    texts = " ".join(node.text for node in store.chunk_nodes())
    assert "nine-hour talks in Lyon" in texts and "eight-hour talks in Paris" not in texts
    retriever = HybridRetriever(store, load_embed_model(store_settings.retrieval.embed_model), 8)
    found = " ".join(r.node.text for r in retriever.retrieve("How long were the talks in Paris?"))
    assert "eight-hour" not in found


def test_prune_removes_only_articles_gone_from_the_given_folder(
    store_settings: Settings, sample_copy: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.md").write_text(
        "The harbour in Hamburg reopened on Monday after the storm, port officials said.\n",
        encoding="utf-8",
    )
    store = open_store(store_settings)
    ingest_paths([sample_copy, other], store_settings, store)
    (sample_copy / "004_4ebe9d0602011b2b.txt").unlink()
    (other / "keep.md").unlink()
    without_prune = ingest_paths([sample_copy], store_settings, store)
    assert without_prune.removed == 0 and len(store.articles()) == 6
    report = ingest_paths([sample_copy], store_settings, store, prune=True)
    assert report.removed == 1
    sources = sorted(record.source for record in store.articles())
    assert (
        "004_4ebe9d0602011b2b.txt" not in sources and "keep.md" in sources
    )  # other folder untouched


def test_bad_files_are_reported_and_nothing_is_written(
    store_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")
    (folder / "latin1.txt").write_bytes(
        "Caf\xe9 au lait, said the minister on Monday.".encode("latin-1")
    )
    (folder / "menu.html").write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    unsupported = tmp_path / "slides.pdf"
    unsupported.write_bytes(b"%PDF-1.4")
    store = open_store(store_settings)
    report = ingest_paths([folder, unsupported, tmp_path / "missing"], store_settings, store)
    assert report.added == 0 and store.is_empty() and store.chunk_count() == 0
    errors = "\n".join(report.errors)
    assert len(report.errors) == 5
    assert "empty.txt: the file is empty" in errors
    assert "latin1.txt: not UTF-8" in errors
    assert "menu.html: no article text" in errors
    assert "unsupported file type '.pdf'" in errors
    assert "missing: no such file or folder" in errors


def test_html_goes_through_trafilatura(store_settings: Settings, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Port reopens | Harbour News</title>"
        '<meta property="og:site_name" content="Harbour News">'
        '<meta property="article:published_time" content="2022-01-18T10:00:00Z"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>Port reopens</h1>"
        "<p>The harbour in Hamburg reopened on Monday after the storm, port officials said.</p>"
        "<p>Ships that had waited at anchor for three days began to move in the afternoon.</p>"
        "</article><footer>© 2022 Harbour News. All rights reserved.</footer></body></html>",
        encoding="utf-8",
    )
    store = open_store(store_settings)
    report = ingest_paths([page], store_settings, store)
    assert report.added == 1, report.errors
    (record,) = store.articles(with_text=True)
    assert record.outlet == "Harbour News" and record.published == "2022-01-18"
    assert "reopened on Monday" in record.text and "Home" not in record.text


def test_a_write_interrupted_before_its_commit_is_never_citable(
    store_settings: Settings, sample_copy: Path
) -> None:
    """Chunks of a new version are written, then the process dies before the record commits."""
    from llama_index.core import Document

    from citedesk.answering.engine import AnswerEngine
    from citedesk.ingest._chunk import SentenceChunker
    from citedesk.ingest._sentences import SentenceEmbedder

    store = open_store(store_settings)
    ingest_paths([sample_copy], store_settings, store)
    record = next(r for r in store.articles(with_text=True) if r.source.startswith("003"))
    half_written = record.text.replace("eight-hour talks in Paris", "ninety-hour talks in Rome")
    document = Document(
        id_=record.id,
        text=half_written,
        metadata={"article_id": record.id, "content_hash": "f" * 64, "title": record.title},
    )
    nodes = SentenceChunker(
        chunk_chars=store_settings.retrieval.chunk_chars
    ).get_nodes_from_documents([document])
    nodes = SentenceEmbedder(embed_model=load_embed_model(store_settings.retrieval.embed_model))(
        nodes
    )
    store.vector_store.add(nodes)  # ...and here the process is killed: no record upsert
    engine = AnswerEngine(store_settings, store)
    answer = engine.ask("How long were the talks in Rome?")
    assert all("ninety-hour" not in c.quote for c in answer.citations)
    assert "ninety-hour" not in " ".join(n.text for n in store.chunk_nodes())
    # A row that citedesk did not write (its id names no article version) is not garbage.
    store._chunks.add(ids=["someone-elses-row"], embeddings=[[0.1] * 384], documents=["theirs"])
    assert store.collect_garbage() == len(nodes)
    assert store._chunks.get(ids=["someone-elses-row"])["ids"] == ["someone-elses-row"]
    store._chunks.delete(ids=["someone-elses-row"])
    assert store.chunk_count() == sum(r.chunks for r in store.articles())


def test_sentence_vectors_are_stored_once_and_come_back_with_dense_results(
    store_settings: Settings, sample_copy: Path
) -> None:
    from llama_index.core import VectorStoreIndex

    from citedesk.vectorstore.sentences import VECTORS_KEY, unpack_sentences

    store = open_store(store_settings)
    ingest_paths([sample_copy], store_settings, store)
    rows = store._chunks.get(include=["metadatas"])["metadatas"] or []
    assert rows and all(VECTORS_KEY in row for row in rows)
    # Not a second time inside llama-index's serialised node.
    assert not any(str(row[VECTORS_KEY])[:40] in str(row["_node_content"]) for row in rows)
    embed_model = load_embed_model(store_settings.retrieval.embed_model)
    retriever = HybridRetriever(store, embed_model, 8)
    # Hybrid results (both retrievers give ids; the kept chunks are read after fusion), and
    # llama-index's own index over the vector store, as anyone's code would build it.
    dense = VectorStoreIndex.from_vector_store(
        store.vector_store, embed_model=embed_model, transformations=[embed_model]
    )
    found = [
        *retriever.retrieve("Who is the Kremlin spokesman?"),
        *dense.as_retriever(similarity_top_k=8).retrieve("Who is the Kremlin spokesman?"),
    ]
    assert len(found) == 16
    for result in found:
        spans, vectors = unpack_sentences(result.node.metadata)
        assert spans and vectors.shape == (len(spans), 384)


def test_a_desk_ingest_changes_the_generation_once(
    store_settings: Settings, sample_copy: Path
) -> None:
    """Articles commit one by one, but readers rebuild once: at the end of the ingest."""
    from citedesk.desk import Desk

    store = open_store(store_settings)
    ingest_paths([next(sample_copy.glob("*.txt"))], store_settings, store)
    before = store.fingerprint()
    seen: list[tuple[str, int]] = []

    def progress(name: str, done: int, total: int) -> None:
        seen.append((store.fingerprint(), len(store.articles())))

    report = Desk(store_settings, store).ingest([str(sample_copy)], progress=progress)
    assert report.added == 4 and seen
    assert {fingerprint for fingerprint, _ in seen} == {before}  # nothing published midway
    assert seen[-1][1] == 5  # although every article was committed
    assert store.fingerprint() != before
