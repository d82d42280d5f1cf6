"""The dashboard panel of notebook 07-07: a sensor, a time range and a granularity above
a chart, drawn from what GET /series answers over HTTP.

``request(sensor, start, end, granularity, max_points)`` is what the controls run, so a
headless run calls the same code: it sets the controls, sends the request as a browser
would, draws the returned points with plotly and writes a status line (the table that
served it, the points, the bytes on the wire, the milliseconds). A refused request shows
the problem's detail and leaves the last good chart on screen.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

import httpx
import ipywidgets as widgets
import plotly.graph_objects as go

from backend_skills.figures import figure_bundle
from backend_skills.problem_details import error_summary, response_body

GRANULARITIES = ["auto", "raw", "1m", "1h", "1d"]
STEP = timedelta(hours=1)  # the range slider's step


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    bytes: int  # the response body as it came over the wire
    ms: float


# region controls
class DashboardPanel:
    """A temperature chart of one sensor through CLIENT (an httpx client on the API)."""

    def __init__(self, client: httpx.Client, *, max_points: int = 1_000):
        self.client = client
        info = client.get("/sensors").json()
        first = datetime.fromisoformat(info["first"])
        last = datetime.fromisoformat(info["last"])
        ticks = [first + STEP * i for i in range(int((last - first) / STEP) + 2)]
        self.last: Answer | None = None  # the latest answer, good or refused
        self.shown: Answer | None = None  # the answer the chart draws
        self.figure: go.Figure | None = None
        self._sensor = widgets.Dropdown(description="Sensor", options=info["sensors"])
        self._range = widgets.SelectionRangeSlider(
            description="Range",
            options=[(tick.strftime("%a %d %H:%M"), tick) for tick in ticks],
            index=(0, len(ticks) - 1),
            continuous_update=False,  # one request when the handle is let go, not per pixel
            layout=widgets.Layout(width="640px"),
        )
        self._granularity = widgets.Dropdown(description="Granularity", options=GRANULARITIES)
        # An IntText, not a bounded one: the server enforces the cap, the panel shows its answer.
        self._max_points = widgets.IntText(description="Max points", value=max_points)
        self._status = widgets.HTML()
        self._chart = widgets.Output()
        self._setting = False  # changes made by request() itself must not request again
        for control in (self._sensor, self._range, self._granularity, self._max_points):
            control.observe(self._on_change, names="value")
        self.view = widgets.VBox(
            [
                widgets.HBox([self._sensor, self._granularity, self._max_points]),
                self._range,
                self._status,
                self._chart,
            ]
        )

    def _on_change(self, _change) -> None:
        if not self._setting:
            start, end = self._range.value
            self.request(
                self._sensor.value, start, end, self._granularity.value, self._max_points.value
            )

    # endregion

    # region request
    def request(
        self,
        sensor: str,
        start: datetime | str,
        end: datetime | str,
        granularity: str = "auto",
        max_points: int | None = None,
    ) -> Answer:
        """GET /series as the controls would send it; draw the answer or show why not."""
        max_points = self._max_points.value if max_points is None else max_points
        self._show_controls(sensor, start, end, granularity, max_points)
        params = {
            "sensor": sensor,
            "start": start.isoformat() if isinstance(start, datetime) else start,
            "end": end.isoformat() if isinstance(end, datetime) else end,
            "granularity": granularity,
            "max_points": max_points,
        }
        began = time.perf_counter()
        response = self.client.get("/series", params=params)
        ms = (time.perf_counter() - began) * 1000
        self.last = Answer(response.status_code, response_body(response), len(response.content), ms)
        if response.status_code == 200:
            self.shown = self.last
            self.figure = series_figure(self.last.body)
            self._chart.outputs = (
                {"output_type": "display_data", "data": _bundle(self.figure), "metadata": {}},
            )
            self._status.value = escape(self.status_line(with_time=True))
        else:  # say why, keep the last good chart
            self._status.value = (
                f"<span style='color:#b00'>{escape(self.status_line(with_time=True))}</span>"
            )
        return self.last

    def status_line(self, *, with_time: bool = False) -> str:
        """The status line as text: the table, the points, the bytes (and the ms)."""
        answer = self.last
        if answer is None:
            return ""
        if answer.status != 200:
            return f"{answer.status}: {error_summary(answer.body)}"
        body = answer.body
        thinned = body["downsampled"]
        how = f" (LTTB of {thinned['rows_in']:,} rows)" if thinned else ""
        line = f"{body['table']}: {body['points']:,} points{how}, {answer.bytes:,} bytes"
        return f"{line}, {answer.ms:.1f} ms" if with_time else line

    def _show_controls(self, sensor, start, end, granularity, max_points) -> None:
        """Set the controls to what is asked, where they can show it (the slider has hours)."""
        self._setting = True
        try:
            if sensor in self._sensor.options:
                self._sensor.value = sensor
            if granularity in GRANULARITIES:
                self._granularity.value = granularity
            self._max_points.value = max_points
            ticks = [value for _label, value in self._range.options]
            if isinstance(start, datetime) and isinstance(end, datetime):
                if start in ticks and end in ticks and start < end:
                    self._range.value = (start, end)
        finally:
            self._setting = False

    # endregion


# region figure
def series_figure(body: dict) -> go.Figure:
    """The answer's points as a line; a rollup's min-max band behind it."""
    fig = go.Figure()
    if body["min"] is not None:
        fig.add_scatter(x=body["t"], y=body["max"], mode="lines", line_width=0, showlegend=False)
        fig.add_scatter(
            x=body["t"],
            y=body["min"],
            mode="lines",
            line_width=0,
            fill="tonexty",
            fillcolor="rgba(42, 157, 143, 0.25)",
            name="min to max",
        )
    label = "reading" if body["min"] is None else "mean"
    fig.add_scatter(x=body["t"], y=body["value"], mode="lines", name=label, line_color="#264653")
    thinned = " after LTTB" if body["downsampled"] else ""
    fig.update_layout(
        title=f"{body['sensor']}: {body['points']:,} points from {body['table']}{thinned}",
        xaxis_title="time (UTC)",
        yaxis_title="temperature (°C)",
        height=360,
        margin={"t": 50, "b": 40},
    )
    return fig


def _bundle(fig: go.Figure) -> dict:
    # The figure's JSON goes straight into the Output widget, as 01-06's dashboard does:
    # a plotly figure displayed inside `with output:` would land in the running cell.
    return {**figure_bundle(fig), "text/plain": re.sub(r"\s+", " ", fig.layout.title.text)}


# endregion
