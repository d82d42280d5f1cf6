"""backend-skills doctor: green in the course environment, red when something is off."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from backend_skills import doctor
from backend_skills.cli import main
from backend_skills.paths import repo_root


def test_doctor_is_green_here(run_main):
    result = run_main(main, "doctor", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["ok"], [c for c in report["checks"] if not c["ok"]]
    names = {c["name"] for c in report["checks"]}
    assert {
        "python",
        "lab extension for ipywidgets",
        "lab extension for plotly",
        "DuckDB extension autoinstall off",
        "kernel network guard",
    } <= names


def test_the_entry_point_exits_0_when_green():
    result = subprocess.run(
        [sys.executable, "-m", "backend_skills.cli", "doctor"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lab_config_check_fails_when_news_is_on(tmp_path):
    shutil.copytree(repo_root() / "jupyter", tmp_path / "jupyter")
    assert doctor.check_lab_config(tmp_path).ok
    config = tmp_path / "jupyter" / "jupyter_server_config.json"
    data = json.loads(config.read_text())
    data["LabApp"]["news_url"] = "https://example.org/feed"
    config.write_text(json.dumps(data))
    check = doctor.check_lab_config(tmp_path)
    assert not check.ok and "news_url" in check.detail


def test_version_drift_from_the_lock_is_reported(tmp_path):
    (tmp_path / "requirements.lock").write_text("duckdb==0.0.1\n    # via x\n")
    checks = {c.name: c for c in doctor.check_packages(tmp_path)}
    assert not checks["package duckdb"].ok and "pins 0.0.1" in checks["package duckdb"].detail
    assert checks["package plotly"].ok


def test_locked_versions_parses_the_lock():
    pins = doctor.locked_versions(repo_root() / "requirements.lock")
    assert pins["jupyterlab"].startswith("4.") and pins["sqlalchemy"].startswith("2.")
