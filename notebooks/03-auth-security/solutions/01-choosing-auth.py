# Solutions to the exercises of 01-choosing-auth.ipynb. Each block replaces the exercise
# cell of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: the bank's single sign-on
bank = DecisionTreeWalker(tree)
bank.choose("Enterprise / SSO required").choose("Self-hosted")
answer = bank.recommendation
