# Solutions to the exercises of 05-tick-data-asof-join.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: the worst fill
worst = costs.loc[costs["effective_bps"].idxmax()]
worst_fill = (worst["symbol"], worst["ts"])

# %% Exercise 2
# Exercise 2: quote midpoint bars
# arg_min/arg_max pick the mid at the first and last quote time of each bar.
MID_BARS = """
SELECT symbol, time_bucket(INTERVAL '1 minute', ts) AS bar,
       arg_min((bid + ask) / 2, ts) AS open_mid,
       arg_max((bid + ask) / 2, ts) AS close_mid,
       count(*) AS updates
FROM quotes
GROUP BY ALL
ORDER BY symbol, bar
"""
