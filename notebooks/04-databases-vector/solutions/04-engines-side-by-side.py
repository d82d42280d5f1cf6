# Solutions to the exercises of 04-engines-side-by-side.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: the cheapest ef that keeps recall@10 >= 0.95
reached = ef_curve[ef_curve["recall_at_10"] >= 0.95]
smallest_ef = int(reached["ef"].min())
recall_at_smallest_ef = float(reached["recall_at_10"].iloc[0])
