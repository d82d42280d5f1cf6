# Solutions to the exercises of 01-choosing-an-engine.ipynb. Each block replaces the
# exercise cell of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: the engine for a ship's gateway
ship = DecisionTreeWalker(tree)
ship.choose("Embedded / edge deployment")
answer = ship.recommendation
