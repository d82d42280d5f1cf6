"""The ingest console of notebook 07-02: pick a path and a batch size, load, read rows/s.

The Run button and a headless run call the same method, ``run(method, batch_size)``: it
loads the fleet's rows into a fresh table through ``IngestBench`` (the notebook's own
measurements), checks the rows that arrived, and adds a line to the console's table.
Bad input (an unknown method, a batch size of 0) shows a one-line error and loads nothing.
"""

from __future__ import annotations

import math
from html import escape

import ipywidgets as widgets
import pandas as pd
from ingest_paths import METHODS, IngestBench, IngestRun

from backend_skills.params import ParameterError


# region console
class IngestConsole:
    """Method dropdown, batch size box, Run button, a status line and the runs so far."""

    def __init__(self, bench: IngestBench, frame: pd.DataFrame, *, method: str, batch_size: int):
        self.bench, self.frame = bench, frame
        self.runs: list[IngestRun] = []
        self.message = ""
        self._method = widgets.Dropdown(options=list(METHODS), value=method, description="Method")
        self._batch_size = widgets.IntText(value=batch_size, description="Batch size")
        self._button = widgets.Button(description="Run", icon="play", button_style="primary")
        self._button.on_click(lambda _button: self.run(self._method.value, self._batch_size.value))
        self._status = widgets.HTML("Pick a path and press Run.")
        self._table = widgets.HTML()
        self.view = widgets.VBox(
            [
                widgets.HBox([self._method, self._batch_size, self._button]),
                self._status,
                self._table,
            ]
        )

    def run(self, method: str, batch_size: int) -> IngestRun | None:
        """Load by METHOD (BATCH_SIZE rows a batch where it batches); None on bad input."""
        try:
            result = self.bench.run(method, self.frame, batch_size)
        except ParameterError as exc:
            self.message = str(exc)
            self._status.value = f'<span style="color:#b00020">{escape(self.message)}</span>'
            return None
        self._method.value = method
        if result.batch_size is not None:
            self._batch_size.value = result.batch_size
        self.runs.append(result)
        self.message = describe(result)
        self._status.value = escape(self.message)
        self._table.value = runs_table(self.runs)
        return result

    # endregion

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)


def describe(run: IngestRun) -> str:
    per = f", {run.batch_size:,} rows a batch" if run.batch_size else ""
    checked = "identical rows" if run.identical else "ROWS DIFFER from the source"
    return (
        f"{run.method}{per}: {run.rows:,} rows in {run.seconds * 1000:,.1f} ms, "
        f"{run.rows_per_s:,.0f} rows/s ({checked})"
    )


def runs_table(runs: list[IngestRun]) -> str:
    """The runs so far, each with a bar on a log scale (1 row/s to 10 million rows/s)."""
    lines = []
    for run in runs:
        share = min(1.0, max(0.0, math.log10(max(run.rows_per_s, 1)) / 7))
        bar = f'<div style="background:#2a9d8f;height:0.8em;width:{share * 240:.0f}px"></div>'
        size = f"{run.batch_size:,}" if run.batch_size else ""
        lines.append(
            f"<tr><td>{escape(run.method)}</td><td>{size}</td><td>{run.rows:,}</td>"
            f"<td>{run.rows_per_s:,.0f}</td><td>{bar}</td></tr>"
        )
    header = "<tr><th>method</th><th>batch</th><th>rows</th><th>rows/s</th><th>log scale</th></tr>"
    return f"<table>{header}{''.join(lines)}</table>"
