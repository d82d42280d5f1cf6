# Solutions to the exercises of 03-streaming-tokens.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: the 95th percentile of inter-token latency
from itertools import pairwise

import numpy as np

gaps = [
    later - earlier
    for run in runs[CONCURRENCY[0]]
    for earlier, later in pairwise(run.token_arrivals)
]
itl_p95_ms = float(np.percentile(gaps, 95)) * 1000


# %% Exercise 2
# Exercise 2: trim a conversation to the context
def fit_context(messages: list[dict[str, str]], max_tokens: int) -> list[dict[str, str]]:
    kept = list(messages)
    while len(kept) > 1:  # the newest message always stays
        prompt = model.encode("\n".join(message["content"] for message in kept))
        if len(prompt) + max_tokens <= model.context_length:
            break
        kept = kept[1:]  # drop the oldest
    return kept
