"""Fixtures for the scripts' tests: the scripts run in-process (ScriptRunner), a guard that
records and refuses every connection beyond loopback, and the one-line error check."""

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

    The script is loaded from its path once per test session (loading imports the
    embeddings copy beside it, whose model then stays loaded for every call); each call
    gets its own cwd, sys.argv, sys.path, stdout and stderr. SystemExit becomes the exit
    code and an uncaught exception a traceback on stderr with exit 1.
    test_entry_points.py runs each script once as a real subprocess.
    """

    def __init__(self, name: str) -> None:
        self.path = SCRIPTS_DIR / name
        spec = importlib.util.spec_from_file_location(f"skill_script_{self.path.stem}", self.path)
        self.module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = self.module  # dataclasses look their module up there
        spec.loader.exec_module(self.module)

    def __call__(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        out, err = io.StringIO(), io.StringIO()
        saved = (os.getcwd(), list(sys.path), sys.argv)
        sys.argv = [str(self.path), *args]
        try:
            if cwd is not None:
                os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = self.module.main(list(args))
                except SystemExit as exc:
                    code = exc.code
                except Exception:
                    traceback.print_exc()
                    code = 1
        finally:
            os.chdir(saved[0])
            sys.path[:], sys.argv = saved[1], saved[2]
        return subprocess.CompletedProcess(
            [str(self.path), *args], code or 0, out.getvalue(), err.getvalue()
        )


@pytest.fixture(scope="session")
def generate_embeddings() -> ScriptRunner:
    return ScriptRunner("generate_embeddings.py")


@pytest.fixture(scope="session")
def benchmark_similarity() -> ScriptRunner:
    return ScriptRunner("benchmark_similarity.py")


def _load_network_guard():
    """tests/network_guard.py (a checked copy of the course's guard), under its own name."""
    path = Path(__file__).resolve().parent / "network_guard.py"
    spec = importlib.util.spec_from_file_location("vector_scripts_network_guard", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NetworkGuard = _load_network_guard().NetworkGuard


@pytest.fixture(scope="session")
def network_guard() -> type[NetworkGuard]:
    # A fixture rather than an import: with --import-mode=importlib conftest.py is not
    # importable as a module from the test files.
    return NetworkGuard


def _assert_one_line_error(result: subprocess.CompletedProcess[str], prog: str) -> str:
    """Exit 2, nothing on stdout, exactly one stderr line, no traceback; returns the line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{prog}: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture(scope="session")
def one_line_error():
    return _assert_one_line_error
