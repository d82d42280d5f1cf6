# Solutions to the exercises of 06-routing-and-fallbacks.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: Retry-After as seconds or as an HTTP date
from datetime import datetime
from email.utils import parsedate_to_datetime


def retry_after(value: str, now: datetime) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


# %% Exercise 2
# Exercise 2: predict the breaker's state after each step
exercise_steps = [
    Step("fail"),
    Step("ok"),
    Step("fail"),
    Step("fail"),
    Step("ok"),
    Step("tick", 5),
    Step("fail"),
    Step("tick", 4),
    Step("ok"),
    Step("tick", 1),
    Step("ok"),
]
# closed until the second failure in a row; open (the ok is refused); half-open once 5 s
# have passed; the failed trial reopens it for 5 s more; half-open at 10 s; closed.
predicted = [
    "closed",
    "closed",
    "closed",
    "open",
    "open",
    "half-open",
    "open",
    "open",
    "open",
    "half-open",
    "closed",
]
