# Solutions to the exercises of 01-choosing-model-serving.ipynb. Each block replaces
# the whole exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: walk the tree to a recommendation
recommendation = (
    DecisionTreeWalker(tree)
    .choose("LLM (Large Language Model)")
    .choose("Self-hosted OSS model")
    .recommendation
)

# %% Exercise 2
# Exercise 2: the leaf for a PyTorch model, and the note that says why to move
walker_2 = DecisionTreeWalker(tree).choose("Traditional ML model").choose("PyTorch specific")
replacement = walker_2.recommendation
why_move = next(note for note in replacement.notes if "security" in note)
