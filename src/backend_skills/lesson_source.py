"""Show a lesson file beside the notebook in parts, the way FastAPI's docs include theirs.

A lesson's app (a FastAPI service, a schema, a server) lives in a ``.py`` file beside its
notebook: the notebook imports and runs it, and shows it a part at a time, each part
followed by the prose that explains it. So the code a learner reads is the code that runs,
and no cell is a wall of code. Parts are marked in the file::

    # region create-order
    @app.post("/orders", status_code=201)
    def create_order(...): ...
    # endregion

``show_source("shop_app.py", "create-order")`` displays that part as a highlighted code
block; ``show_source("shop_app.py")`` displays the whole file without the markers. The
output records how many lines it showed, which the time estimate counts as code read.
"""

from __future__ import annotations

import re
from pathlib import Path

from IPython.display import Markdown, display

REGION = re.compile(r"^\s*# region ([\w-]+)\s*$")
END_REGION = re.compile(r"^\s*# endregion\b.*$")


def source_part(path: str | Path, part: str | None = None) -> str:
    """The text of PART of the file (or the whole file), without region markers."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if part is None:
        kept = [line for line in lines if not (REGION.match(line) or END_REGION.match(line))]
        return "\n".join(kept).strip("\n")
    inside, found, kept = False, False, []
    for line in lines:
        start = REGION.match(line)
        if start and start.group(1) == part:
            if found:
                raise ValueError(f"{path}: region {part!r} is marked twice")
            inside = found = True
            continue
        if inside and END_REGION.match(line):
            inside = False
            continue
        if inside and not REGION.match(line):
            kept.append(line)
    if not found:
        raise ValueError(f"{path}: no region {part!r} (mark it with '# region {part}')")
    if inside:
        raise ValueError(f"{path}: region {part!r} has no '# endregion'")
    # Dedent a part taken from inside a class or function, so it reads as written.
    indent = min((len(line) - len(line.lstrip()) for line in kept if line.strip()), default=0)
    return "\n".join(line[indent:] for line in kept).strip("\n")


def show_source(path: str | Path, part: str | None = None) -> None:
    """Display PART of a lesson file (or all of it) as a Python code block."""
    text = source_part(path, part)
    shown = sum(1 for line in text.splitlines() if line.strip())
    title = f"`{Path(path).name}`" + (f" · {part}" if part else "")
    display(
        Markdown(f"{title}\n\n```python\n{text}\n```"),
        metadata={"backend_skills": {"shown_lines": shown}},
    )
