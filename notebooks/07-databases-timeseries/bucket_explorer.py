"""One sensor around an outage: raw readings, bucket averages, and a fill (notebook 07-03).

``outage_figure`` draws the picture; ``BucketExplorer`` is the widget that redraws it
when the bucket width or the fill changes. Its ``show(bucket, fill)`` is what the
controls call and what a headless run calls: it runs the gap-filling query of
``gap_filling.py`` for the sensor and the time window, puts the chart into its Output and
says in the status line how many buckets were empty and how many the fill drew.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go
from gap_filling import FILL_COLUMNS, FILLS, filled

from backend_skills.figures import figure_bundle
from backend_skills.params import ParameterError, choice

BUCKET_WIDTHS = ("1 minute", "5 minutes", "15 minutes", "1 hour")
MARGIN = timedelta(minutes=90)  # how much of the data around the outage the chart shows


# region figure
def outage_figure(
    raw: pd.DataFrame, series: pd.DataFrame, outage: pd.Series, bucket: str, fill: str
) -> go.Figure:
    """Raw readings as dots, bucket averages as a line broken where buckets are empty,
    and the fill as a dashed line over the gaps (steps for carry forward)."""
    figure = go.Figure()
    figure.add_vrect(
        x0=outage["first_missing"], x1=outage["last_missing"], fillcolor="#999", opacity=0.15,
        line_width=0, annotation_text="outage", annotation_position="top left",
    )  # fmt: skip
    figure.add_scatter(
        x=raw["ts"], y=raw["temperature"], mode="markers", name="raw readings",
        marker={"size": 3, "color": "#8d99ae"},
    )  # fmt: skip
    if fill != "none":
        figure.add_scatter(
            x=series["bucket"], y=series[FILL_COLUMNS[fill]], mode="lines",
            name=f"{fill} fill", line={"dash": "dash", "color": "#e76f51",
                                       "shape": "hv" if fill == "carry forward" else "linear"},
        )  # fmt: skip
    averages = series["temperature"].astype(object).where(series["temperature"].notna(), None)
    figure.add_scatter(
        x=series["bucket"], y=averages, mode="lines+markers", name=f"{bucket} averages",
        connectgaps=False, line={"color": "#264653"}, marker={"size": 4},
    )  # fmt: skip
    figure.update_layout(
        title=f"{outage['sensor']} around an outage: raw, {bucket} buckets, fill: {fill}",
        xaxis_title="time (UTC)",
        yaxis_title="temperature (°C)",
        height=380,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


# endregion


def around(
    outage: pd.Series, margin: timedelta, start: datetime, stop: datetime
) -> tuple[datetime, datetime]:
    """Whole hours from MARGIN before the outage to MARGIN after it, within [START, STOP),
    so that every width of BUCKET_WIDTHS divides the window and its buckets line up."""
    first = pd.Timestamp(outage["first_missing"] - margin).floor("h")
    last = pd.Timestamp(outage["last_missing"] + margin).ceil("h")
    return max(first.to_pydatetime(), start), min(last.to_pydatetime(), stop)


# region explorer
class BucketExplorer:
    """Bucket width and fill pickers above the chart of one sensor around one outage."""

    def __init__(
        self,
        con,
        frame: pd.DataFrame,
        outage: pd.Series,
        *,
        start: datetime,
        stop: datetime,
        bucket: str,
        fill: str,
    ):
        self.con, self.outage = con, outage
        self.start, self.stop = around(outage, MARGIN, start, stop)
        in_window = (frame["ts"] >= self.start) & (frame["ts"] < self.stop)
        self.raw = frame[in_window & (frame["sensor"] == outage["sensor"])]
        self.series: pd.DataFrame | None = None
        self.figure: go.Figure | None = None
        self.message = ""
        self._bucket = widgets.Dropdown(options=BUCKET_WIDTHS, value=bucket, description="Bucket")
        self._fill = widgets.ToggleButtons(options=FILLS, value=fill, description="Fill")
        self._redrawing = False
        for control in (self._bucket, self._fill):
            control.observe(lambda _change: self._picked(), names="value")
        self._status = widgets.HTML()
        self._chart = widgets.Output()
        self.view = widgets.VBox(
            [widgets.HBox([self._bucket, self._fill]), self._status, self._chart]
        )

    def _picked(self) -> None:
        if not self._redrawing:  # a change show() made itself does not redraw again
            self.show(self._bucket.value, self._fill.value)

    def show(self, bucket: str, fill: str) -> pd.DataFrame | None:
        """Redraw with BUCKET-wide buckets and FILL; the buckets shown, or None if refused."""
        try:
            bucket = choice("bucket", bucket, BUCKET_WIDTHS)
            fill = choice("fill", fill, FILLS)
        except ParameterError as exc:
            self.message = str(exc)
            self._status.value = f'<span style="color:#b00020">{escape(self.message)}</span>'
            return None
        sensor = self.outage["sensor"]
        self.series = filled(self.con, bucket, self.start, self.stop, sensor)
        self.figure = outage_figure(self.raw, self.series, self.outage, bucket, fill)
        empty = int(self.series["temperature"].isna().sum())
        drawn = int(self.series[FILL_COLUMNS[fill]].notna().sum())
        self.message = (
            f"{sensor}, {bucket} buckets, fill {fill}: {len(self.series)} buckets, "
            f"{empty} empty, {drawn} drawn"
        )
        self._chart.outputs = (
            {"output_type": "display_data", "data": self._bundle(), "metadata": {}},
        )  # the figure's JSON straight into the Output: a figure displayed inside
        # `with output:` would land in the cell instead of the widget in a headless run
        self._status.value = escape(self.message)
        self._redrawing = True
        try:
            self._bucket.value, self._fill.value = bucket, fill
        finally:
            self._redrawing = False
        return self.series

    # endregion

    def _bundle(self) -> dict:
        return {**figure_bundle(self.figure), "text/plain": f"<chart: {self.message}>"}

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
