"""Helpers for running the skill's scripts as a user would, in-process (see ScriptRunner)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

SCRIPTS_DIR = Path(__file__).resolve().parents[1]


class ScriptRunner:
    """Runs the script's main(argv) in this process, as its command line would run it.

    The script is loaded from its path (importlib: skill scripts are files, not a package)
    once per test; each call gets its own stdin, stdout, stderr, cwd, sys.argv and
    sys.path, SystemExit becomes the exit code and an uncaught exception a traceback on
    stderr with exit 1. Modules a call imports from outside the Python environment (the
    user's models and apps in test folders) are dropped after it, so the next call
    imports its own. Saves a Python start and the script's imports per call;
    test_entry_points.py runs each script once as a real subprocess.
    """

    def __init__(self, name: str) -> None:
        self.path = SCRIPTS_DIR / name
        spec = importlib.util.spec_from_file_location(f"skill_script_{self.path.stem}", self.path)
        self.module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = self.module  # dataclasses look their module up there
        spec.loader.exec_module(self.module)

    def __call__(
        self, *args: str, cwd: Path | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        out, err = io.StringIO(), io.StringIO()
        saved = (os.getcwd(), list(sys.path), sys.argv, sys.stdin, set(sys.modules))
        sys.argv, sys.stdin = [str(self.path), *args], io.StringIO(stdin or "")
        try:
            if cwd is not None:
                os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = self.module.main(list(args))
                except SystemExit as exc:
                    code = exc.code
                    if isinstance(code, str):
                        print(code, file=sys.stderr)
                        code = 1
                except Exception:
                    traceback.print_exc()
                    code = 1
        finally:
            os.chdir(saved[0])
            sys.path[:], sys.argv, sys.stdin = saved[1], saved[2], saved[3]
            for name in set(sys.modules) - saved[4]:
                if not _installed(sys.modules[name]):
                    del sys.modules[name]
        return subprocess.CompletedProcess(
            [str(self.path), *args], code or 0, out.getvalue(), err.getvalue()
        )


def _installed(module: object) -> bool:
    """Whether MODULE comes with Python or the environment (else: a test's own file)."""
    where = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])), None)
    if where is None:
        return True  # built in
    return any(Path(where).is_relative_to(prefix) for prefix in _PREFIXES)


_PREFIXES = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}


@pytest.fixture
def generate_migration() -> ScriptRunner:
    return ScriptRunner("generate_migration.py")


@pytest.fixture
def validate_schema() -> ScriptRunner:
    return ScriptRunner("validate_schema.py")


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
