"""The harness benchmark report: test-seconds by kind from a junit file."""

from __future__ import annotations

import subprocess
import sys

from backend_skills.harness_report import main, report

SAMPLE = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">
<testsuite name="pytest" errors="0" failures="0" skipped="0" tests="9" time="40.5">
<testcase classname="notebooks.01-databases-relational.02-crud.ipynb" name="Cell 0" time="2.0"/>
<testcase classname="notebooks.00-start-here.ipynb" name="Cell 3" time="1.0"/>
<testcase classname="tests.test_notebook_second_parameters" name="test_a[x]" time="20.0"/>
<testcase classname="tests.test_notebook_bad_parameters" name="test_b[x]" time="5.0"/>
<testcase classname="tests.test_notebooks_on_postgresql" name="test_c[x]" time="8.0"/>
<testcase classname="tests.test_lab_in_browser" name="test_d" time="0.0"/>
<testcase classname="skills.api-patterns.examples.python-fastapi.tests.test_x" name="t" time="1.5"/>
<testcase classname="tests.test_reference_code" name="test_e" time="0.5"/>
<testcase classname="skills.api-patterns.scripts.tests.test_validate_api_spec" name="t" time="2.0"/>
</testsuite></testsuites>"""


def test_seconds_are_summed_by_kind(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(SAMPLE)
    lines = report(junit, slowest=2).splitlines()
    rows = {line[:18].strip(): line[18:].split() for line in lines[1:10] if line.strip()}
    assert rows["nbval"] == ["2", "3.0", "8%"]
    assert rows["second parameters"] == ["1", "20.0", "50%"]
    assert rows["bad parameters"][:2] == ["1", "5.0"]
    assert rows["PostgreSQL"][:2] == ["1", "8.0"]
    assert rows["browser"][:2] == ["1", "0.0"]
    assert rows["examples"][:2] == ["1", "1.5"]
    assert rows["references"][:2] == ["1", "0.5"]
    assert rows["library"][:2] == ["1", "2.0"]  # a skill's script tests are library tests
    assert rows["total"] == ["9", "40.0"]
    assert "suite wall time (junit): 40.5 s" in lines
    assert lines[-2].split()[:3] == ["20.0", "s", "second"]
    assert lines[-1].split()[:3] == ["8.0", "s", "PostgreSQL"]


def test_an_unreadable_file_is_one_line_and_exit_2(tmp_path, capsys):
    broken = tmp_path / "junit.xml"
    broken.write_text("<testsuites>")
    assert main([str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness_report: cannot read") and err.count("\n") == 1
    assert main([str(tmp_path / "missing.xml")]) == 2


def test_runs_as_a_module(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(SAMPLE)
    command = [sys.executable, "-m", "backend_skills.harness_report", str(junit), "--slowest", "0"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "suite wall time (junit): 40.5 s"
