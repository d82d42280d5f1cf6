"""Helpers for running the skill's scripts as a user would: in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS_DIR = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = SCRIPTS_DIR.parent / "examples" / "python-fastapi"


class ScriptRunner:
    def __init__(self, name: str) -> None:
        self.path = SCRIPTS_DIR / name

    def __call__(
        self, *args: str, cwd: Path | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(self.path), *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            input=stdin,
            timeout=120,
        )


@pytest.fixture
def generate_openapi() -> ScriptRunner:
    return ScriptRunner("generate_openapi.py")


@pytest.fixture
def validate_api_spec() -> ScriptRunner:
    return ScriptRunner("validate_api_spec.py")


@pytest.fixture
def example_dir() -> Path:
    return EXAMPLE_DIR


def _assert_one_line_error(result: subprocess.CompletedProcess[str], prog: str) -> str:
    """Exit 2, nothing on stdout, exactly one stderr line, no traceback; returns the line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{prog}: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def one_line_error():
    # A fixture rather than an import: with --import-mode=importlib conftest.py is not
    # importable as a module from the test files.
    return _assert_one_line_error
