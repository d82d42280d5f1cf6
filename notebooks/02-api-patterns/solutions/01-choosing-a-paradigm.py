# Solutions to the exercises of 01-choosing-a-paradigm.ipynb. Each block replaces the
# whole exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: walk the tree for a partner integration
# Outside developers, in languages you do not know: the first answer is already a leaf.
partner_path = ["Public / third-party developers"]

# %% Exercise 2
# Exercise 2: a GraphQL query for the order-history screen
history_query = "query ($limit: Int!) { orders(limit: $limit) { id totalCents customer { name } } }"
