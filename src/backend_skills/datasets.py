"""Load the deterministic generators shipped under data/generators/ by name."""

from __future__ import annotations

import importlib.util
from functools import cache
from types import ModuleType

from backend_skills.paths import data_dir


@cache
def generator(name: str) -> ModuleType:
    """The module data/generators/<name>.py (plain files, so scripts can run them alone)."""
    path = data_dir() / "generators" / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no data generator {name!r} ({path} is missing)")
    spec = importlib.util.spec_from_file_location(f"backend_skills_data_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shop_rows(seed: int = 42, customers: int = 200, orders: int = 1000) -> dict[str, list[dict]]:
    return generator("shop").generate(seed=seed, customers=customers, orders=orders)
