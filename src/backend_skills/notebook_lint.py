"""The course's rules for a notebook: one `parameters` cell, kernel python3, stored outputs
from one top-to-bottom run without errors, and the parameter sets the test harness runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from backend_skills.findings import Collector

NOTEBOOK_HARNESS_KEYS = ("second_parameters", "bad_parameters", "bad_parameters_error")


def lint_notebook(path: Path, out: Collector) -> None:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        out.error(path, f"not a readable notebook ({exc.__class__.__name__})")
        return
    kernel = notebook.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        out.error(path, f"kernelspec {kernel!r} (want 'python3')")
    code = [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        out.error(path, f"{len(tagged)} cells tagged 'parameters' (want exactly 1)")
    counts = [cell.get("execution_count") for cell in code]
    if counts != list(range(1, len(code) + 1)):
        out.error(path, "stored outputs are not from one top-to-bottom run (run make execute)")
    for cell in code:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                out.error(path, f"stored output has an error ({output.get('ename')})")
    harness = notebook.get("metadata", {}).get("backend_skills", {})
    missing = [key for key in NOTEBOOK_HARNESS_KEYS if key not in harness]
    if missing:
        out.error(
            path,
            f"metadata.backend_skills lacks {', '.join(missing)} (the papermill "
            "runs need a second and a bad parameter set)",
        )
