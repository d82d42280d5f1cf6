"""The KV cache measured on the lesson's transformer, and its memory formula (notebook 06-04).

``per_token_seconds`` times each token of one generation, with and without the cache, so the
notebook can plot the cost of the next token against the length of the sequence so far.
``kv_bytes_per_token`` is the formula a real model's config feeds (2 for K and V, times
layers, KV heads, head dimension and bytes per element), checked against the cache the
tiny model really allocates.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from inference_server.tiny_transformer import TinyTransformer


# region per-token
def per_token_seconds(
    model: TinyTransformer, prompt_ids: Sequence[int], *, repeats: int = 5
) -> dict[str, np.ndarray]:
    """Seconds each generated token took, with and without the cache, up to the context.

    ``ignore_end_of_text`` makes every run produce exactly as many tokens as fit, so token
    ``i`` always follows a sequence of ``len(prompt_ids) + i`` tokens. The two ways
    alternate, REPEATS times, and each position keeps its fastest time: on a shared
    machine noise only ever adds time (the reason ``timeit`` reports a minimum too).
    """
    max_tokens = model.context_length - len(prompt_ids)
    runs: dict[str, list[np.ndarray]] = {"with cache": [], "without": []}
    for _ in range(repeats):
        for name, use_cache in (("with cache", True), ("without", False)):
            stamps = [time.perf_counter()]
            for _token in model.generate(
                prompt_ids, max_tokens, use_cache=use_cache, ignore_end_of_text=True
            ):
                stamps.append(time.perf_counter())
            runs[name].append(np.diff(stamps))
    return {name: np.min(np.array(seconds), axis=0) for name, seconds in runs.items()}


# endregion


# region kv-formula
def kv_bytes_per_token(layers: int, kv_heads: int, head_dim: int, element_bytes: float) -> float:
    """Cache bytes one token of context holds: a key and a value per layer and KV head."""
    return 2 * layers * kv_heads * head_dim * element_bytes


# endregion
