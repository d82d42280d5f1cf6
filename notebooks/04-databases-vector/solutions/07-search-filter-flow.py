# Solutions to the exercises of 07-search-filter-flow.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: the busiest file of a facet
files = http.get(
    "/search",
    params={
        "q": "lock rows so two workers do not take the same job",
        "skill": "databases-relational",
    },
).json()["facets"]["path"]
busiest_file = max(files, key=files.get)

# %% Exercise 2
# Exercise 2: two skills ticked
two_skills = search_box.search(
    "how do I page through a long list", skill=["api-patterns", "databases-relational"]
)
