"""Request and response models, and the bounds every input is held to.

Every request model forbids unknown fields, so ``?granularty=1h`` or a misspelt ``"valeu"``
is a 422 instead of a default silently used. Timestamps must carry an offset: a naive
"2024-03-01T12:00:00" is local time somewhere, and guessing which is how a chart ends up an
hour off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

# Sizes. A batch is one INSERT; 10,000 points of typical size are about 1 MB of JSON.
MAX_BATCH = 10_000
MAX_LABELS = 8
MAX_NAME_CHARS = 128
MAX_LABEL_VALUE_CHARS = 128
# The longest canonical key: a name and MAX_LABELS labels, every value fully escaped.
MAX_KEY_CHARS = 4096
# Points in one chart answer. A screen is a few thousand pixels wide: more is bytes for
# nothing. LTTB needs at least 3 (the first, the last and one between).
MAX_POINTS = 10_000
DEFAULT_POINTS = 1_000
MIN_POINTS = 3
MAX_PAGE = 500
DEFAULT_PAGE = 100

# Metric names as Prometheus and StatsD write them; labels as Prometheus does.
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.:-]*$"
LABEL_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
# Any text but control characters: a label value is data ('); DROP TABLE is a fine host
# name as far as the database is concerned), but a newline in it would forge log lines.
LABEL_VALUE_PATTERN = r"^[^\x00-\x1f\x7f]+$"

# Stored as naive UTC TIMESTAMP (microseconds); the bounds keep every value a number that
# JavaScript's Date and numpy's datetime64[ns] can hold too.
MIN_TS = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TS = datetime(2200, 1, 1, tzinfo=UTC)

Granularity = Literal["auto", "raw", "1m", "1h"]
Level = Literal["raw", "1m", "1h"]

MetricName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS, pattern=NAME_PATTERN)
]
LabelName = Annotated[str, StringConstraints(pattern=LABEL_NAME_PATTERN)]
LabelValue = Annotated[
    str, StringConstraints(max_length=MAX_LABEL_VALUE_CHARS, pattern=LABEL_VALUE_PATTERN)
]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def series_key(name: str, labels: dict[str, str]) -> str:
    """The canonical identity of a series, as Prometheus prints it: ``name{a="x",b="y"}``
    with label names sorted and values escaped, or the bare name without labels."""
    if not labels:
        return name
    inner = ",".join(f'{label}="{_escape(labels[label])}"' for label in sorted(labels))
    return f"{name}{{{inner}}}"


def to_utc_naive(moment: datetime) -> datetime:
    """What the TIMESTAMP column holds: the same instant in UTC, without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _in_range(moment: datetime) -> datetime:
    if not MIN_TS <= moment < MAX_TS:
        raise ValueError(f"must be from {MIN_TS:%Y-%m-%d} and before {MAX_TS:%Y-%m-%d}")
    return moment


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Point(Strict):
    name: MetricName = Field(examples=["http_request_duration_seconds"])
    labels: dict[LabelName, LabelValue] = Field(
        default_factory=dict,
        max_length=MAX_LABELS,
        description="What the series is about (InfluxDB calls them tags)",
        examples=[{"host": "web-01", "route": "/checkout"}],
    )
    ts: AwareDatetime = Field(description="RFC 3339 with an offset, or Unix seconds")
    value: FiniteFloat

    @field_validator("ts")
    @classmethod
    def ts_in_range(cls, ts: datetime) -> datetime:
        return _in_range(ts)

    @property
    def key(self) -> str:
        return series_key(self.name, self.labels)


class IngestRequest(Strict):
    points: list[Point] = Field(min_length=1, max_length=MAX_BATCH)

    @field_validator("points")
    @classmethod
    def one_value_per_series_and_instant(cls, points: list[Point]) -> list[Point]:
        # Two values for one (series, ts) in a batch: which should win is a guess, so the
        # batch is refused. (Across batches the last one wins: that is how a retry is safe.)
        seen: dict[tuple[str, datetime], int] = {}
        for index, point in enumerate(points):
            where = (point.key, to_utc_naive(point.ts))
            if where in seen:
                raise ValueError(
                    f"points[{index}] repeats the series and ts of points[{seen[where]}]"
                )
            seen[where] = index
        return points


class RefreshResult(BaseModel):
    minutes: int = Field(description="1-minute buckets recomputed")
    hours: int = Field(description="1-hour buckets recomputed")
    watermark: datetime = Field(description="Every bucket starting before this is current")


class IngestResult(BaseModel):
    received: int
    created: int = Field(description="Points new at their (series, ts)")
    updated: int = Field(description="Points that replaced another value at their (series, ts)")
    unchanged: int = Field(description="Points already stored with the same value (a retry)")
    new_series: int
    late: int = Field(description="Written points behind the rollup watermark")
    refresh: RefreshResult | None = Field(
        description="The rollup refresh this ingest ran (null when refresh_on_ingest is off)"
    )


class QueryParams(Strict):
    """The query string of GET /query."""

    series: str = Field(
        min_length=1, max_length=MAX_KEY_CHARS, description="A series key from GET /series"
    )
    start: AwareDatetime = Field(description="Inclusive; RFC 3339 with an offset, or Unix seconds")
    end: AwareDatetime = Field(description="Exclusive; later than start")
    granularity: Granularity = Field(
        "auto", description="raw points, a rollup, or auto: the finest that fits max_points"
    )
    max_points: int = Field(
        DEFAULT_POINTS,
        ge=MIN_POINTS,
        le=MAX_POINTS,
        description="At most this many points come back (LTTB picks them when there are more)",
    )

    @field_validator("start")
    @classmethod
    def start_in_range(cls, start: datetime) -> datetime:
        return _in_range(start)

    @field_validator("end")
    @classmethod
    def after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")  # absent when start itself failed
        if start is not None and end <= start:
            raise ValueError("must be later than start (the range is [start, end))")
        return _in_range(end)


class QueryResult(BaseModel):
    """One series over [start, end), as parallel arrays a chart takes directly."""

    series: str
    start: datetime
    end: datetime
    requested: Granularity
    granularity: Level = Field(description="The level read: raw points or a rollup")
    source_points: int = Field(description="Points or buckets the level holds in the range")
    downsampled: bool = Field(description="True when LTTB chose the points sent")
    t: list[int] = Field(description="Milliseconds since 1970-01-01 UTC (bucket starts)")
    value: list[float] = Field(description="The raw value, or the bucket's mean")
    min: list[float] | None = Field(None, description="Bucket minimum (rollups only)")
    max: list[float] | None = Field(None, description="Bucket maximum (rollups only)")
    count: list[int] | None = Field(None, description="Raw points in the bucket (rollups only)")


class SeriesParams(Strict):
    """The query string of GET /series."""

    name: MetricName | None = Field(None, description="Only series of this metric")
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="Series per page")
    cursor: str | None = Field(
        None,
        max_length=2 * MAX_KEY_CHARS,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="next_cursor of the previous page",
    )


class SeriesInfo(BaseModel):
    key: str
    name: str
    labels: dict[str, str]
    first: datetime | None = Field(description="Start of the first 1-minute bucket with data")
    last: datetime | None = Field(description="Start of the last 1-minute bucket with data")
    points: int = Field(description="Points ever written, raw ones dropped by retention included")


class SeriesPage(BaseModel):
    data: list[SeriesInfo]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at the end")
