"""`backend-skills doctor`: is this environment ready to run the course, offline?

Checks Python and the locked package versions, the JupyterLab extensions that ipywidgets
and plotly need, the shipped JupyterLab config that turns off news and update checks, and
offline readiness: DuckDB will not auto-install extensions, and the kernel network guard
blocks a non-loopback connection.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from backend_skills import netguard
from backend_skills.paths import repo_root

MIN_PYTHON = (3, 11)
KEY_PACKAGES = (
    "jupyterlab",
    "ipywidgets",
    "plotly",
    "papermill",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "duckdb",
    "fastapi",
    "uvicorn",
    "httpx",
    "pydantic",
)
LAB_EXTENSIONS = {
    "ipywidgets": "@jupyter-widgets/jupyterlab-manager",
    "plotly": "jupyterlab-plotly",
}
NOTIFICATION_SETTINGS = (
    "lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def locked_versions(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if match:
            pins[_normal(match.group(1))] = match.group(2)
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check(
        "python",
        sys.version_info[:2] >= MIN_PYTHON,
        f"{version} (need >= {'.'.join(map(str, MIN_PYTHON))})",
    )


def check_packages(root: Path) -> list[Check]:
    lock = root / "requirements.lock"
    pins = locked_versions(lock) if lock.is_file() else {}
    checks = []
    for name in KEY_PACKAGES:
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            checks.append(
                Check(f"package {name}", False, "not installed (run make test or make lab)")
            )
            continue
        locked = pins.get(_normal(name))
        ok = locked is None or locked == installed
        detail = installed if ok else f"{installed}, but requirements.lock pins {locked}"
        checks.append(Check(f"package {name}", ok, detail))
    return checks


def check_lab_extensions() -> list[Check]:
    from jupyter_core.paths import jupyter_path

    folders = [Path(p) for p in jupyter_path("labextensions")]
    checks = []
    for package, extension in LAB_EXTENSIONS.items():
        found = next(
            (f / extension for f in folders if (f / extension / "package.json").is_file()), None
        )
        checks.append(
            Check(
                f"lab extension for {package}",
                found is not None,
                str(found) if found else f"{extension} not found in {folders}",
            )
        )
    return checks


def check_lab_config(root: Path) -> Check:
    config_dir = root / "jupyter"
    problems = []
    try:
        server = json.loads((config_dir / "jupyter_server_config.json").read_text())
        lab = server.get("LabApp", {})
        if lab.get("news_url", "unset") is not None:
            problems.append("LabApp.news_url is not null")
        if lab.get("check_for_updates_class") != "jupyterlab.NeverCheckForUpdate":
            problems.append("LabApp.check_for_updates_class is not NeverCheckForUpdate")
        if lab.get("extension_manager") != "readonly":
            problems.append("LabApp.extension_manager is not readonly (it would search PyPI)")
        settings = json.loads((config_dir / NOTIFICATION_SETTINGS).read_text())
        if settings.get("fetchNews") != "false" or settings.get("checkForUpdates") is not False:
            problems.append("notification settings still fetch news or check for updates")
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(f"cannot read the shipped config ({exc.__class__.__name__}: {exc})")
    return Check(
        "JupyterLab news and update checks off",
        not problems,
        "; ".join(problems) or f"shipped in {config_dir}",
    )


def check_duckdb_offline() -> Check:
    import duckdb

    from backend_skills.offline_duckdb import connect

    connection = connect()
    value = connection.execute("SELECT current_setting('autoinstall_known_extensions')").fetchall()[
        0
    ][0]
    connection.close()
    return Check(
        "DuckDB extension autoinstall off",
        value is False,
        f"duckdb {duckdb.__version__}: autoinstall_known_extensions={value}",
    )


def check_netguard() -> Check:
    """In a fresh interpreter, the guard must refuse a TEST-NET address (never routed)."""
    code = (
        "from backend_skills import netguard; netguard.install()\n"
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except netguard.OfflineViolation:\n"
        "    print('blocked')\n"
    )
    # Without the log variable: this deliberate attempt is not a notebook's violation.
    env = {k: v for k, v in os.environ.items() if k != netguard.LOG_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    blocked = result.stdout.strip() == "blocked"
    return Check(
        "kernel network guard",
        blocked,
        "non-loopback connections are refused in course kernels"
        if blocked
        else f"guard did not block: {result.stderr.strip()[-200:]}",
    )


def run_checks() -> list[Check]:
    root = repo_root()
    return [
        check_python(),
        *check_packages(root),
        *check_lab_extensions(),
        check_lab_config(root),
        check_duckdb_offline(),
        check_netguard(),
    ]


def render(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = [f"{'ok ' if c.ok else 'FAIL'} {c.name:<{width}}  {c.detail}" for c in checks]
    failed = sum(not c.ok for c in checks)
    lines.append(f"{len(checks) - failed} ok, {failed} failed")
    return "\n".join(lines)


def as_json(checks: list[Check]) -> str:
    return json.dumps(
        {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}, indent=1
    )
