"""The tiny transformer: deterministic training, a KV cache that changes nothing but cost,
and requests checked before any work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from inference_server.tiny_transformer import (
    CORPUS_PATH,
    ContextLengthError,
    TinyTransformer,
    tokenize,
)

EXAMPLE = Path(__file__).resolve().parents[1]
PROMPTS = ["A vector database", "Use a connection pool", "Refresh tokens", "The index"]


def test_training_is_deterministic(model):
    again = TinyTransformer.train()
    assert again.vocabulary == model.vocabulary
    np.testing.assert_array_equal(again.output_weights, model.output_weights)


def test_training_gives_the_same_model_under_other_blas_kernels(model, tmp_path):
    """Another CPU runs other BLAS kernels, which round differently: the fit must not turn
    that into another model (it did, through the arbitrary signs of the SVD's vectors), or
    a notebook's stored text would differ on the next machine. OpenBLAS picks its kernels by
    OPENBLAS_CORETYPE, so Sandy Bridge's stand in for another CPU's."""
    script = (
        "import sys, numpy as np; from inference_server.tiny_transformer import TinyTransformer;"
        "m = TinyTransformer.train();"
        "np.savez(sys.argv[1], embedding=m.token_embedding, output=m.output_weights)"
    )
    env = {**os.environ, "OPENBLAS_CORETYPE": "Sandybridge", "OPENBLAS_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(EXAMPLE), env.get("PYTHONPATH", "")])
    saved = tmp_path / "other.npz"
    subprocess.run([sys.executable, "-c", script, saved], env=env, check=True, timeout=300)
    other = np.load(saved)
    np.testing.assert_allclose(other["embedding"], model.token_embedding, atol=1e-5)
    np.testing.assert_allclose(other["output"], model.output_weights, atol=1e-5)


def test_the_model_learned_the_corpus(model):
    """Greedy next-word accuracy on the corpus is far above always guessing the commonest
    word: the fitted output layer really reads the attended context."""
    ids = model.encode(CORPUS_PATH.read_text(encoding="utf-8")[:20_000])[: model.context_length]
    logits = model.forward(ids)
    predicted = logits[:-1].argmax(axis=1)
    accuracy = float(np.mean(predicted == np.asarray(ids[1:])))
    commonest = max(set(ids), key=ids.count)
    baseline = ids[1:].count(commonest) / (len(ids) - 1)
    assert accuracy > 2 * baseline, (accuracy, baseline)


@pytest.mark.parametrize("prompt", PROMPTS)
def test_the_cache_changes_cost_not_tokens(model, prompt):
    ids = model.encode(prompt)
    cached = list(model.generate(ids, 60, ignore_end_of_text=True))
    uncached = list(model.generate(ids, 60, ignore_end_of_text=True, use_cache=False))
    assert cached == uncached and len(cached) == 60


def test_cached_logits_equal_a_full_forward_pass(model):
    ids = model.encode("Use a connection pool and keep transactions short")
    cache, last = model.prefill(ids[:-1])
    step = model.decode_step([cache], [ids[-1]])[0]
    np.testing.assert_allclose(last, model.forward(ids[:-1], last_only=True), atol=1e-3)
    np.testing.assert_allclose(step, model.forward(ids, last_only=True), atol=1e-3)
    assert cache.length == len(ids)
    # One layer, keys and values, 4 heads of 64 float32 each.
    assert cache.bytes_per_token == 1 * 2 * 4 * 64 * 4
    assert cache.used_bytes == len(ids) * cache.bytes_per_token


def test_seeded_sampling_is_reproducible_and_greedy_is_the_argmax(model):
    ids = model.encode("A vector database")
    first = list(model.generate(ids, 30, temperature=0.9, seed=7, ignore_end_of_text=True))
    again = list(model.generate(ids, 30, temperature=0.9, seed=7, ignore_end_of_text=True))
    other = list(model.generate(ids, 30, temperature=0.9, seed=8, ignore_end_of_text=True))
    assert first == again != other
    greedy = next(model.generate(ids, 1))
    logits = model.forward(ids, last_only=True)
    logits[model.unk_id] = -np.inf
    assert greedy == int(np.argmax(logits))


def test_generation_stops_at_end_of_text_without_yielding_it(model):
    for prompt in PROMPTS:
        tokens = list(model.generate(model.encode(prompt), 100))
        assert model.end_of_text_id not in tokens and model.unk_id not in tokens
        assert len(tokens) <= 100


def test_decode_is_the_concatenation_of_streamed_pieces(model):
    tokens = list(model.generate(model.encode("Use a connection pool"), 40))
    assert "".join(model.token_text(t) for t in tokens) == model.decode(tokens)
    assert model.encode(model.decode(tokens)) == tokens  # words known, punctuation split


def test_tokens_are_words_and_punctuation():
    assert tokenize("Don't re-index, ever: p95.") == [
        "Don't",
        "re-index",
        ",",
        "ever",
        ":",
        "p95",
        ".",
    ]


@pytest.mark.parametrize(
    ("prompt_length", "max_tokens", "message"),
    [
        (0, 5, "the prompt is empty"),
        (100, 29, "exceeds the context length 128"),
        (3, 0, "max_tokens must be at least 1"),
    ],
)
def test_requests_that_cannot_be_served_are_refused_first(
    model, prompt_length, max_tokens, message
):
    with pytest.raises(ValueError, match=message):
        list(model.generate([5] * prompt_length, max_tokens))


def test_the_context_limit_is_exact(model):
    assert len(list(model.generate([5] * 100, 28, ignore_end_of_text=True))) == 28
    with pytest.raises(ContextLengthError):
        model.check_request([5] * 128, 1)
