# Solutions to the exercises of 05-hybrid-search.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: weighted reciprocal rank fusion
def weighted_rrf(rankings, weights, k=60):
    scores, best = {}, {}
    for list_number, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
            best[doc_id] = min(best.get(doc_id, (rank, list_number)), (rank, list_number))
    order = sorted(scores, key=lambda doc_id: (-scores[doc_id], best[doc_id]))
    return [(doc_id, scores[doc_id]) for doc_id in order]
