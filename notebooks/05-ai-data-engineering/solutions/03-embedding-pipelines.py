# Solutions to the exercises of 03-embedding-pipelines.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: what a full re-embed costs
from backend_skills.chunking import token_count

PRICE_PER_MILLION = (
    0.02  # dollars per million input tokens, the order of a small hosted model's price
)
stored_texts = batch.collection.get(include=["documents"])["documents"]
full_reembed_tokens = sum(token_count(text) for text in stored_texts)
full_reembed_dollars = full_reembed_tokens * PRICE_PER_MILLION / 1_000_000

# %% Exercise 2
# Exercise 2: put the model in the chunk id
from backend_skills.embeddings import content_hash


def chunk_id_with_model(path: str, text: str) -> str:
    return content_hash(f"{new_model.name}\n{path}\n{text}")
