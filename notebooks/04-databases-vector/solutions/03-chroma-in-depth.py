# Solutions to the exercises of 03-chroma-in-depth.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: only the auth-security references
references_only = {
    "$and": [
        {"skill": "auth-security"},
        {"path": {"$nin": ["skills/auth-security/SKILL.md", "skills/auth-security/init.md"]}},
    ]
}

# %% Exercise 2
# Exercise 2: the smallest ef_search that reaches 0.95
enough_ef = min(point.ef_search for point in points if point.recall >= 0.95)
