# Solutions to the exercises of 04-kv-cache-and-continuous-batching.ipynb. Each block replaces
# the whole exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: the KV cache of Llama-3-70B
llama3_70b_per_token = kv_bytes_per_token(layers=80, kv_heads=8, head_dim=128, element_bytes=2)
sequences_in_40_gib = int((40 * 2**30) // (llama3_70b_per_token * 8192))

# %% Exercise 2
# Exercise 2: the batch size where ITL doubles
baseline = sweep.loc[1, "ITL p50 ms"]
doubled = [size for size in sweep.index if sweep.loc[size, "ITL p50 ms"] >= 2 * baseline]
itl_doubles_at = doubled[0] if doubled else None
throughput_there = sweep.loc[itl_doubles_at, "tokens/s"] if doubled else None

# %% Exercise 3
# Exercise 3: the useful share of a static batch
batch_lengths = [3, 5, 40, 8]
useful_share = sum(batch_lengths) / (len(batch_lengths) * max(batch_lengths))
