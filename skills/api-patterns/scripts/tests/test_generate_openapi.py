"""generate_openapi.py, run as a subprocess on the skill's example app and small apps."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

STARLETTE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

SPEC = {"openapi": "3.1.0", "info": {"title": "tiny", "version": "1"}, "paths": {}}


async def schema(request):
    return JSONResponse(SPEC)


app = Starlette(routes=[Route("/openapi.json", schema)])
no_schema = Starlette(routes=[])
"""

FACTORY_APP = """
from fastapi import FastAPI


def create_app():
    app = FastAPI(title="made", version="2")

    @app.get("/b", operation_id="b")
    def b() -> dict:
        return {}

    @app.get("/a", operation_id="a")
    def a() -> dict:
        return {}

    return app


def broken_factory():
    raise RuntimeError("no database configured")


not_an_app = 42
"""


@pytest.fixture
def env_tmp(tmp_path, monkeypatch) -> Path:
    # The example app keeps its default SQLite file under the temp directory.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    return tmp_path


def test_example_app_round_trip(env_tmp, generate_openapi, validate_api_spec, example_dir) -> None:
    output = env_tmp / "openapi.json"
    result = generate_openapi("app:app", "--app-dir", str(example_dir), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().endswith("(8 paths, 14 operations)")
    document = json.loads(output.read_text())
    assert document["info"]["title"] == "Task API"
    # Stable output: keys sorted, so regenerating gives the same bytes.
    assert output.read_text() == json.dumps(document, indent=2, sort_keys=True) + "\n"

    checked = validate_api_spec(str(output), "--json", "--fail-on", "warning")
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["findings"] == []


def test_yaml_to_stdout(env_tmp, generate_openapi, example_dir) -> None:
    result = generate_openapi("app:app", "--app-dir", str(example_dir), "--format", "yaml")
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert document["paths"]["/v1/tasks"]["get"]["operationId"] == "listTasks"


def test_factory_and_plain_asgi_apps(tmp_path, generate_openapi) -> None:
    (tmp_path / "factory_app.py").write_text(FACTORY_APP)
    (tmp_path / "tiny.py").write_text(STARLETTE_APP)

    made = generate_openapi("factory_app:create_app", "--factory", "--app-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    assert list(json.loads(made.stdout)["paths"]) == ["/a", "/b"]  # sorted

    # Not FastAPI: fetched from /openapi.json through the ASGI transport, in process.
    tiny = generate_openapi("tiny:app", "--app-dir", str(tmp_path))
    assert tiny.returncode == 0, tiny.stderr
    assert json.loads(tiny.stdout)["info"]["title"] == "tiny"


@pytest.mark.parametrize(
    ("target", "extra", "expected"),
    [
        ("app", [], "expected MODULE:ATTR"),
        ("no_such_module:app", [], "cannot import 'no_such_module': ModuleNotFoundError"),
        ("factory_app:missing", [], "has no attribute 'missing'"),
        ("factory_app:not_an_app", [], "is a int, not an ASGI app"),
        ("factory_app:broken_factory", ["--factory"], "no database configured"),
        ("tiny:no_schema", [], "unsupported app: GET /openapi.json answered 404"),
        ("factory_app:create_app", ["--factory", "--format", "xml"], "invalid choice"),
    ],
)
def test_bad_input(tmp_path, generate_openapi, one_line_error, target, extra, expected) -> None:
    (tmp_path / "factory_app.py").write_text(FACTORY_APP)
    (tmp_path / "tiny.py").write_text(STARLETTE_APP)
    result = generate_openapi(target, "--app-dir", str(tmp_path), *extra)
    assert expected in one_line_error(result, "generate_openapi")


def test_bad_paths(tmp_path, generate_openapi, one_line_error) -> None:
    missing_dir = generate_openapi("app:app", "--app-dir", str(tmp_path / "nope"))
    assert "not a directory" in one_line_error(missing_dir, "generate_openapi")
    (tmp_path / "factory_app.py").write_text(FACTORY_APP)
    no_parent = generate_openapi(
        "factory_app:create_app",
        "--factory",
        "--app-dir",
        str(tmp_path),
        "--output",
        str(tmp_path / "missing" / "openapi.json"),
    )
    assert "output directory does not exist" in one_line_error(no_parent, "generate_openapi")
    assert not os.path.exists(tmp_path / "missing")
