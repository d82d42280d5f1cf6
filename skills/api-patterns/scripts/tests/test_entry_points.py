"""Each script once as a real subprocess: its `python script.py` entry point and exit code.
(The other tests call main(argv) in-process: see ScriptRunner in conftest.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("generate_openapi.py", ["app:app", "--app-dir", "/no/such/dir"], "not a directory"),
        ("validate_api_spec.py", ["x.json", "--ignore", "nope"], "unknown rule"),
    ],
)
def test_a_bad_argument_exits_2_with_one_line(script, args, message, one_line_error, tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / script), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert message in one_line_error(result, script.removesuffix(".py"))
