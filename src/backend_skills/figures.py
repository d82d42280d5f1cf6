"""Show a plotly figure in a notebook without paying for nbformat.

`fig.show()`, `pio.show(fig)` and a bare `fig` as a cell's last expression all go through
plotly.io._renderers, which imports nbformat only to check its version; nbformat imports
jsonschema, which builds its RFC 3987 grammar: 2-9 s the first time in every kernel.
In JupyterLab plotly's default renderer is "plotly_mimetype", which publishes one bundle
holding the figure's JSON. `show_figure` publishes that same bundle itself, so JupyterLab
renders the figure exactly as before and the stored output is byte for byte the same.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
from IPython.display import display
from plotly.io.json import to_json

MIMETYPE = "application/vnd.plotly.v1+json"


def figure_bundle(fig: go.Figure) -> dict:
    """The bundle plotly's "plotly_mimetype" renderer builds for FIG (its config is empty)."""
    # plotly's renderer encodes with its own JSON engine (numpy arrays, dates, NaN) and
    # parses back, so the bundle holds plain JSON types; the same here.
    return {MIMETYPE: json.loads(to_json(fig.to_dict(), validate=False, remove_uids=False))}


def show_figure(fig: go.Figure) -> None:
    """Display FIG in the notebook as plotly's mimetype renderer would."""
    display(figure_bundle(fig), raw=True)
