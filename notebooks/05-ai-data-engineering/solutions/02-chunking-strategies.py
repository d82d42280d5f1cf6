# Solutions to the exercises of 02-chunking-strategies.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: the best MRR that fits the budget
fitting = results[results["index KB"] * 1_000 <= INDEX_BUDGET]
top = fitting.sort_values("MRR", ascending=False).iloc[0]
best_under_budget = (top["strategy"], int(top["size"]))

# %% Exercise 2
# Exercise 2: prefix every heading chunk with its heading
import dataclasses

plain = indexes[("heading", middle)]
texts = [c.text if c.text.startswith("#") else f"## {c.heading}\n\n{c.text}" for c in plain.chunks]
prefixed = dataclasses.replace(plain, vectors=embedder.embed(texts))
with_headings = evaluate(lambda query: prefixed.ranked_sections(query_vectors[query]), queries, k=K)
baseline = evaluate(lambda query: plain.ranked_sections(query_vectors[query]), queries, k=K)
headings_help = with_headings["MRR"] > baseline["MRR"]
print(f"MRR {baseline['MRR']:.3f} -> {with_headings['MRR']:.3f} with headings")
