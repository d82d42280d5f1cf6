"""Text embeddings for the course: real, offline, one interface, registered with Chroma.

Every embedder turns a list of texts into a float32 matrix of unit-length rows, so cosine
similarity is a dot product everywhere in the course:

- ``WordLlamaEmbedder`` (the default, ``default_embedder()``): wordllama's pretrained
  ``l2_supercat`` model, 256 dimensions, whose weights ship inside the PyPI wheel. It is a
  table of static token embeddings distilled from an LLM's input layer and mean-pooled: no
  attention, so word order and negation are invisible to it ("not fast" sits near
  "fast"), and it knows no word its tokenizer splits into unseen pieces. It embeds
  thousands of sentences a second on one CPU core.
- ``LsaEmbedder``: the transparent baseline, TF-IDF over the corpus reduced by truncated
  SVD (latent semantic analysis, scikit-learn). It learns only from the corpus it is fitted
  on, so it shows what a pretrained model adds.
- ``SentenceTransformerEmbedder`` and ``HostedEmbedder`` (OpenAI, Voyage, Cohere):
  adapters for the grown-up path. Each is built only when its package and a local model,
  or an API key, are present (``available_embedders()``); no test calls them.

``chroma_embedding_function()`` wraps the default embedder for Chroma. Its class is
registered with ``@register_embedding_function`` and rebuilds itself from the collection's
stored config, so a collection reopened in a new process finds its embedder by name.

This file is self-contained (numpy, plus each backend's package imported when used): the
vector examples carry byte-identical copies of it (see example_files/copies.yaml).
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "wordllama-l2_supercat-256"


class Embedder(Protocol):
    """What the course needs of an embedding model."""

    name: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """A (len(texts), dimensions) float32 matrix whose rows have unit length."""
        ...


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """MATRIX as float32 with every row scaled to length 1 (a zero row stays zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def check_texts(texts: list[str]) -> list[str]:
    """TEXTS as a list of strings, or a ValueError that says what is wrong."""
    if isinstance(texts, str):
        raise ValueError("expected a list of texts, got one string")
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"text {index} is {type(text).__name__}, not str")
    return texts


class WordLlamaEmbedder:
    """wordllama's l2_supercat model at 256 dimensions, loaded from its wheel, offline.

    ``WordLlama.load()`` finds the weights in the package's ``weights/`` folder but looks
    for the tokenizer config in ``tokenizer/`` while the wheel ships it in
    ``tokenizers/``; it then downloads from Hugging Face. Passing the package folder as
    ``cache_dir`` makes its cache lookup (``<cache_dir>/tokenizers/``) find the shipped
    file, and ``disable_download=True`` turns any miss into an error instead of a fetch.
    """

    name = DEFAULT_MODEL
    dimensions = 256

    def __init__(self) -> None:
        import wordllama

        package = Path(wordllama.__file__).resolve().parent
        self.model = wordllama.WordLlama.load(
            "l2_supercat", dim=self.dimensions, cache_dir=package, disable_download=True
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        # wordllama pads a batch to its longest text with truncation off, so memory grows
        # with batch size x longest text: the 350 library sections peaked at 1.4 GB in
        # batches of 256 and at 270 MB in batches of 32 (faster too: 0.9 s against 5.6 s).
        return unit_rows(self.model.embed(texts, norm=True, batch_size=32))


class LsaEmbedder:
    """TF-IDF plus truncated SVD, fitted on CORPUS: the baseline that knows only its corpus.

    Words the corpus never uses embed to nothing; two texts are near when they share
    words, or words that co-occur in the corpus. Deterministic for a given corpus and seed.
    """

    def __init__(self, corpus: list[str], *, dimensions: int = 128, seed: int = 0) -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        corpus = check_texts(corpus)
        if len(corpus) < 2:
            raise ValueError("LSA needs a corpus of at least two texts")
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english")
        tfidf = self.vectorizer.fit_transform(corpus)
        self.dimensions = min(dimensions, tfidf.shape[1] - 1, len(corpus) - 1)
        if self.dimensions < 1:
            raise ValueError("the corpus has too few distinct words for LSA")
        self.svd = TruncatedSVD(n_components=self.dimensions, random_state=seed)
        self.svd.fit(tfidf)
        self.name = f"lsa-tfidf-svd-{self.dimensions}"

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return unit_rows(self.svd.transform(self.vectorizer.transform(texts)))


class SentenceTransformerEmbedder:
    """A local sentence-transformers model (needs the package, torch and the model files)."""

    def __init__(self, model_path: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model_path, local_files_only=True)
        self.dimensions = int(self.model.get_sentence_embedding_dimension())
        self.name = f"sentence-transformers-{Path(model_path).name}"

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = check_texts(texts)
        return unit_rows(self.model.encode(texts, normalize_embeddings=True))


# Hosted embedding APIs: provider -> (key variable, default model, dimensions).
HOSTED = {
    "openai": ("OPENAI_API_KEY", "text-embedding-3-small", 1536),
    "voyage": ("VOYAGE_API_KEY", "voyage-3.5-lite", 1024),
    "cohere": ("CO_API_KEY", "embed-v4.0", 1536),
}


class HostedEmbedder:
    """An embedding API (OpenAI, Voyage or Cohere) through its official client.

    Built only when the provider's key is set; every call leaves the machine and is billed.
    """

    def __init__(self, provider: str, model: str | None = None) -> None:
        if provider not in HOSTED:
            raise ValueError(f"unknown provider {provider!r}; one of {', '.join(HOSTED)}")
        key_variable, default_model, self.dimensions = HOSTED[provider]
        if not os.environ.get(key_variable):
            raise ValueError(f"{provider} needs {key_variable} set")
        self.provider = provider
        self.model = model or default_model
        self.name = f"{provider}-{self.model}"
        if provider == "openai":
            from openai import OpenAI

            self.client = OpenAI()
        elif provider == "voyage":
            import voyageai

            self.client = voyageai.Client()
        else:
            import cohere

            self.client = cohere.ClientV2()

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = check_texts(texts)
        if self.provider == "openai":
            response = self.client.embeddings.create(model=self.model, input=texts)
            rows = [item.embedding for item in response.data]
        elif self.provider == "voyage":
            rows = self.client.embed(texts, model=self.model, input_type="document").embeddings
        else:
            response = self.client.embed(
                texts=texts,
                model=self.model,
                input_type="search_document",
                embedding_types=["float"],
            )
            rows = response.embeddings.float_
        return unit_rows(np.array(rows))


def available_embedders() -> list[str]:
    """The embedders this machine can build: the default always, adapters when usable."""
    import importlib.util

    found = [DEFAULT_MODEL]
    if importlib.util.find_spec("sentence_transformers") and os.environ.get(
        "SENTENCE_TRANSFORMERS_MODEL"
    ):
        found.append("sentence-transformers")
    packages = {"openai": "openai", "voyage": "voyageai", "cohere": "cohere"}
    for provider, (key_variable, _, _) in HOSTED.items():
        if os.environ.get(key_variable) and importlib.util.find_spec(packages[provider]):
            found.append(provider)
    return found


@cache
def default_embedder() -> WordLlamaEmbedder:
    """The course's default embedder, loaded once per process (about 0.4 s)."""
    return WordLlamaEmbedder()


def content_hash(text: str) -> str:
    """A text's identity for caches and upserts: SHA-256 of its UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _chroma_function_class() -> type:
    """The Chroma embedding-function class, defined (and registered) on first use.

    chromadb is imported here, not at module import: it costs seconds, and most users of
    this module never open a Chroma collection.
    """
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    @register_embedding_function
    class CourseEmbeddingFunction(EmbeddingFunction[Documents]):
        """The course's default embedder as a Chroma embedding function."""

        def __init__(self, model: str = DEFAULT_MODEL) -> None:
            if model != DEFAULT_MODEL:
                raise ValueError(f"unknown course embedding model {model!r}")
            self.model = model
            self.embedder = default_embedder()

        def __call__(self, input: Documents) -> Embeddings:
            return list(self.embedder.embed(list(input)))

        @staticmethod
        def name() -> str:
            return "backend-skills"

        def default_space(self) -> str:
            return "cosine"

        def supported_spaces(self) -> list[str]:
            return ["cosine", "ip", "l2"]

        def get_config(self) -> dict:
            return {"model": self.model}

        @staticmethod
        def build_from_config(config: dict) -> CourseEmbeddingFunction:
            return CourseEmbeddingFunction(config.get("model", DEFAULT_MODEL))

    return CourseEmbeddingFunction


def chroma_embedding_function():
    """The default embedder as a registered Chroma embedding function.

    Calling it once in a process also registers the class, so ``client.get_collection``
    can rebuild the function of a collection created in another process.
    """
    return _chroma_function_class()()
