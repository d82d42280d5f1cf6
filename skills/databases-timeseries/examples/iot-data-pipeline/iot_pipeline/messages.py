"""One device message: validated by pydantic, or turned into a dead letter with the reason.

Validation is strict (no "21.5" strings for numbers, no epoch integers for timestamps):
a pipeline that guesses what a device meant stores whatever a broken firmware sends.
Fields a device adds later are ignored, so a firmware update does not dead-letter a fleet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

# A dead letter keeps this much of the raw message: enough to debug, not a copy of a flood.
MAX_KEPT_CHARS = 2_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


class Reading(BaseModel):
    """What a device sends: ``{"device": "dev-001", "ts": "2026-03-02T08:00:05.120Z",
    "temperature": 21.37, "humidity": 45.1}``. ``ts`` must carry a time zone."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    device: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    ts: AwareDatetime
    temperature: float = Field(ge=-60, le=100, allow_inf_nan=False)  # degrees Celsius
    humidity: float = Field(ge=0, le=100, allow_inf_nan=False)  # percent relative

    @property
    def micros(self) -> int:
        """The event time as microseconds since 1970 UTC: "08:00Z" and "09:00+01:00" are
        one instant, one number. The store keeps UTC (a naive TIMESTAMP), so hour buckets
        never depend on a session's time zone as TIMESTAMPTZ buckets would."""
        return (self.ts - EPOCH) // ONE_MICROSECOND


@dataclass(frozen=True)
class DeadLetter:
    """A message that could not be a reading: where it was, why, and what it said."""

    position: int  # its 1-based position in the input
    reason: str
    message: str

    def to_json(self) -> str:
        return json.dumps(
            {"position": self.position, "reason": self.reason, "message": self.message},
            ensure_ascii=False,
        )


def reason(error: ValidationError) -> str:
    """Every problem in one line: ``humidity: Input should be less than or equal to 100``."""
    parts = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"])
        parts.append(f"{where}: {problem['msg']}" if where else problem["msg"])
    return "; ".join(parts)


def parse(raw: str | bytes, position: int) -> Reading | DeadLetter:
    """The message as a Reading, or a DeadLetter saying why not (never raises)."""
    try:
        return Reading.model_validate_json(raw)
    except ValidationError as error:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        return DeadLetter(position, reason(error), text[:MAX_KEPT_CHARS])
