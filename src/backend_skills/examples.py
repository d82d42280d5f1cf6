"""Load a skill example's modules (its `app.py`, its `contract.py`) into this process.

Skill folders know nothing of the course, so each example is a plain folder whose own
package has a name unique in the course (`catalog_api`, `token_auth`, ...). The folder goes
on ``sys.path`` so that package imports; the top-level file is loaded under a name of its
own, because every API example has an ``app.py`` and two of them must not share
``sys.modules["app"]``.

An example opts in to the course's API contract suite (tests/test_api_contract.py: bearer
tokens attacked, other users' objects, unknown fields, oversize bodies, SQL metacharacters,
problem details) by one module-level line in its ``contract.py``::

    API_CONTRACT = "bearer-jwt-v1"

A folder with an ``app.py`` and no such line is not attacked: a public read-only API or a
WebSocket server has no bearer tokens to forge. The line is read from the file's syntax
tree, so listing the examples imports none of them.
"""

from __future__ import annotations

import ast
import importlib
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


CONTRACT_MARKER = "API_CONTRACT"
# The contracts the course's suites know, and the suite that holds an example to each.
CONTRACTS = {"bearer-jwt-v1": "tests/test_api_contract.py"}


def _module_level(contract_py: Path) -> list[ast.stmt]:
    try:
        return ast.parse(contract_py.read_text(encoding="utf-8")).body
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []  # lint reports a contract.py that does not parse


def declared_contract(contract_py: Path) -> str | None:
    """The value of ``API_CONTRACT = "..."`` at the top level of a contract.py, or None."""
    for node in _module_level(contract_py):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        value = getattr(node, "value", None)
        if any(isinstance(t, ast.Name) and t.id == CONTRACT_MARKER for t in targets) and (
            isinstance(value, ast.Constant) and isinstance(value.value, str)
        ):
            return value.value
    return None


def _contract_files() -> list[Path]:
    return sorted(skills_dir().glob("*/examples/*/contract.py"))


def _skill_and_example(contract_py: Path) -> tuple[str, str]:
    return contract_py.parents[2].name, contract_py.parent.name


def api_examples(contract: str = "bearer-jwt-v1") -> list[tuple[str, str]]:
    """(skill, example) of every example whose contract.py declares CONTRACT (opted in)."""
    if contract not in CONTRACTS:
        raise ValueError(f"unknown API contract {contract!r} (known: {', '.join(CONTRACTS)})")
    return [
        _skill_and_example(path)
        for path in _contract_files()
        if declared_contract(path) == contract
    ]


def openapi_examples() -> list[tuple[str, str]]:
    """(skill, example) of every example whose contract.py can build its app (``make_app``),
    opted in to a contract or not: each serves an OpenAPI document the course can check."""
    return [
        _skill_and_example(path)
        for path in _contract_files()
        if any(
            isinstance(node, ast.FunctionDef) and node.name == "make_app"
            for node in _module_level(path)
        )
    ]


def _on_sys_path(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def import_example_package(skill: str, example: str, package: str) -> ModuleType:
    """Import an example's own package (``document_ingestion``), its folder on sys.path.

    Its name is unique in the course (lint checks), so it is imported under that name."""
    folder = example_dir(skill, example)
    if not (folder / package / "__init__.py").is_file():
        raise FileNotFoundError(f"no package {package!r} in {folder}")
    _on_sys_path(folder)
    return importlib.import_module(package)


def load_example_module(skill: str, example: str, module: str = "app") -> ModuleType:
    """Import ``<example>/<module>.py`` once per process, with the example on sys.path."""
    folder = example_dir(skill, example)
    path = folder / f"{module}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    name = "bsl_example_" + re.sub(r"\W", "_", f"{skill}__{example}__{module}")
    if name in sys.modules:
        return sys.modules[name]
    _on_sys_path(folder)
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
