"""The chart of 06-downsampling-lttb: a points slider and a method dropdown above a plotly line.

Every change redraws the chart from the full series with the chosen method and budget, and
the status line says what the browser would receive: points and bytes of JSON against the
full series'. ``show(method, n_out)`` is what the controls call, so a headless run drives
the same code; a bad request (an unknown method, a budget out of range) leaves the chart as
it was and shows a one-line error.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets
import plotly.graph_objects as go
from downsampling_compare import METHODS, downsample, series_json, spikes_kept
from downsampling_signal import Signal

from backend_skills.figures import figure_bundle
from backend_skills.params import ParameterError, choice, integer

MIN_POINTS, MAX_POINTS, STEP = 100, 20_000, 4  # the slider: multiples of 4 (M4 keeps 4 a bucket)


# region chart
class DownsamplingChart:
    """The signal drawn with a budget of points, by one of the methods of METHODS."""

    def __init__(
        self, sig: Signal, n_out: int, method: str = "lttb", full_bytes: int | None = None
    ):
        self.sig = sig
        # What no downsampling would send (pass it in when it is known: it takes a while).
        self.full_bytes = full_bytes or len(series_json(sig.t, sig.y))
        self.method, self.n_out = method, n_out
        self.points = self.json_bytes = self.kept = 0
        self.error: str | None = None
        self.status = ""  # the status line's text: what the browser would receive, or why not
        self._syncing = False  # True while show() moves the controls itself
        self._method = widgets.Dropdown(description="Method", options=METHODS, value=method)
        self._n_out = widgets.IntSlider(
            description="Points",
            min=MIN_POINTS,
            max=MAX_POINTS,
            step=STEP,
            value=n_out,
            continuous_update=False,
        )
        self._status = widgets.HTML()
        self._chart = widgets.Output()
        for control in (self._method, self._n_out):
            control.observe(lambda _change: self._from_controls(), names="value")
        self.view = widgets.VBox(
            [widgets.HBox([self._method, self._n_out]), self._status, self._chart]
        )
        self.show(method, n_out)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)

    def _from_controls(self) -> None:
        if not self._syncing:
            self.show(self._method.value, self._n_out.value)

    # endregion

    # region show
    def show(self, method: str, n_out: int) -> DownsamplingChart:
        """Redraw with METHOD and a budget of N_OUT points (what the controls call)."""
        try:
            method = choice("method", method, METHODS)
            n_out = integer("n_out", n_out, minimum=MIN_POINTS, maximum=MAX_POINTS)
            if n_out % STEP:
                raise ParameterError(f"n_out: {n_out} is not a multiple of {STEP}")
        except ParameterError as exc:  # say why, and keep the chart as it was
            self.error = self.status = str(exc)
            self._status.value = f'<span style="color:#b00020">{escape(self.error)}</span>'
            return self
        self.error, self.method, self.n_out = None, method, n_out
        t_out, y_out = downsample(method, self.sig.t, self.sig.y, n_out)
        self.points, self.kept = len(y_out), spikes_kept(self.sig, t_out, y_out)
        self.json_bytes = len(series_json(t_out, y_out))
        self._syncing = True  # a headless call moves the controls too, without a redraw
        self._method.value, self._n_out.value = method, n_out
        self._syncing = False
        fig = go.Figure(go.Scatter(x=t_out, y=y_out, mode="lines", line={"width": 1}))
        fig.update_layout(
            title=f"{method}: {self.points:,} of {len(self.sig):,} points",
            xaxis_title="time (UTC)",
            yaxis_title="temperature (°C)",
            height=320,
            margin={"t": 40, "b": 40},
        )
        # The figure's JSON goes straight into the Output: a plotly figure displayed inside
        # `with output:` would go through plotly's renderers (see backend_skills.figures).
        bundle = {**figure_bundle(fig), "text/plain": f"<{method} chart>"}
        self._chart.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
        self.status = (
            f"{method}: {self.points:,} points, {self.json_bytes / 1e3:,.1f} kB of JSON "
            f"(the full series: {self.full_bytes / 1e6:,.1f} MB); "
            f"spikes kept: {self.kept} of {len(self.sig.spike_peaks)}"
        )
        self._status.value = escape(self.status)
        return self

    # endregion
