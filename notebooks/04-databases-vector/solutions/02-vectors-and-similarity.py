# Solutions to the exercises of 02-vectors-and-similarity.ipynb. Each block replaces the
# whole exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: cosine top-k on raw vectors
def cosine_top_k(vectors, query, k):
    rows = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = rows @ (query / np.linalg.norm(query))
    return np.argsort(-scores, kind="stable")[:k]


# %% Exercise 2
# Exercise 2: two opposite sentences the embedder sees as one
statement = "the password you entered is correct"
opposite = "the password you entered is not correct"
