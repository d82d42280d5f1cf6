"""A tiny decoder-only transformer in numpy, trained in about a second on the course's own text.

What it is. A word-level language model with the parts of a GPT-style decoder: token and
position embeddings, one block of causal multi-head self-attention (softmax over scaled dot
products) with a residual connection, layer norm, an MLP, and an output layer over the
vocabulary. Generation keeps a KV cache: the keys and values of every position already seen,
so each new token costs one row of work instead of a pass over the whole sequence.

How it is trained, plainly. Backpropagation through every weight is too slow for a lesson (a
2-layer character model took 280 ms a step with autograd and was still poor after 400 steps),
so the weights are built, not learned, except the last layer:

- the token embeddings are fixed random vectors (one per word);
- the position embeddings are sinusoids, and head ``h``'s query projection rotates them by
  ``h + 1`` positions, so its softmax attention peaks on the token ``h + 1`` places back: the
  attention layer really computes softmax(QK^T / sqrt(d))V, and what it computes is "gather
  the previous ``n_heads`` words", a 5-word context for ``n_heads=4``;
- the MLP's first layer is frozen random features (a ReLU of a random projection);
- the output layer reads the layer-normed residual stream and the MLP's hidden units (the
  MLP's down-projection folded into it) and is the only fitted part: ridge least squares in
  closed form, one linear solve, against the next word at every position of the corpus.

The text it makes looks like the course (its words and phrases in a plausible order), not
like sense: it is a 5-gram model in a transformer's clothes, which is what the KV cache and
continuous batching lessons need (real attention, real caches, real per-token cost).

Tokens. Words and punctuation marks (``encode`` splits with a regular expression), case kept;
the ``vocab_size - 2`` most frequent words of the corpus that occur at least twice, plus
``<unk>`` (any other word; never generated) and ``<|endoftext|>`` (between paragraphs in
training; generation stops there and does not yield it). ``decode`` is additive: each token's
text carries its own leading space, so streamed pieces concatenate to ``decode(ids)``.

The corpus, ``corpus.txt``: the prose of the course's reference guides
(``skills/*/references/*.md`` of the skills before this one, in path order) with code blocks,
tables, link targets, URLs and markdown symbols removed, one paragraph per blank-line block,
cut at 300 KB (about 216 KB, 35,000 words). It is frozen so the model and its outputs do not
change when the guides do.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse
from scipy.sparse.linalg import svds
from threadpoolctl import threadpool_limits

CORPUS_PATH = Path(__file__).with_name("corpus.txt")
UNK = "<unk>"
END_OF_TEXT = "<|endoftext|>"
_TOKEN_PATTERN = re.compile(r"[\w]+(?:[-'’./:+][\w]+)*|[^\w\s]")
LOGIT_SCALE = 60.0
_ATTACHED = set(".,;:!?%'’")  # punctuation written without a space before it


class ContextLengthError(ValueError):
    """The prompt is empty, or the prompt and the tokens asked for do not fit the context."""


# region kv-cache
@dataclass
class KVCache:
    """The keys and values of one sequence's positions, for each layer: what generation reuses.

    Arrays are allocated for the whole context at once (as vLLM's blocks or HF's static cache
    are) and filled row by row; ``length`` says how many positions are valid.
    """

    keys: np.ndarray  # (layers, heads, context_length, head_dim) float32
    values: np.ndarray  # same shape
    length: int = 0

    @property
    def bytes_per_token(self) -> int:
        layers, heads, _, head_dim = self.keys.shape
        return layers * 2 * heads * head_dim * self.keys.itemsize

    @property
    def used_bytes(self) -> int:
        return self.length * self.bytes_per_token


# endregion


def _layer_norm(x: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5)


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


def tokenize(text: str) -> list[str]:
    """Words (with inner hyphens, apostrophes, dots) and single punctuation marks."""
    return _TOKEN_PATTERN.findall(text)


class TinyTransformer:
    """One decoder block: embeddings, causal multi-head attention, MLP, output layer."""

    name = "tiny-transformer"
    n_layers = 1

    def __init__(
        self,
        vocabulary: list[str],
        *,
        context_length: int,
        n_heads: int,
        head_dim: int,
        mlp_hidden: int,
        seed: int,
    ) -> None:
        if context_length > 2 * head_dim:
            raise ValueError(
                f"context_length {context_length} needs head_dim of at least {context_length // 2}"
            )
        self.vocabulary = vocabulary
        self.token_ids = {token: index for index, token in enumerate(vocabulary)}
        self.unk_id = self.token_ids[UNK]
        self.end_of_text_id = self.token_ids[END_OF_TEXT]
        self.context_length = context_length
        self.n_heads = n_heads
        self.head_dim = head_dim
        self.mlp_hidden = mlp_hidden
        self.training_seconds = 0.0
        self._build_weights(np.random.default_rng(seed))
        self.output_weights = np.zeros((self.d_model + mlp_hidden + 1, len(vocabulary)), np.float32)

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    # region build-weights
    def _build_weights(self, rng: np.random.Generator) -> None:
        """Residual stream: [token (head_dim) | position (head_dim) | one slot per head]."""
        hd, heads = self.head_dim, self.n_heads
        self.d_model = hd * (2 + heads)
        token, position = slice(0, hd), slice(hd, 2 * hd)
        # Token embeddings: fixed random vectors, one row per word.
        self.token_embedding = np.zeros((self.vocab_size, self.d_model), np.float64)
        self.token_embedding[:, token] = rng.standard_normal((self.vocab_size, hd))
        # Position embeddings: cos/sin pairs at K = head_dim/2 frequencies pi(k+1/2)/K. Their dot
        # product p_t . p_s is K when t == s and exactly 0 for any other gap below 2K (-K at 2K).
        pairs = hd // 2
        freqs = np.pi * (np.arange(pairs) + 0.5) / pairs
        angles = np.arange(self.context_length)[:, None] * freqs[None, :]
        self.position_embedding = np.zeros((self.context_length, self.d_model), np.float64)
        self.position_embedding[:, position] = np.concatenate(
            [np.cos(angles), np.sin(angles)], axis=1
        )
        # Head h attends h+1 positions back: its query is the position rotated by -(h+1), so
        # q_t . k_s = sharpness * K * [s == t-h-1]; after /sqrt(head_dim) the softmax is one-hot
        # to float32 precision (the other weights are about e^-20 each).
        sharpness = 20.0 * np.sqrt(hd) / pairs
        self.w_query = np.zeros((self.d_model, heads * hd), np.float64)
        self.w_key = np.zeros((self.d_model, heads * hd), np.float64)
        self.w_value = np.zeros((self.d_model, heads * hd), np.float64)
        self.w_out = np.zeros((heads * hd, self.d_model), np.float64)
        for head in range(heads):
            cols = slice(head * hd, (head + 1) * hd)
            offset = head + 1
            cos, sin = np.cos(offset * freqs), np.sin(offset * freqs)
            # [cos a, sin a] -> [cos(a - o w), sin(a - o w)], written as a matrix on the pair
            rotation = np.block([[np.diag(cos), np.diag(-sin)], [np.diag(sin), np.diag(cos)]])
            self.w_query[position, cols] = sharpness * rotation
            self.w_key[position, cols] = np.eye(hd)
            self.w_value[token, cols] = np.eye(hd)  # the value is the word itself
            slot = 2 * hd + head * hd
            self.w_out[cols, slot : slot + hd] = np.eye(hd)  # each head writes its own slot
        # MLP first layer: frozen random ReLU features of the words in the residual stream.
        self.w_mlp = (rng.standard_normal((self.d_model, self.mlp_hidden)) / np.sqrt(hd)).astype(
            np.float64
        )
        self.w_mlp[position] = 0.0  # position is not a feature: the same words, the same guess
        # A negative bias makes each unit fire for few word combinations: sparse conjunctions.
        self.b_mlp = np.full(self.mlp_hidden, -1.5, np.float64)

    # endregion

    # region forward
    def _attend(self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Causal softmax attention of the last ``len(queries)`` positions over ``len(keys)``."""
        n_new, n_all = queries.shape[-2], keys.shape[-2]
        scores = np.einsum("...qd,...kd->...qk", queries, keys, optimize=True)
        scores /= np.sqrt(self.head_dim)
        query_positions = np.arange(n_all - n_new, n_all)[:, None]
        scores = np.where(np.arange(n_all)[None, :] <= query_positions, scores, -np.inf)
        return _softmax(scores) @ values  # (..., heads, n_new, head_dim)

    def _split_heads(self, projected: np.ndarray) -> np.ndarray:
        """(..., n, heads * head_dim) -> (..., heads, n, head_dim)."""
        split = projected.reshape(*projected.shape[:-1], self.n_heads, self.head_dim)
        return np.ascontiguousarray(np.swapaxes(split, -2, -3))  # contiguous: BLAS matmul

    def _merge_heads(self, heads: np.ndarray) -> np.ndarray:
        merged = np.swapaxes(heads, -2, -3)
        return merged.reshape(*merged.shape[:-2], self.n_heads * self.head_dim)

    def _embed(self, token_ids: Sequence[int] | np.ndarray, start: int) -> np.ndarray:
        ids = np.asarray(token_ids)
        positions = np.arange(start, start + ids.shape[-1])
        return self.token_embedding[ids] + self.position_embedding[positions]

    def _features(self, residual: np.ndarray) -> np.ndarray:
        """What the output layer reads: the normed residual stream, the MLP units, a bias 1."""
        normed = _layer_norm(residual)
        hidden = np.maximum(normed @ self.w_mlp + self.b_mlp, 0.0)
        ones = np.ones((*residual.shape[:-1], 1), residual.dtype)
        return np.concatenate([normed, hidden, ones], axis=-1)

    def _block(self, token_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The block over whole sequences (ids of shape (n,) or (batch, n)), no cache."""
        x = self._embed(token_ids, 0)
        q, k, v = (self._split_heads(x @ w) for w in (self.w_query, self.w_key, self.w_value))
        return self._features(x + self._merge_heads(self._attend(q, k, v)) @ self.w_out)

    def forward(self, token_ids: Sequence[int], *, last_only: bool = False) -> np.ndarray:
        """Logits of a whole sequence without a cache: (len, vocab), or (vocab,) if last_only.

        Every position goes through the block (a deeper model needs them all for its next
        layer); ``last_only`` skips the output layer where only the next token is wanted.
        """
        features = self._block(token_ids)
        if last_only:
            return features[-1] @ self.output_weights
        return features @ self.output_weights

    def new_cache(self) -> KVCache:
        shape = (self.n_layers, self.n_heads, self.context_length, self.head_dim)
        return KVCache(np.zeros(shape, np.float32), np.zeros(shape, np.float32))

    def prefill(self, prompt_ids: Sequence[int]) -> tuple[KVCache, np.ndarray]:
        """Run the prompt once, keep its keys and values: (cache, logits of its last position)."""
        cache = self.new_cache()
        return cache, self.extend([cache], [list(prompt_ids)])[0]

    def decode_step(self, caches: Sequence[KVCache], token_ids: Sequence[int]) -> np.ndarray:
        """One new token for each sequence of a batch, each with its own cache: (batch, vocab)."""
        return self.extend(caches, [[token] for token in token_ids])

    def extend(self, caches: Sequence[KVCache], chunks: Sequence[Sequence[int]]) -> np.ndarray:
        """Append each chunk to its sequence's cache; logits of each chunk's last token.

        The matrix products run on all new rows of the batch at once; attention runs per
        sequence, since each has its own length and cache.
        """
        x = np.concatenate(
            [self._embed(ids, c.length) for c, ids in zip(caches, chunks, strict=True)]
        )
        q, k, v = (self._split_heads(x @ w) for w in (self.w_query, self.w_key, self.w_value))
        heads = np.empty((self.n_heads, len(x), self.head_dim), x.dtype)
        row = 0
        for cache, ids in zip(caches, chunks, strict=True):
            rows, end = slice(row, row + len(ids)), cache.length + len(ids)
            cache.keys[0, :, cache.length : end] = k[:, rows]
            cache.values[0, :, cache.length : end] = v[:, rows]
            cache.length = end
            heads[:, rows] = self._attend(
                q[:, rows], cache.keys[0, :, :end], cache.values[0, :, :end]
            )
            row += len(ids)
        last_rows = np.cumsum([len(ids) for ids in chunks]) - 1
        residual = x[last_rows] + self._merge_heads(heads[:, last_rows]) @ self.w_out
        return self._features(residual) @ self.output_weights

    # endregion

    # region train
    @classmethod
    def train(
        cls,
        text: str | None = None,
        *,
        seed: int = 0,
        vocab_size: int = 4000,
        context_length: int = 128,
        n_heads: int = 4,
        head_dim: int = 64,
        mlp_hidden: int = 512,
        ridge: float = 1.0,
    ) -> TinyTransformer:
        """Build the model and fit its output layer on ``text`` (None: the frozen corpus)."""
        started = time.perf_counter()
        if text is None:
            text = CORPUS_PATH.read_text(encoding="utf-8")
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        words = [tokenize(p) for p in paragraphs]
        counts = Counter(word for paragraph in words for word in paragraph)
        common = [w for w, n in counts.most_common(vocab_size - 2) if n >= 2]
        model = cls(
            [UNK, END_OF_TEXT, *common],
            context_length=context_length,
            n_heads=n_heads,
            head_dim=head_dim,
            mlp_hidden=mlp_hidden,
            seed=seed,
        )
        stream = [model.end_of_text_id]
        for paragraph in words:
            stream += [model.token_ids.get(w, model.unk_id) for w in paragraph]
            stream.append(model.end_of_text_id)
        # One BLAS thread: on a busy machine OpenBLAS's threads spin against each other (the
        # fit took 59 s with 2 threads and 9.5 s with 1 at a load of 9 on 2 cores).
        with threadpool_limits(limits=1, user_api="blas"):
            model._fit_token_embeddings(np.asarray(stream))
            model._fit_output_layer(np.asarray(stream), ridge)
        model._store_as_float32()
        model.training_seconds = time.perf_counter() - started
        return model

    def _store_as_float32(self) -> None:
        """Serve in float32, fitted in float64: the fit amplifies rounding (float32 features
        through an 897-wide solve gave another model under another CPU's BLAS kernels, and so
        other greedy text); in float64 the weights agree to far below float32's precision."""
        for name in (
            "token_embedding",
            "position_embedding",
            "w_query",
            "w_key",
            "w_value",
            "w_out",
            "w_mlp",
            "b_mlp",
            "output_weights",
        ):
            setattr(self, name, getattr(self, name).astype(np.float32))

    def _fit_output_layer(self, stream: np.ndarray, ridge: float) -> None:
        """Ridge least squares: W = (F^T F + ridge I)^-1 F^T Y, Y the one-hot next tokens.

        The features F are the model's own forward pass over windows of the token stream
        (consecutive windows overlap by ``n_heads`` so every target has its full context).
        """
        width = self.d_model + self.mlp_hidden + 1
        gram = np.zeros((width, width), np.float64)
        feature_by_target = np.zeros((self.vocab_size, width), np.float64)
        # Windows of context_length tokens; consecutive ones overlap by n_heads so that every
        # target but the stream's first few has its full context, and those few are dropped.
        step, length = self.context_length - self.n_heads, self.context_length
        n_windows = (len(stream) - 1 - length) // step + 1
        starts = np.arange(n_windows) * step
        for group in range(0, n_windows, 16):  # 16 windows a product: fast, and about 8 MB
            rows = starts[group : group + 16, None] + np.arange(length + 1)
            windows = stream[rows]
            feats = self._block(windows[:, :-1])[:, self.n_heads :].reshape(-1, width)
            target = windows[:, 1 + self.n_heads :].reshape(-1)
            gram += feats.T @ feats
            one_hot = scipy.sparse.csr_matrix(
                (np.ones(len(target), np.float64), (target, np.arange(len(target)))),
                shape=(self.vocab_size, len(target)),
            )
            feature_by_target += one_hot @ feats  # row v: the sum of features where v comes next
        gram[np.diag_indices(width)] += ridge
        weights = np.linalg.solve(gram, feature_by_target.T)
        # Least squares against one-hot targets estimates probabilities (scores near 0..1);
        # scaling them makes a softmax over them about as peaked as the data's next words.
        self.output_weights = LOGIT_SCALE * weights

    def _fit_token_embeddings(self, stream: np.ndarray) -> None:
        """Word vectors in closed form: the top singular vectors of log(1 + next-word counts).

        Words followed by the same words get similar vectors, so the linear output layer can
        generalise across them; a random part keeps every word distinct.
        """
        counts = scipy.sparse.csr_matrix(
            (np.ones(len(stream) - 1, np.float64), (stream[:-1], stream[1:])),
            shape=(self.vocab_size, self.vocab_size),
        )
        counts.sum_duplicates()
        counts.data = np.log1p(counts.data)
        left, singular, _ = svds(counts, k=self.head_dim, random_state=0)
        # A singular vector's sign is arbitrary, and ARPACK's pick of it follows the rounding
        # of the CPU's BLAS kernels: fix it (largest component positive), as svd_flip does.
        left *= np.sign(left[np.abs(left).argmax(axis=0), np.arange(left.shape[1])])
        vectors = left * np.sqrt(singular)
        vectors *= np.sqrt(self.head_dim) / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-6)
        random_part = self.token_embedding[:, : self.head_dim]
        self.token_embedding[:, : self.head_dim] = 0.8 * vectors + 0.2 * random_part

    # endregion

    def encode(self, text: str) -> list[int]:
        return [self.token_ids.get(word, self.unk_id) for word in tokenize(text)]

    def token_text(self, token_id: int) -> str:
        token = self.vocabulary[token_id]
        if token_id == self.end_of_text_id:
            return ""
        return token if token in _ATTACHED else " " + token

    def decode(self, token_ids: Sequence[int]) -> str:
        return "".join(self.token_text(token_id) for token_id in token_ids)

    def check_request(self, prompt_ids: Sequence[int], max_tokens: int) -> None:
        """Raise before any work if the request cannot be served (one-line messages)."""
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        if len(prompt_ids) == 0:
            raise ContextLengthError("the prompt is empty: at least 1 token is needed")
        if len(prompt_ids) + max_tokens > self.context_length:
            raise ContextLengthError(
                f"prompt of {len(prompt_ids)} tokens + max_tokens {max_tokens} = "
                f"{len(prompt_ids) + max_tokens} exceeds the context length "
                f"{self.context_length}"
            )

    # region sampling
    def pick(self, logits: np.ndarray, temperature: float, rng: np.random.Generator | None) -> int:
        """Greedy (temperature 0: the arg-max, deterministic) or a seeded sample; never <unk>."""
        logits = logits.astype(np.float64)
        logits[self.unk_id] = -np.inf
        if temperature <= 0.0:
            return int(np.argmax(logits))
        probabilities = _softmax(logits / temperature)
        generator = rng if rng is not None else np.random.default_rng()
        return int(generator.choice(len(probabilities), p=probabilities))

    # endregion

    # region generate
    def generate(
        self,
        prompt_ids: Sequence[int],
        max_tokens: int,
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        use_cache: bool = True,
        ignore_end_of_text: bool = False,
    ) -> Iterator[int]:
        """Yield up to ``max_tokens`` new tokens, stopping early at end-of-text (not yielded).

        ``ignore_end_of_text`` never picks end-of-text, so exactly ``max_tokens`` come out (as
        vLLM's ``ignore_eos``: for measuring cost against length).
        """
        self.check_request(prompt_ids, max_tokens)
        rng = np.random.default_rng(seed)
        sequence = list(prompt_ids)
        if use_cache:
            cache, logits = self.prefill(sequence)
        else:
            logits = self.forward(sequence, last_only=True)
        for _ in range(max_tokens):
            if ignore_end_of_text:
                logits[self.end_of_text_id] = -np.inf
            token = self.pick(logits, temperature, rng)
            if token == self.end_of_text_id:
                return
            yield token
            sequence.append(token)
            if len(sequence) == len(prompt_ids) + max_tokens:
                return
            if use_cache:
                logits = self.decode_step([cache], [token])[0]  # one new row of work
            else:
                logits = self.forward(sequence, last_only=True)  # the whole sequence again

    # endregion
