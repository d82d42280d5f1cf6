"""The README's Python block runs as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parents[1]


def python_blocks() -> list[str]:
    readme = (EXAMPLE_DIR / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", readme, flags=re.S)


def test_readme_usage_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks()
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)  # the block writes ./tuples.db
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["visible"] == [7]
    assert (tmp_path / "tuples.db").is_file()
    namespace["engine"].dispose()  # type: ignore[attr-defined]


def test_readme_states_the_body_limit_the_code_enforces(contract: ModuleType) -> None:
    from access_control.settings import MAX_BODY_BYTES

    readme = (EXAMPLE_DIR / "README.md").read_text()
    assert contract.MAX_BODY_BYTES == MAX_BODY_BYTES
    assert f"**{MAX_BODY_BYTES} bytes**" in readme


def test_importing_app_py_creates_no_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    example_module_loader: Callable[[str], ModuleType],
) -> None:
    monkeypatch.chdir(tmp_path)
    module = example_module_loader("app")
    assert module.app.title == "Access control example"
    assert list(tmp_path.iterdir()) == []  # the database appears at startup, not at import
