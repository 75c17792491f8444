"""all-MiniLM-L6-v2 through ONNX Runtime and `tokenizers`: no torch on the question path.

The packaged PyTorch weights are exported to ONNX once (at setup, or lazily at first use) into a
cache folder keyed by a hash of the model's files, so a changed model never reuses a stale export.
Encoding matches sentence-transformers: WordPiece tokens truncated to `max_seq_length` (256), mean
pooling over the attention mask, L2 normalisation.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# Files whose bytes decide the exported graph and the tokenizer; their hash names the cache entry.
_MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_OPSET = 17
# The quantization recipe is part of the name, so a changed recipe never reuses an old file.
_INT8_NAME = "model.int8-matmul-perchannel-rr.onnx"
_EXPORT_LOCK = threading.Lock()
# The session runs this copy of a model: the same graph without its word-embedding table.
_SPLIT_SUFFIX = ".split.onnx"
WORD_VECTORS = "word_vectors"


def cache_roots() -> list[Path]:
    """Where exports may live, searched in order: $CITEDESK_MODEL_CACHE, the environment's prefix
    (a venv, or the system Python in the Docker image, filled at build time), ~/.cache."""
    configured = os.environ.get("CITEDESK_MODEL_CACHE")
    if configured:
        return [Path(configured)]
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(sys.prefix) / "share" / "citedesk" / "onnx", Path(xdg) / "citedesk" / "onnx"]


def cache_root() -> Path:
    """Where a new export is written: the first of `cache_roots` that this user may write."""
    roots = cache_roots()
    return next((root for root in roots if _writable(root)), roots[-1])


def _writable(folder: Path) -> bool:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)


def model_hash(model_dir: Path) -> str:
    """Hash the model's files; memoised per (size, mtime) so the 90 MB file is read once."""
    stats = [
        (name, (model_dir / name).stat()) for name in _MODEL_FILES if (model_dir / name).exists()
    ]
    stat_key = hashlib.sha256(
        repr([(str(model_dir), n, s.st_size, s.st_mtime_ns) for n, s in stats]).encode()
    ).hexdigest()[:24]
    for root in cache_roots():
        with contextlib.suppress(OSError):
            return (root / "hashes" / stat_key).read_text().strip()
    memo = cache_root() / "hashes" / stat_key
    digest = hashlib.sha256()
    for name, _ in stats:
        digest.update(name.encode() + b"\0")
        with open(model_dir / name, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    value = digest.hexdigest()[:24]
    # A read-only cache still works; it just hashes again next time.
    with contextlib.suppress(OSError):
        _write_atomically(memo, value.encode())
    return value


def onnx_path(model_dir: Path) -> Path:
    """The export for this model: an existing one in any cache root, else where to write it."""
    key = model_hash(model_dir)
    for root in cache_roots():
        if (root / key / "model.onnx").exists():
            return root / key / "model.onnx"
    return cache_root() / key / "model.onnx"


def ensure_onnx(model_dir: Path, *, quantized: bool = False) -> Path:
    """Return the ONNX export of a model folder, exporting it first if it is not cached.

    `quantized`: the int8 dynamically quantized variant (weights int8, activations quantized per
    call), made from the float export and cached beside it.
    """
    target = _made_once(onnx_path(model_dir), lambda path: export(model_dir, path))
    if not quantized:
        return target
    return _made_once(target.with_name(_INT8_NAME), lambda path: quantize(target, path))


def _made_once(path: Path, make: Callable[[Path], None]) -> Path:
    """Return `path`, first calling `make(path)` if it does not exist (once per process at a
    time; across processes each writer replaces the file atomically)."""
    if not path.exists():
        with _EXPORT_LOCK:
            if not path.exists():
                make(path)
    return path


def ensure_split(model: Path) -> Path:
    """Return a copy of an ONNX model without its word-embedding table, made once.

    The copy takes the looked-up word vectors as an input (`WORD_VECTORS`) and the table is saved
    beside it (`words_path`), for `OnnxEncoder` to read a row per token with pread. Inside the
    session the table (30k x 384 floats, 47 MB) was resident for the life of every process that
    embeds, a question's handful of tokens being all it needs; memory-mapped, the kernel's
    read-around made it resident within a few dozen questions. The rest of the graph is the same,
    so the copy computes exactly what the model does.
    """
    return _made_once(
        model.with_name(model.stem + _SPLIT_SUFFIX), lambda path: _write_split(model, path)
    )


def words_path(split: Path) -> Path:
    """The word-embedding table of a model written by `ensure_split`: rows of floats, flat."""
    return split.with_suffix(".words.npy")


def _write_split(source: Path, target: Path) -> None:
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    tables = {init.name: init for init in graph.initializer if len(init.dims) == 2}
    lookup = next(
        (
            node
            for node in graph.node
            if node.op_type == "Gather"
            and node.input[0] in tables
            and node.input[1] == "input_ids"
            and tables[node.input[0]].dims[0] >= 1000
        ),
        None,
    )
    if lookup is None:
        # A model exported some other way (no table looked up by input_ids): run it whole.
        _write_atomically(target, source.read_bytes())
        return
    table = numpy_helper.to_array(tables[lookup.input[0]]).astype(np.float32)
    looked_up = lookup.output[0]
    graph.node.remove(lookup)
    graph.initializer.remove(tables[lookup.input[0]])
    for node in graph.node:
        for position, name in enumerate(node.input):
            if name == looked_up:
                node.input[position] = WORD_VECTORS
    graph.input.append(
        helper.make_tensor_value_info(
            WORD_VECTORS, onnx.TensorProto.FLOAT, ["batch", "tokens", table.shape[1]]
        )
    )
    # Written in a scratch folder beside the target and moved in table first: a reader that
    # finds the graph always finds its table.
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".split-"))
    try:
        np.save(scratch / "words.npy", table.reshape(-1))
        onnx.save_model(model, str(scratch / "model.onnx"))
        for name, final in (("words.npy", words_path(target)), ("model.onnx", target)):
            _publish(scratch / name, final)
    finally:
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()


def quantize(source: Path, target: Path) -> None:
    """Write the int8 dynamically quantized copy of an ONNX model (needs the `onnx` package).

    Only the MatMul weights, per output channel, 7-bit range: on the eval sentences this kept
    cosines to the float model at 0.99 on average (0.95 worst) for about 1.8x the speed; the
    default recipe (per tensor, embeddings too) was 2.6x but only 0.95 on average (0.78 worst).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    handle, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(handle)
    try:
        quantize_dynamic(
            str(source),
            tmp_name,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=True,
        )
        _publish(Path(tmp_name), target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def export(model_dir: Path, target: Path) -> None:
    """Export the transformer to ONNX (needs torch, transformers, onnx); written atomically."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir)).eval()

    class _Hidden(torch.nn.Module):
        """Return only the token embeddings (pooling runs in numpy)."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = torch.ones(2, 8, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(handle)
    try:
        with torch.no_grad():
            torch.onnx.export(
                _Hidden(),
                (example, example, torch.zeros_like(example)),
                tmp_name,
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=_OPSET,
                dynamo=False,
            )
        _publish(Path(tmp_name), target)  # readers see no file or the whole file, never a part
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _publish(written: Path, final: Path) -> None:
    """Move a finished file into place, readable by all: temporary files are created private
    (0600), and a cache filled at build time (the Docker image, as root) is read by the bot's
    unprivileged user."""
    os.chmod(written, 0o644)
    os.replace(written, final)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        _publish(Path(tmp_name), path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


class OnnxEncoder:
    """Sentence embeddings from an ONNX export: batched, length-sorted, both cores."""

    def __init__(
        self, model_dir: Path, *, threads: int | None = None, quantized: bool = False
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        from citedesk.vectorstore._saved_array import SavedArray

        model_dir = Path(model_dir)
        max_length = int(
            json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
        )
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json pads and truncates to 128; sentence-transformers truncates at 256 and
        # pads each batch only to its longest text.
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # ONNX Runtime's pool threads otherwise spin for a while after each run, waiting for more
        # work: a question's one-sentence embedding then cost 25.8 ms of CPU instead of 4.2 ms
        # (2.7 instead of 4.0 ms of wall time), and the spinning thread took ~80% of a core from
        # the rest of a bot (its replies, its ingest). Batches of an ingest run as fast without.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The arena keeps the largest batch's buffers for the life of the process: hundreds of MB
        # in a bot that once ingested, for no measurable speed (batches are few and large).
        options.enable_cpu_mem_arena = False
        self.session = onnxruntime.InferenceSession(
            str(split := ensure_split(ensure_onnx(model_dir, quantized=quantized))),
            options,
            providers=["CPUExecutionProvider"],
        )
        self.dimensions = int(self.session.get_outputs()[0].shape[-1] or 384)
        self._inputs = {node.name for node in self.session.get_inputs()}
        self._words = SavedArray(words_path(split)) if WORD_VECTORS in self._inputs else None

    def encode(self, texts: list[str], batch_size: int = 64) -> npt.NDArray[np.float32]:
        """Return one unit vector per text, in the order given."""
        import numpy as np

        encodings = self.tokenizer.encode_batch(texts)
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        lengths = [len(encoding.ids) for encoding in encodings]
        for batch in _batches(lengths, batch_size, _TOKENS_PER_BATCH):
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            feed: dict[str, Any] = {
                "input_ids": ids,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(ids),
            }
            if self._words is not None:
                feed[WORD_VECTORS] = self._word_vectors(ids)
            (hidden,) = self.session.run(
                None, {name: value for name, value in feed.items() if name in self._inputs}
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            result[batch] = pooled / np.maximum(norms, 1e-12)
        return result

    def _word_vectors(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Look up each token's row of the word-embedding table (the model's first step)."""
        import numpy as np

        assert self._words is not None
        dimensions = self.dimensions
        unique, where = np.unique(ids, return_inverse=True)
        rows = np.stack(
            [self._words[int(i) * dimensions : (int(i) + 1) * dimensions] for i in unique]
        )
        return rows[where.reshape(ids.shape)]


# A batch closes early once a text is this much longer than the batch's shortest: every text is
# padded to the longest, and attention costs the square of the width. Texts come sorted by length,
# so this only splits the steep long tail (a 40-token and a 250-token sentence never share a batch).
_WIDTH_RATIO = 1.25
_MIN_BATCH = 8
# Tokens in one batch (rows x padded width). Small batches stay in the CPU's caches: on 29k real
# news sentences and chunks (2 cores), 1,024 tokens took 57 s, 4,096 took 81 s and 64 rows of any
# width 109 s; and they bound the activations (64 texts of 256 tokens took 1 GB).
_TOKENS_PER_BATCH = 1024


def _batches(lengths: list[int], batch_size: int, max_tokens: int = 0) -> list[list[int]]:
    """Indices of the texts, sorted by length and cut into batches of similar width."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (
            len(current) >= batch_size
            or (max_tokens and (len(current) + 1) * lengths[i] > max_tokens)
            or (
                len(current) >= _MIN_BATCH
                and lengths[i] > _WIDTH_RATIO * max(lengths[current[0]], 1)
            )
        ):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
