"""Load a skill example's modules (its `app.py`, its `contract.py`) into this process.

Skill folders know nothing of the course, so each example is a plain folder whose own
package has a name unique in the course (`catalog_api`, `token_auth`, ...). The folder goes
on ``sys.path`` so that package imports; the top-level file is loaded under a name of its
own, because every API example has an ``app.py`` and two of them must not share
``sys.modules["app"]``.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from backend_skills.paths import skills_dir


def example_dir(skill: str, example: str) -> Path:
    folder = skills_dir() / skill / "examples" / example
    if not folder.is_dir():
        raise FileNotFoundError(f"no example {example!r} in skill {skill!r} ({folder})")
    return folder


def api_examples() -> list[tuple[str, str]]:
    """(skill, example) of every example folder with an HTTP API (it has an app.py)."""
    return sorted(
        (app.parents[2].name, app.parent.name) for app in skills_dir().glob("*/examples/*/app.py")
    )


def load_example_module(skill: str, example: str, module: str = "app") -> ModuleType:
    """Import ``<example>/<module>.py`` once per process, with the example on sys.path."""
    folder = example_dir(skill, example)
    path = folder / f"{module}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    name = "bsl_example_" + re.sub(r"\W", "_", f"{skill}__{example}__{module}")
    if name in sys.modules:
        return sys.modules[name]
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[name]
        raise
    return loaded
