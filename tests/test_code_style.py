"""The code is ruff-clean (lint and format), so `make test` catches what `make lint` would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend_skills.paths import repo_root

PATHS = ["src", "tests", "skills", "data", "notebooks", "conftest.py"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(command):
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run(
        [str(ruff), *command, *PATHS], cwd=repo_root(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
