"""A circuit breaker written out to teach it, and pybreaker driven beside it on one clock.

`CircuitBreaker` is the pattern from Nygard's *Release It!* in forty lines: closed (calls
pass, consecutive failures are counted), open (calls fail at once, for `reset_timeout`
seconds), half-open (one trial call decides: success closes, failure opens again). Its
clock is a parameter, so a test moves time by hand instead of sleeping.

pybreaker has no clock parameter; it reads ``datetime.now(UTC)`` when it opens and when a
call arrives while it is open. `ManualClockStorage` is a pybreaker storage (the class it
lets you replace, for Redis say) whose ``opened_at`` is kept on the manual clock, so the
same ticks drive both breakers. `compare` feeds both the same events and records, step by
step, what each did and what state it reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pybreaker

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitOpenError(RuntimeError):
    """Refused without calling: the breaker is open (or its half-open trial is taken)."""


# region breaker
class CircuitBreaker:
    """Closed -> open after `failure_threshold` consecutive failures -> half-open after
    `reset_timeout` seconds -> closed on a successful trial, open again on a failed one."""

    def __init__(
        self, failure_threshold=5, reset_timeout=30.0, *, clock=time.monotonic, counts=None
    ):
        self.failure_threshold, self.reset_timeout, self.clock = (
            failure_threshold,
            reset_timeout,
            clock,
        )
        # Which exceptions are the endpoint failing (default: all). One that is not, a 400
        # say, shows the endpoint answering: it counts as a success, as pybreaker's
        # `exclude` does.
        self.counts = counts or (lambda exc: True)
        self._state, self.failures, self.opened_at = CLOSED, 0, 0.0
        self._trial_running = False
        self.transitions: list[tuple[float, str]] = [(clock(), CLOSED)]

    @property
    def state(self) -> str:
        if self._state == OPEN and self.clock() - self.opened_at >= self.reset_timeout:
            return HALF_OPEN  # the timeout has passed: the next call is the trial
        return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open, only one at a time: the trial."""
        state = self.state
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not self._trial_running:
            self._move(HALF_OPEN)
            self._trial_running = True
            return True
        return False

    def record_success(self) -> None:
        self.failures, self._trial_running = 0, False
        if self._state != CLOSED:
            self._move(CLOSED)

    def record_failure(self) -> None:
        self.failures += 1
        if self._state == HALF_OPEN or self.failures >= self.failure_threshold:
            self.opened_at, self._trial_running = self.clock(), False
            self._move(OPEN)

    def call(self, function: Callable, *args, **kwargs):
        if not self.allow():
            raise CircuitOpenError(f"circuit {self.state}: not calling")
        try:
            result = function(*args, **kwargs)
        except Exception as exc:
            self.record_failure() if self.counts(exc) else self.record_success()
            raise
        self.record_success()
        return result

    def _move(self, state: str) -> None:
        self._state = state
        self.transitions.append((self.clock(), state))


# endregion


# region clock
class ManualClock:
    """Time that moves only when told: ``clock.advance(5)``."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MovableClock:
    """Real time (time.monotonic) that a test can also move forward: ``clock.advance(5)``."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class ManualClockStorage(pybreaker.CircuitMemoryStorage):
    """pybreaker's in-memory storage with ``opened_at`` kept on a ManualClock.

    pybreaker compares ``datetime.now(UTC)`` with ``opened_at + reset_timeout``. Storing
    the manual time of opening and answering "now minus the manual time elapsed" makes
    that comparison read "manual time elapsed < reset_timeout"; pybreaker's code is
    unchanged.
    """

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(pybreaker.STATE_CLOSED)
        self.clock, self._opened_on_clock = clock, None

    @property
    def opened_at(self) -> datetime | None:
        if self._opened_on_clock is None:
            return None
        return datetime.now(UTC) - timedelta(seconds=self.clock() - self._opened_on_clock)

    @opened_at.setter
    def opened_at(self, _wall_time: datetime) -> None:
        self._opened_on_clock = self.clock()


# endregion


# region compare
@dataclass(frozen=True)
class Step:
    event: str  # "ok", "fail" (a call that succeeds or raises), or "tick"
    seconds: float = 0.0  # for "tick": how far the clock moves


class Boom(RuntimeError):
    """The failure the guarded call raises."""


def outcome(breaker_call, event: str) -> str:
    """What a breaker did with one call: ran it (ok / failed), or refused it."""

    def guarded() -> str:
        if event == "fail":
            raise Boom("the endpoint failed")
        return "ok"

    try:
        return "ran: " + breaker_call(guarded)
    except (CircuitOpenError, pybreaker.CircuitBreakerError) as exc:
        if isinstance(exc, pybreaker.CircuitBreakerError) and "opened" in str(exc):
            return "ran: failed (CircuitBreakerError)"  # the call that trips it
        return "refused"
    except Boom:
        return "ran: failed"


def compare(steps: list[Step], *, fail_max: int, reset_timeout: float) -> list[dict]:
    """Feed both breakers STEPS on one manual clock; one row per step."""
    clock = ManualClock()
    mine = CircuitBreaker(fail_max, reset_timeout, clock=clock)
    theirs = pybreaker.CircuitBreaker(
        fail_max=fail_max, reset_timeout=reset_timeout, state_storage=ManualClockStorage(clock)
    )
    rows = []
    for number, step in enumerate(steps, 1):
        if step.event == "tick":
            clock.advance(step.seconds)
            did_mine = did_theirs = f"(clock +{step.seconds:g} s)"
        else:
            did_mine, did_theirs = outcome(mine.call, step.event), outcome(theirs.call, step.event)
        rows.append(
            {
                "step": number,
                "t (s)": clock(),
                "event": step.event,
                "hand-written did": did_mine,
                "pybreaker did": did_theirs,
                "hand-written state": mine.state,
                "pybreaker state": theirs.current_state,
            }
        )
    return rows


# endregion
