"""Keep in a notebook's stored widget state only the widgets its outputs still display.

nbclient saves the state of every widget model the kernel ever made (each button of each
tree step, each table page's labels), though a reader of the stored notebook sees only the
views that the outputs display. The rest bloats the file and can show a state no cell made.
`prune` keeps the models reachable from a displayed view (a view's model, and every model
it references as ``IPY_MODEL_<id>``, transitively) and drops the others.
"""

from __future__ import annotations

import json
import re

import nbformat

STATE_KEY = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]{32})")


def displayed_models(nb: nbformat.NotebookNode) -> set[str]:
    shown: set[str] = set()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(VIEW_MIME)
            if view and view.get("model_id"):
                shown.add(view["model_id"])
    return shown


def stored_state(nb: nbformat.NotebookNode) -> dict:
    return nb.metadata.get("widgets", {}).get(STATE_KEY, {}).get("state", {})


def prune(nb: nbformat.NotebookNode) -> tuple[int, int]:
    """Drop undisplayed widget models in place; returns (models before, models kept)."""
    state = stored_state(nb)
    if not state:
        return 0, 0
    keep: set[str] = set()
    pending = [model for model in displayed_models(nb) if model in state]
    while pending:
        model = pending.pop()
        if model in keep:
            continue
        keep.add(model)
        references = REFERENCE.findall(json.dumps(state[model]))
        pending.extend(ref for ref in references if ref in state and ref not in keep)
    before = len(state)
    if keep:
        nb.metadata["widgets"][STATE_KEY]["state"] = {m: state[m] for m in state if m in keep}
    else:
        del nb.metadata["widgets"]
    return before, len(keep)
