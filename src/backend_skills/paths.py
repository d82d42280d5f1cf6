"""Where the course's folders are, for an editable install or a checkout on sys.path."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


@cache
def repo_root() -> Path:
    """The checkout holding skills/ and notebooks/ (BACKEND_SKILLS_ROOT overrides)."""
    override = os.environ.get("BACKEND_SKILLS_ROOT")
    if override:
        return Path(override).resolve()
    here = Path(__file__).resolve()
    for candidate in [*here.parents, *Path.cwd().resolve().parents, Path.cwd().resolve()]:
        if (candidate / "skills").is_dir() and (candidate / "notebooks").is_dir():
            return candidate
    raise FileNotFoundError(
        "cannot find the course checkout (a folder with skills/ and notebooks/); "
        "set BACKEND_SKILLS_ROOT"
    )


def skills_dir() -> Path:
    return repo_root() / "skills"


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"


def data_dir() -> Path:
    return repo_root() / "data"


def shown_path(path: Path | str) -> str:
    """A path as reports show it: relative to the checkout when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)
