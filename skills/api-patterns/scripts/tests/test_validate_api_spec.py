"""validate_api_spec.py, run as a subprocess on specs written by the tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def problem_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM}},
    }


GOOD_SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Notes", "version": "1.0.0"},
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "status": {"type": "integer"}},
            },
            "Note": {"type": "object", "properties": {"id": {"type": "integer"}}},
        },
        "responses": {"NotFound": problem_response("No such note")},
        "parameters": {
            "NoteId": {
                "name": "note_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer"},
            }
        },
    },
    "paths": {
        "/notes": {
            "get": {
                "operationId": "listNotes",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "A page",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "data": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Note"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "401": problem_response("No token"),
                },
            },
            "post": {
                "operationId": "createNote",
                "security": [],
                "requestBody": {
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "201": {"description": "Created"},
                    "422": problem_response("Invalid"),
                },
            },
        },
        "/notes/{note_id}": {
            "parameters": [{"$ref": "#/components/parameters/NoteId"}],
            "get": {
                "operationId": "getNote",
                "responses": {
                    "200": {"description": "The note"},
                    "401": problem_response("No token"),
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
        },
    },
}


def write(tmp_path: Path, spec: dict, name: str = "spec.json") -> Path:
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps(spec))
    else:
        path.write_text(yaml.safe_dump(spec))
    return path


def rules(stdout: str) -> set[tuple[str, str]]:
    return {(f["rule"], f["location"]) for f in json.loads(stdout)["findings"]}


def test_good_spec_passes(tmp_path, validate_api_spec) -> None:
    result = validate_api_spec(str(write(tmp_path, GOOD_SPEC)), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["findings"] == []
    assert report["operations"] == 3
    assert report["openapi"] == "3.1.0"
    assert report["summary"]["failed"] is False


def test_good_spec_as_yaml_from_stdin(validate_api_spec) -> None:
    # Unquoted status codes are integers in YAML; they must still count as responses.
    text = yaml.safe_dump(GOOD_SPEC).replace("'401':", "401:").replace("'200':", "200:")
    result = validate_api_spec("-", stdin=text)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "spec: <stdin> (OpenAPI 3.1.0, 3 operations)"
    assert result.stdout.rstrip().endswith("fail-on warning: ok")


def test_each_rule_fires(tmp_path, validate_api_spec) -> None:
    spec = copy.deepcopy(GOOD_SPEC)
    paths = spec["paths"]
    del paths["/notes"]["get"]["operationId"]
    paths["/notes"]["get"]["parameters"] = []  # a list without pagination
    paths["/notes"]["post"]["responses"] = {"201": {"description": "Created"}}
    paths["/notes/{note_id}"]["get"]["operationId"] = "createNote"  # duplicate
    paths["/notes/{note_id}"]["get"]["responses"]["401"] = {
        "description": "No token",
        "content": {"application/json": {"schema": PROBLEM}},
    }
    paths["/.well-known/jwks.json"] = {
        "get": {
            "operationId": "getJwks",
            "security": [],
            "responses": {"200": {"description": "keys"}},
        }
    }
    paths["/tags/{tag}"] = {
        "get": {
            "operationId": "getTag",
            "responses": {"200": {"description": "ok"}, "404": {"description": "none"}},
        }
    }
    result = validate_api_spec(str(write(tmp_path, spec)), "--json")
    assert result.returncode == 1
    found = rules(result.stdout)
    assert ("missing-operation-id", "GET /notes") in found
    assert ("list-without-pagination", "GET /notes") in found
    assert ("no-error-response", "POST /notes") in found
    assert not any(loc == "GET /.well-known/jwks.json" for _, loc in found)  # takes no input
    assert ("duplicate-operation-id", "POST /notes, GET /notes/{note_id}") in found
    assert ("error-not-problem-json", "GET /notes/{note_id} responses.401") in found
    assert ("missing-401", "GET /tags/{tag}") in found
    assert ("undeclared-path-parameter", "GET /tags/{tag}") in found
    assert ("error-without-body", "GET /tags/{tag} responses.404") in found
    # The specification itself complains about the unresolved path parameter too.
    assert any(rule == "openapi-schema" for rule, _ in found)
    severities = {f["rule"]: f["severity"] for f in json.loads(result.stdout)["findings"]}
    assert severities["error-without-body"] == "warning"
    assert severities["missing-401"] == "error"


def test_offset_pagination_counts_and_page_size_needs_a_maximum(
    tmp_path, validate_api_spec
) -> None:
    spec = copy.deepcopy(GOOD_SPEC)
    spec["paths"]["/notes"]["get"]["parameters"] = [
        {"name": "page", "in": "query", "schema": {"type": "integer"}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer"}},
    ]
    path = write(tmp_path, spec)
    result = validate_api_spec(str(path), "--json")
    assert result.returncode == 1
    assert rules(result.stdout) == {("unbounded-page-size", "GET /notes")}
    # A warning fails only at --fail-on warning (the default); --ignore drops a rule.
    relaxed = validate_api_spec(str(path), "--fail-on", "error", "--ignore", "missing-401")
    assert relaxed.returncode == 0
    assert "WARNING  unbounded-page-size" in relaxed.stdout


def test_unknown_path_parameter_and_array_list(tmp_path, validate_api_spec) -> None:
    spec = copy.deepcopy(GOOD_SPEC)
    spec["paths"]["/notes"]["get"]["parameters"].append(
        {"name": "ghost", "in": "path", "required": True, "schema": {"type": "string"}}
    )
    spec["paths"]["/archive"] = {
        "get": {
            "operationId": "listArchive",
            "responses": {
                "200": {
                    "description": "all of it",
                    "content": {"application/json": {"schema": {"type": "array", "items": {}}}},
                },
                "401": problem_response("No token"),
            },
        }
    }
    result = validate_api_spec(str(write(tmp_path, spec, "spec.yaml")), "--json")
    assert result.returncode == 1
    found = rules(result.stdout)
    assert ("unknown-path-parameter", "GET /notes") in found
    assert ("list-without-pagination", "GET /archive") in found


def test_invalid_openapi_is_a_finding_not_a_crash(tmp_path, validate_api_spec) -> None:
    spec = copy.deepcopy(GOOD_SPEC)
    del spec["info"]["version"]
    result = validate_api_spec(str(write(tmp_path, spec)))
    assert result.returncode == 1
    assert "openapi-schema" in result.stdout and "version" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "spec file not found"),
        ("", "is empty"),
        ("openapi: [unclosed", "is not valid JSON or YAML at line 1"),
        ("- just\n- a list\n", "top level is not a mapping"),
        ('{"swagger": "2.0", "info": {}}', "Swagger 2.0; convert it to OpenAPI 3"),
        ('{"info": {"title": "x"}}', "not an OpenAPI 3.0-3.2 document"),
    ],
)
def test_bad_input(tmp_path, validate_api_spec, one_line_error, content, expected) -> None:
    path = tmp_path / "spec.yaml"
    if content is not None:
        path.write_text(content)
    line = one_line_error(validate_api_spec(str(path)), "validate_api_spec")
    assert expected in line


def test_bad_arguments(validate_api_spec, one_line_error) -> None:
    line = one_line_error(validate_api_spec("x.json", "--ignore", "nope"), "validate_api_spec")
    assert "unknown rule" in line
    assert validate_api_spec("--help").returncode == 0
