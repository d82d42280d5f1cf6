"""The dashboard API of notebook 07-07: a time range and a granularity in, chart points out.

``GET /series?sensor=...&start=...&end=...&granularity=auto|raw|1m|1h|1d&max_points=N``
plays the seed's dashboard flow. It counts the rows each table holds for the range, picks
the table that serves it (a rollup precomputed per minute, hour and day, or the raw
readings), reads those rows with bound parameters, and thins them with LTTB when there
are still more than the chart asked for. The answer says which table served it, how many
rows it read and whether it was downsampled, so a frontend (and a test) can see the
choice. ``GET /sensors`` lists the sensors and the span of the data for the range picker.
(No `from __future__ import annotations`: FastAPI reads the routes' annotations as objects.)
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import duckdb
import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from tsdownsample import LTTBDownsampler

from backend_skills.problem_details import problem_response

Granularity = Literal["auto", "raw", "1m", "1h", "1d"]
MAX_POINTS_CAP = 5_000  # the most points one answer may carry (what a browser draws well)
MAX_ROWS_READ = 20_000  # the most rows one request may read from a table (server work)
MIN_POINTS = 3  # LTTB keeps the first and the last point and needs one between
DECIMALS = 3  # the sensors report 3 decimals; more digits would only fatten the JSON


# region rollups
@dataclass(frozen=True)
class Table:
    name: str
    width: timedelta | None  # a rollup's bucket width; None for the raw readings


# Finest first: the order `auto` walks. Table names come from here, never from a request.
TABLES = {
    "raw": Table("readings", None),
    "1m": Table("readings_1m", timedelta(minutes=1)),
    "1h": Table("readings_1h", timedelta(hours=1)),
    "1d": Table("readings_1d", timedelta(days=1)),
}


def build_rollups(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per-sensor rollups of `readings` (temperature), each from the one below it.

    A bucket stores count, sum, min and max, not the mean: the mean of a bucket is
    total / n, and sums and counts add up across buckets while means do not. So the
    hourly table is built from the minute table and the daily from the hourly, as a
    continuous aggregate refreshes one rollup from another.
    """
    con.execute(
        """CREATE OR REPLACE TABLE readings_1m AS
        SELECT sensor, time_bucket(INTERVAL '1 minute', ts) AS bucket, count(*) AS n,
               sum(temperature) AS total, min(temperature) AS low, max(temperature) AS high
        FROM readings GROUP BY ALL ORDER BY sensor, bucket"""
    )
    for coarse, fine in (("1h", "1m"), ("1d", "1h")):
        width = f"{int(TABLES[coarse].width.total_seconds())} seconds"
        con.execute(
            f"""CREATE OR REPLACE TABLE {TABLES[coarse].name} AS
            SELECT sensor, time_bucket(INTERVAL '{width}', bucket) AS bucket,
                   sum(n)::BIGINT AS n, sum(total) AS total, min(low) AS low, max(high) AS high
            FROM {TABLES[fine].name} GROUP BY ALL ORDER BY sensor, bucket"""
        )
    return {
        key: con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
        for key, table in TABLES.items()
    }


# endregion


# region queries
def in_range(table: Table) -> str:
    """The WHERE clause of TABLE for one sensor and [start, end), with bound parameters.

    A rollup bucket is served when it overlaps the range (it starts before the end and
    ends after the start), so the edges show whole buckets, as dashboards draw them.
    """
    if table.width is None:
        return "sensor = $sensor AND ts >= $start AND ts < $end"
    seconds = int(table.width.total_seconds())
    return f"sensor = $sensor AND bucket > $start - INTERVAL '{seconds} seconds' AND bucket < $end"


def count_rows(cursor, sensor: str, start: datetime, end: datetime) -> dict[str, int]:
    """Rows each table holds for the range, in one statement (one scalar subquery each)."""
    columns = ", ".join(
        f'(SELECT count(*) FROM {table.name} WHERE {in_range(table)}) AS "{key}"'
        for key, table in TABLES.items()
    )
    row = cursor.execute(f"SELECT {columns}", {"sensor": sensor, "start": start, "end": end})
    return dict(zip(TABLES, row.fetchone(), strict=True))


def read_rows(cursor, granularity: str, sensor: str, start: datetime, end: datetime) -> dict:
    """The points of one table for the range as numpy arrays: t, value (and min, max)."""
    table = TABLES[granularity]
    if table.width is None:
        columns = "ts AS t, temperature AS value"
    else:
        columns = "bucket AS t, total / n AS value, low AS min, high AS max"
    sql = f"SELECT {columns} FROM {table.name} WHERE {in_range(table)} ORDER BY t"
    return cursor.execute(sql, {"sensor": sensor, "start": start, "end": end}).fetchnumpy()


# endregion


# region choose
def choose_table(counts: dict[str, int], granularity: str, max_points: int) -> str:
    """The table that serves a request: the one asked for, or for `auto` the finest that
    fits in max_points as it is; when none fits, the finest one a request may read (to be
    thinned by LTTB)."""
    if granularity != "auto":
        if counts[granularity] > MAX_ROWS_READ:
            raise HTTPException(
                422,
                f"granularity: {granularity} over this range is {counts[granularity]:,} rows, "
                f"more than the {MAX_ROWS_READ:,} one request may read; "
                "ask for a coarser granularity or auto",
            )
        return granularity
    fits = [key for key in TABLES if counts[key] <= max_points]
    if fits:
        return fits[0]
    readable = [key for key in TABLES if counts[key] <= MAX_ROWS_READ]
    return readable[0] if readable else "1d"


def lttb(points: dict, max_points: int) -> tuple[dict, dict | None]:
    """POINTS thinned to MAX_POINTS by LTTB on (t, value), and what was done."""
    rows = len(points["t"])
    if rows <= max_points:
        return points, None
    x = points["t"].astype("datetime64[us]").astype(np.int64)  # LTTB needs numeric x
    keep = LTTBDownsampler().downsample(x, points["value"], n_out=max_points)
    thinned = {name: column[keep] for name, column in points.items()}
    return thinned, {"method": "lttb", "rows_in": rows, "points_out": len(keep)}


# endregion


# region models
class Downsampling(BaseModel):
    method: Literal["lttb"]
    rows_in: int
    points_out: int


class Series(BaseModel):
    sensor: str
    start: datetime
    end: datetime
    granularity: Granularity  # as asked
    table: str  # the table that served it
    bucket_seconds: int | None  # the served table's bucket width; None for raw readings
    rows_read: int
    downsampled: Downsampling | None
    points: int
    t: list[str]  # ISO 8601, UTC; a bucket is labelled by its start
    value: list[float]  # a reading, or a bucket's mean (total / n)
    min: list[float] | None  # a bucket's lowest and highest reading; None for raw
    max: list[float] | None


class Sensors(BaseModel):
    sensors: list[str]
    first: datetime  # the first reading
    last: datetime  # the last reading
    max_points: int
    max_rows_read: int


# endregion


def naive_utc(moment: datetime) -> datetime:
    """The data is naive UTC: a time with an offset is converted, one without is UTC."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


class DashboardApi:
    """The app (`.app`) over CON, which holds `readings` and the rollups of build_rollups."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.sensors = [
            row[0]
            for row in con.execute("SELECT DISTINCT sensor FROM readings ORDER BY 1").fetchall()
        ]
        self.first, self.last = con.execute("SELECT min(ts), max(ts) FROM readings").fetchone()
        self.app = self._routes()

    # region series
    def series(
        self, sensor: str, start: datetime, end: datetime, granularity: str, max_points: int
    ) -> Series:
        # A DuckDB connection is not for two threads at once; uvicorn runs requests in a
        # thread pool, so each request takes its own cursor (a connection to the same db).
        with self.con.cursor() as cursor:
            counts = count_rows(cursor, sensor, start, end)
            served = choose_table(counts, granularity, max_points)
            points, downsampled = lttb(read_rows(cursor, served, sensor, start, end), max_points)
        width = TABLES[served].width
        rollup = width is not None
        return Series(
            sensor=sensor,
            start=start,
            end=end,
            granularity=granularity,
            table=TABLES[served].name,
            bucket_seconds=int(width.total_seconds()) if rollup else None,
            rows_read=counts[served],
            downsampled=downsampled,
            points=len(points["t"]),
            t=np.datetime_as_string(points["t"].astype("datetime64[s]")).tolist(),
            value=points["value"].round(DECIMALS).tolist(),
            min=points["min"].round(DECIMALS).tolist() if rollup else None,
            max=points["max"].round(DECIMALS).tolist() if rollup else None,
        )

    # endregion

    # region routes
    def _routes(self) -> FastAPI:
        app = FastAPI(title="Sensor dashboard")

        @app.exception_handler(StarletteHTTPException)
        async def http_problem(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
            return problem_response(exc.status_code, str(exc.detail))

        @app.exception_handler(RequestValidationError)
        async def invalid_problem(_request: Request, exc: RequestValidationError) -> JSONResponse:
            errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            detail = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors)
            return problem_response(422, detail, errors=errors)

        @app.get("/sensors", response_model=Sensors)
        def sensors() -> Sensors:
            return Sensors(
                sensors=self.sensors,
                first=self.first,
                last=self.last,
                max_points=MAX_POINTS_CAP,
                max_rows_read=MAX_ROWS_READ,
            )

        @app.get("/series", response_model=Series)
        def series(
            sensor: Annotated[str, Query(min_length=1, max_length=64)],
            start: datetime,
            end: datetime,
            granularity: Granularity = "auto",
            max_points: Annotated[int, Query(ge=MIN_POINTS, le=MAX_POINTS_CAP)] = 1_000,
        ) -> Series:
            if sensor not in self.sensors:
                raise HTTPException(
                    422,
                    f"sensor: no sensor {sensor!r} (GET /sensors lists the {len(self.sensors)})",
                )
            start, end = naive_utc(start), naive_utc(end)
            if start >= end:
                raise HTTPException(
                    422, f"end: must be later than start (start {start}, end {end})"
                )
            return self.series(sensor, start, end, granularity, max_points)

        return app

    # endregion
