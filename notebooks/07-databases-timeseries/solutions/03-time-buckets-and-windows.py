# Solutions to the exercises of 03-time-buckets-and-windows.ipynb. Each block replaces the
# whole exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: shift counts
shift_sql = """
    SELECT sensor,
           time_bucket(INTERVAL 8 HOURS, ts, INTERVAL 6 HOURS) AS shift,  -- 06:00, 14:00, 22:00
           count(*) AS readings
    FROM readings
    GROUP BY ALL
    ORDER BY sensor, shift
"""

# %% Exercise 2
# Exercise 2: the last hour's peak
peak_sql = f"""
    SELECT ts, temperature,
           max(temperature) OVER (
               ORDER BY ts RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW
           ) AS hour_max
    FROM readings
    WHERE sensor = '{SENSOR}'
    ORDER BY ts
"""
