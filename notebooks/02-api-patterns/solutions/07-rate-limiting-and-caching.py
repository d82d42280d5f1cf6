# Solutions to the exercises of 07-rate-limiting-and-caching.ipynb. Each block replaces
# the whole exercise cell; CI runs the notebook with them to prove each passes its check.

# %% Exercise 1
# Exercise 1: costly requests
exercise_clock = FakeClock(START)
with limits_on(exercise_clock):
    budget = limits.strategies.MovingWindowRateLimiter(storage_from_string("memory://"))
    reports_passed = sum(budget.hit(ten_per_minute, "client", cost=5) for _ in range(3))
    reads_left = budget.get_window_stats(ten_per_minute, "client").remaining


# %% Exercise 2
# Exercise 2: a jittered TTL
def jittered_ttl(base: float, rng) -> float:
    return base * rng.uniform(0.9, 1.1)
