"""The two locks: every line an exact pin, no torch or CUDA, the dev set a superset of the
course set at the same versions, and the course set enough to run every notebook."""

from __future__ import annotations

import ast
import json
import re
import sys
from importlib import metadata

import pytest

from backend_skills.paths import notebooks_dir, repo_root


def _pins(name: str) -> dict[str, str]:
    lock = (repo_root() / name).read_text(encoding="utf-8")
    requirement_lines = [
        line for line in lock.splitlines() if line and not line.startswith((" ", "#"))
    ]
    pins = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock, re.MULTILINE))
    assert len(pins) == len(requirement_lines) > 50, f"{name}: every line an exact pin"
    return {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in pins.items()}


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_a_lock_pins_everything_and_installs_no_torch_or_cuda(lock):
    heavy = [p for p in _pins(lock) if re.match(r"(torch|nvidia-|triton|tensorflow|jax)", p)]
    assert heavy == []


def test_the_dev_lock_is_the_course_lock_plus_the_test_tools():
    course, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {k: dev.get(k) for k in course} == course
    assert {"pytest", "nbval", "playwright", "schemathesis", "ruff"} <= set(dev) - set(course)


def _notebook_imports() -> set[str]:
    found: set[str] = set()
    for path in notebooks_dir().rglob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            try:
                tree = ast.parse(source)
            except SyntaxError:  # a cell with IPython magics
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found


def test_the_course_lock_has_every_package_a_notebook_imports():
    course = set(_pins("requirements.lock"))
    distributions = metadata.packages_distributions()
    missing = []
    for module in sorted(_notebook_imports() - set(sys.stdlib_module_names)):
        owners = distributions.get(module)
        if not owners or module == "backend_skills":  # the course's own, or a lesson's files
            continue
        if not any(re.sub(r"[-_.]+", "-", o).lower() in course for o in owners):
            missing.append(f"{module} (from {', '.join(owners)})")
    assert missing == [], "notebooks import packages only the dev lock has"
