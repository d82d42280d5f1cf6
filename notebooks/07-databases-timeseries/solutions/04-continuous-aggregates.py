# Solutions to the exercises of 04-continuous-aggregates.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: old days from the rollup
# Weight each hour by its count: combine the states, never average the averages.
old_means = (
    store.sql(
        """SELECT sensor, sum(temp_sum) / sum(n) AS mean
        FROM rollup_1h WHERE bucket < ? GROUP BY sensor""",
        [horizon],
    )
    .set_index("sensor")["mean"]
    .to_dict()
)

# %% Exercise 2
# Exercise 2: merge, do not recompute
# The late rows' own states per bucket, then merged into the rollup: counts and sums add
# up, minima and maxima combine; a bucket the rollup lacks is inserted as it is.
fold_sql = """
MERGE INTO rollup_1m AS r
USING (
    SELECT sensor, time_bucket(INTERVAL '1 minute', ts) AS bucket,
        count(*)::INTEGER AS n,
        sum(temperature)::DECIMAL(18, 3) AS temp_sum,
        min(temperature)::DECIMAL(6, 3) AS temp_min,
        max(temperature)::DECIMAL(6, 3) AS temp_max,
        sum(humidity)::DECIMAL(18, 2) AS hum_sum,
        min(humidity)::DECIMAL(5, 2) AS hum_min,
        max(humidity)::DECIMAL(5, 2) AS hum_max
    FROM late_old GROUP BY ALL
) AS l
ON r.sensor = l.sensor AND r.bucket = l.bucket
WHEN MATCHED THEN UPDATE SET
    n = r.n + l.n,
    temp_sum = r.temp_sum + l.temp_sum,
    temp_min = least(r.temp_min, l.temp_min),
    temp_max = greatest(r.temp_max, l.temp_max),
    hum_sum = r.hum_sum + l.hum_sum,
    hum_min = least(r.hum_min, l.hum_min),
    hum_max = greatest(r.hum_max, l.hum_max)
WHEN NOT MATCHED THEN INSERT BY NAME
"""
