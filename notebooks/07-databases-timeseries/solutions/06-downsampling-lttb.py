# Solutions to the exercises of 06-downsampling-lttb.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: LTTB over a time range
window_start = sig.t[0] + (sig.t[-1] - sig.t[0]) // 4
window_end = sig.t[0] + (sig.t[-1] - sig.t[0]) // 2
# The readings are sorted by time, so the window is one slice; tsdownsample's indices are
# positions in the arrays it was given (the slice), so add the slice's start.
low, high = np.searchsorted(sig.t, [window_start, window_end])
picked_in_window = LTTBDownsampler().downsample(sig.t[low:high], sig.y[low:high], n_out=200)
window_index = low + picked_in_window.astype(np.int64)

# %% Exercise 2
# Exercise 2: MinMax in SQL
BUCKET_S = len(sig) // (N_OUT // 2)  # seconds a bucket: N_OUT // 2 buckets of two points
extremes = con.execute(
    """
    SELECT arg_min(ts, y) AS t_low, min(y) AS y_low, arg_max(ts, y) AS t_high, max(y) AS y_high
    FROM readings
    GROUP BY time_bucket(to_seconds($bucket_s), ts)
    """,
    {"bucket_s": BUCKET_S},
).fetchnumpy()
t = np.concatenate([extremes["t_low"], extremes["t_high"]])
y = np.concatenate([extremes["y_low"], extremes["y_high"]])
order = np.argsort(t, kind="stable")
minmax_points = (t[order], y[order])
