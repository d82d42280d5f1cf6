"""Stored widget state keeps the displayed widgets and what they reference, nothing else."""

from __future__ import annotations

import nbformat

from backend_skills.widget_state import STATE_KEY, VIEW_MIME, prune


def _model(*children: str) -> dict:
    return {"model_name": "BoxModel", "state": {"children": [f"IPY_MODEL_{c}" for c in children]}}


def test_prune_keeps_displayed_views_and_their_references():
    ids = {name: name * 32 for name in "abcde"}  # 32 hex characters each
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("walker")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={VIEW_MIME: {"model_id": ids["a"]}})
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {
        STATE_KEY: {
            "state": {
                ids["a"]: _model(ids["b"]),  # shown; references b
                ids["b"]: _model(ids["c"]),  # referenced by a; references c
                ids["c"]: _model(),
                ids["d"]: _model(ids["e"]),  # made by the kernel, never shown
                ids["e"]: _model(),
            },
            "version_major": 2,
            "version_minor": 0,
        }
    }
    assert prune(nb) == (5, 3)
    assert set(nb.metadata["widgets"][STATE_KEY]["state"]) == {ids["a"], ids["b"], ids["c"]}


def test_prune_drops_the_state_when_nothing_is_displayed():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {STATE_KEY: {"state": {"f" * 32: _model()}}}
    assert prune(nb) == (1, 0)
    assert "widgets" not in nb.metadata
