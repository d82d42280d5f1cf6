# Solutions to the exercises of 01-choosing-databases-timeseries.ipynb.
# Each block replaces the whole exercise cell; CI runs the notebook with them to prove
# each one passes its check.

# %% Exercise 1
# Exercise 1: walk the tree to a recommendation
recommendation = DecisionTreeWalker(tree).choose("Already on PostgreSQL").recommendation
