"""show_figure publishes what plotly's mimetype renderer would, without importing nbformat;
no course module a lesson imports brings nbformat into its kernel."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from plotly.subplots import make_subplots

from backend_skills.figures import MIMETYPE, figure_bundle, show_figure
from backend_skills.paths import notebooks_dir


def figures() -> list[go.Figure]:
    bars = go.Figure(go.Bar(x=["a", "b"], y=np.array([1.5, float("nan")])))
    bars.update_layout(title="bars", yaxis_type="log", height=300)
    dates = go.Figure(go.Scatter(x=[dt.date(2026, 1, 1), dt.date(2026, 1, 2)], y=[1, 2]))
    grid = make_subplots(rows=1, cols=2, subplot_titles=("left", "right"))
    grid.add_bar(x=[1, 2], y=[3, 4], row=1, col=1)
    grid.add_scatter(x=[1, 2], y=[5, 6], row=1, col=2)
    return [bars, dates, grid]


@pytest.mark.parametrize("fig", figures(), ids=["bars", "dates", "subplots"])
def test_the_bundle_is_what_plotlys_mimetype_renderer_publishes(fig):
    InteractiveShell.instance()  # display() publishes only through a shell
    with capture_output() as plotly_way:
        pio.show(fig, renderer="plotly_mimetype")
    with capture_output() as ours:
        show_figure(fig)
    assert len(plotly_way.outputs) == len(ours.outputs) == 1
    assert ours.outputs[0].data == plotly_way.outputs[0].data
    assert ours.outputs[0].metadata == plotly_way.outputs[0].metadata
    assert set(figure_bundle(fig)) == {MIMETYPE}


SHOW = """
import sys
import plotly.graph_objects as go
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
InteractiveShell.instance()
fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
with capture_output() as shown:
    {show}
assert len(shown.outputs) == 1, shown.outputs
print("nbformat" in sys.modules)
"""


def imports_nbformat(show: str) -> bool:
    code = SHOW.format(show=show)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip() == "True"


def test_showing_a_figure_does_not_import_nbformat():
    assert imports_nbformat("fig.show(renderer='plotly_mimetype')")  # why the helper exists
    assert not imports_nbformat("from backend_skills.figures import show_figure; show_figure(fig)")


def lesson_modules() -> set[str]:
    """The backend_skills modules the notebooks import (code cells and solution files)."""
    pattern = re.compile(r"^\s*(?:from|import) (backend_skills(?:\.\w+)*)", re.M)
    found = set()
    for path in notebooks_dir().rglob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                found |= set(pattern.findall("".join(cell["source"])))
    for path in notebooks_dir().rglob("solutions/*.py"):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_no_module_a_lesson_imports_pulls_in_nbformat():
    # nbformat builds jsonschema's RFC 3987 grammar on import (1.2 s), once per kernel.
    modules = lesson_modules()
    assert "backend_skills.exercises" in modules  # every lesson imports its checks
    code = "import sys\n" + "".join(f"import {m}\n" for m in sorted(modules))
    code += "print('nbformat' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", sorted(modules)
