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
    target = onnx_path(model_dir)
    if not target.exists():
        with _EXPORT_LOCK:
            if not target.exists():
                export(model_dir, target)
    if not quantized:
        return target
    int8 = target.with_name(_INT8_NAME)
    if not int8.exists():
        with _EXPORT_LOCK:
            if not int8.exists():
                quantize(target, int8)
    return int8


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
        os.replace(tmp_name, target)
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
        os.replace(tmp_name, target)  # readers see no file or the whole file, never a part
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp_name, path)
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
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The arena keeps the largest batch's buffers for the life of the process: hundreds of MB
        # in a bot that once ingested, for no measurable speed (batches are few and large).
        options.enable_cpu_mem_arena = False
        self.session = onnxruntime.InferenceSession(
            str(ensure_onnx(model_dir, quantized=quantized)),
            options,
            providers=["CPUExecutionProvider"],
        )
        self.dimensions = int(self.session.get_outputs()[0].shape[-1] or 384)

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
            (hidden,) = self.session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            result[batch] = pooled / np.maximum(norms, 1e-12)
        return result


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
