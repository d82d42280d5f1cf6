# Solutions to the exercises of 00-start-here.ipynb. Each block replaces the exercise cell
# of the same number; CI runs the notebook with them and checks that every check passes.

# %% Exercise 1
# Exercise 1: the primary backend skills of dashboards
explorer.select("dashboards")
dashboards_primary = explorer.backends["primary"]
