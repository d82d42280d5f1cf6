# Solutions to the exercises of 07-dashboard-flow.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: a daily mean from the hourly rollup
# Sums and counts add up across buckets; the day's mean is their ratio, not a mean of means.
daily_means = [
    mean
    for _day, mean in con.execute(
        """SELECT time_bucket(INTERVAL '1 day', bucket) AS day, sum(total) / sum(n)
        FROM readings_1h WHERE sensor = $sensor GROUP BY day ORDER BY day""",
        {"sensor": SENSOR},
    ).fetchall()
]

# %% Exercise 2
# Exercise 2: a range the minute rollup serves
# Minute buckets must fit the budget and raw readings must not: a range of MAX_POINTS / 2
# minutes holds MAX_POINTS / 2 minute buckets and, at a reading every 10 s, 3 x MAX_POINTS
# readings.
start = spans["whole range"][0]
minute_answer = panel.request(SENSOR, start, start + timedelta(minutes=MAX_POINTS // 2))
