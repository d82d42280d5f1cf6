#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "openapi-spec-validator>=0.7.1",
#     "pyyaml>=6.0",
# ]
# ///
"""Validate an OpenAPI 3.x document: the specification itself, plus API design rules.

SPEC is a JSON or YAML file, or - for standard input. The document is first checked
against the OpenAPI 3.0/3.1/3.2 specification (openapi-spec-validator), then against
rules a reviewer would otherwise enforce by hand:

Rules (severity):
  openapi-schema             (error)    the document breaks the OpenAPI specification
  missing-operation-id       (error)    an operation without operationId (clients and SDK
                                        generators name their methods after it)
  duplicate-operation-id     (error)    two operations share an operationId
  no-error-response          (error)    an operation that takes input (parameters, a body
                                        or credentials) declares no 4xx response
  missing-401                (error)    a protected operation (security applies) does not
                                        declare 401
  error-not-problem-json     (error)    a 4xx/5xx body that is not application/problem+json
                                        (RFC 9457 problem details)
  list-without-pagination    (error)    a GET returning an array, or an object with a
                                        "data" array, without limit+cursor or
                                        page+per_page query parameters
  undeclared-path-parameter  (error)    a {name} in the path with no path parameter
  unknown-path-parameter     (error)    a path parameter that is not in the path
  error-without-body         (warning)  a 4xx/5xx response with no content at all
  unbounded-page-size        (warning)  limit / per_page without a maximum

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

PROG = "validate_api_spec"
SEVERITIES = ("warning", "error")
RULES = {
    "openapi-schema": "error",
    "missing-operation-id": "error",
    "duplicate-operation-id": "error",
    "no-error-response": "error",
    "missing-401": "error",
    "error-not-problem-json": "error",
    "list-without-pagination": "error",
    "undeclared-path-parameter": "error",
    "unknown-path-parameter": "error",
    "error-without-body": "warning",
    "unbounded-page-size": "warning",
}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
PROBLEM_JSON = "application/problem+json"
PAGINATION_STYLES = (("limit", "cursor"), ("page", "per_page"))
PAGE_SIZE_PARAMETERS = ("limit", "per_page")
PATH_TEMPLATE = re.compile(r"{([^{}]+)}")
MAX_REF_DEPTH = 32


class BadInput(Exception):
    """Input the user must fix; reported as one line, exit code 2."""


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    location: str
    message: str


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="validate_api_spec.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("spec", help="OpenAPI document (.json, .yaml), or - for stdin")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="warning",
        help="lowest severity that makes the exit code 1 (default: warning)",
    )
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="RULE", help="skip a rule (repeatable)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.ignore) - set(RULES))
    if unknown:
        parser.error(f"unknown rule(s) for --ignore: {', '.join(unknown)}")
    return args


def first_line(text: str) -> str:
    text = str(text).strip()
    return text.splitlines()[0] if text else ""


# --- loading -----------------------------------------------------------------------------


def load_document(source: str) -> tuple[dict[str, Any], str]:
    """Return (document, name to show)."""
    import yaml

    if source == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        path = Path(source)
        if not path.is_file():
            raise BadInput(f"spec file not found: {source}")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read {source}: {first_line(str(exc))}") from None
        name = source
    if not text.strip():
        raise BadInput(f"{name} is empty")
    try:
        # YAML 1.2 is a superset of JSON, so one parser reads both.
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or first_line(str(exc))
        raise BadInput(f"{name} is not valid JSON or YAML{where}: {problem}") from None
    if not isinstance(document, dict):
        raise BadInput(f"{name} is not an OpenAPI document (top level is not a mapping)")
    document = string_keys(document)
    if "swagger" in document:
        raise BadInput(f"{name} is Swagger {document['swagger']}; convert it to OpenAPI 3 first")
    version = str(document.get("openapi", ""))
    if not re.match(r"^3\.[0-2]\.\d+", version):
        raise BadInput(f"{name} is not an OpenAPI 3.0-3.2 document (openapi: {version or '-'})")
    return document, name


def string_keys(node: Any) -> Any:
    """YAML reads `200:` as an integer key; OpenAPI (being JSON) only has string keys."""
    if isinstance(node, dict):
        return {str(key): string_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [string_keys(value) for value in node]
    return node


# --- the specification -------------------------------------------------------------------


def spec_findings(document: dict[str, Any]) -> list[Finding]:
    from jsonschema_path import SchemaPath
    from openapi_spec_validator import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )

    minor = str(document["openapi"]).split(".")[1]
    validator_class = {
        "0": OpenAPIV30SpecValidator,
        "1": OpenAPIV31SpecValidator,
        "2": OpenAPIV32SpecValidator,
    }[minor]
    validator = validator_class(SchemaPath.from_dict(document))
    findings = []
    try:
        for error in validator.iter_errors():
            location = getattr(error, "json_path", None) or "$"
            findings.append(Finding("openapi-schema", "error", location, first_line(error.message)))
    except Exception as exc:  # noqa: BLE001 - e.g. an unresolvable $ref stops the walk
        findings.append(Finding("openapi-schema", "error", "$", first_line(str(exc))))
    return findings


# --- design rules ------------------------------------------------------------------------


class Resolver:
    """Follows local $refs (#/components/...); anything else stays unresolved."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def __call__(self, node: Any) -> Any:
        for _ in range(MAX_REF_DEPTH):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return {}
            target: Any = self.document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    return {}
                target = target[part]
            node = target
        return {}


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict, dict]]:
    """(path, METHOD, operation, path item) for every operation."""
    paths = document.get("paths") or {}
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield path, method.upper(), operation, item


def parameters(resolve: Resolver, operation: dict, item: dict) -> dict[tuple[str, str], dict]:
    """Effective parameters by (in, name): operation-level ones override path-level ones."""
    found: dict[tuple[str, str], dict] = {}
    for source in (item.get("parameters"), operation.get("parameters")):
        for raw in source if isinstance(source, list) else []:
            parameter = resolve(raw)
            if isinstance(parameter, dict) and "name" in parameter and "in" in parameter:
                found[(str(parameter["in"]), str(parameter["name"]))] = parameter
    return found


def is_protected(document: dict[str, Any], operation: dict) -> bool:
    security = operation.get("security", document.get("security"))
    if not isinstance(security, list) or not security:
        return False
    # An empty requirement ({}) among the alternatives means "anonymous is fine too".
    return all(isinstance(requirement, dict) and requirement for requirement in security)


def returns_a_list(resolve: Resolver, operation: dict) -> bool:
    responses = operation.get("responses") or {}
    response = resolve(responses.get("200") or {})
    content = response.get("content") if isinstance(response, dict) else None
    for media_type, body in (content or {}).items():
        if "json" not in media_type or not isinstance(body, dict):
            continue
        schema = resolve(body.get("schema") or {})
        if not isinstance(schema, dict):
            continue
        if schema.get("type") == "array":
            return True
        data = resolve((schema.get("properties") or {}).get("data") or {})
        if isinstance(data, dict) and data.get("type") == "array":
            return True
    return False


def schema_has_maximum(resolve: Resolver, schema: Any) -> bool:
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return False
    if "maximum" in schema or "exclusiveMaximum" in schema:
        return True
    # FastAPI renders Optional[int] as anyOf [{integer, maximum}, {null}].
    branches = schema.get("anyOf") or schema.get("oneOf") or []
    numeric = [resolve(b) for b in branches if resolve(b).get("type") != "null"]
    return bool(numeric) and all(schema_has_maximum(resolve, b) for b in numeric)


def rule_findings(document: dict[str, Any]) -> tuple[int, list[Finding]]:
    resolve = Resolver(document)
    findings: list[Finding] = []
    operation_ids: dict[str, list[str]] = {}
    count = 0

    for path, method, operation, item in operations(document):
        count += 1
        where = f"{method} {path}"

        def add(rule: str, message: str, location: str = where) -> None:
            findings.append(Finding(rule, RULES[rule], location, message))

        operation_id = operation.get("operationId")
        if not operation_id:
            add("missing-operation-id", "no operationId")
        else:
            operation_ids.setdefault(str(operation_id), []).append(where)

        responses = operation.get("responses") or {}
        statuses = {str(status).upper(): resolve(value) for status, value in responses.items()}
        client_errors = {s for s in statuses if s == "4XX" or (s[0] == "4" and s.isdigit())}
        # A public GET with no parameters and no body (a JWKS or discovery document) has no
        # client input to reject; everything else must say how it fails.
        takes_input = bool(
            parameters(resolve, operation, item)
            or operation.get("requestBody")
            or is_protected(document, operation)
        )
        if takes_input and not client_errors:
            add("no-error-response", "declares no 4xx response; document how it fails")
        if is_protected(document, operation) and not ({"401", "4XX"} & client_errors):
            add("missing-401", "protected by security but declares no 401 response")

        for status, response in sorted(statuses.items()):
            if status[0] not in "45" or not isinstance(response, dict):
                continue
            content = response.get("content")
            if not content:
                add(
                    "error-without-body",
                    f"{status} has no content; declare {PROBLEM_JSON}",
                    f"{where} responses.{status}",
                )
            elif PROBLEM_JSON not in content:
                add(
                    "error-not-problem-json",
                    f"{status} is {', '.join(sorted(content))}, not {PROBLEM_JSON} (RFC 9457)",
                    f"{where} responses.{status}",
                )

        declared = parameters(resolve, operation, item)
        query = {name for (location, name) in declared if location == "query"}
        if method == "GET" and returns_a_list(resolve, operation):
            if not any(set(style) <= query for style in PAGINATION_STYLES):
                add(
                    "list-without-pagination",
                    "returns a list but declares neither limit+cursor nor page+per_page",
                )
            for name in PAGE_SIZE_PARAMETERS:
                parameter = declared.get(("query", name))
                if parameter is not None and not schema_has_maximum(
                    resolve, parameter.get("schema")
                ):
                    add(
                        "unbounded-page-size",
                        f"query parameter {name!r} has no maximum: one request can ask for "
                        "every row",
                    )

        in_template = set(PATH_TEMPLATE.findall(path))
        in_path = {name for (location, name) in declared if location == "path"}
        for name in sorted(in_template - in_path):
            add("undeclared-path-parameter", f"{{{name}}} is in the path but not declared")
        for name in sorted(in_path - in_template):
            add("unknown-path-parameter", f"path parameter {name!r} is not in the path")

    for operation_id, places in sorted(operation_ids.items()):
        if len(places) > 1:
            findings.append(
                Finding(
                    "duplicate-operation-id",
                    RULES["duplicate-operation-id"],
                    ", ".join(places),
                    f"operationId {operation_id!r} is used {len(places)} times",
                )
            )
    return count, findings


# --- reporting ---------------------------------------------------------------------------


def summarise(findings: list[Finding], fail_on: str) -> dict[str, Any]:
    counts = Counter(f.severity for f in findings)
    threshold = SEVERITIES.index(fail_on)
    failing = sum(n for sev, n in counts.items() if SEVERITIES.index(sev) >= threshold)
    return {
        "error": counts["error"],
        "warning": counts["warning"],
        "total": len(findings),
        "fail_on": fail_on,
        "failed": failing > 0,
    }


def render_text(name: str, version: str, count: int, findings: list[Finding], summary: dict) -> str:
    lines = [f"spec: {name} (OpenAPI {version}, {count} operations)"]
    for f in findings:
        lines.append(f"{f.severity.upper():<8} {f.rule:<26} {f.location}: {f.message}")
    verdict = "FAIL" if summary["failed"] else "ok"
    lines.append(
        f"{summary['error']} error(s), {summary['warning']} warning(s); "
        f"fail-on {summary['fail_on']}: {verdict}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        document, name = load_document(args.spec)
    except BadInput as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    findings = spec_findings(document)
    count, design = rule_findings(document)
    ignored = set(args.ignore)
    order = {sev: i for i, sev in enumerate(reversed(SEVERITIES))}
    findings = sorted(
        (f for f in findings + design if f.rule not in ignored),
        key=lambda f: (order[f.severity], f.location, f.rule),
    )
    summary = summarise(findings, args.fail_on)
    version = str(document["openapi"])
    if args.json:
        report = {
            "spec": name,
            "openapi": version,
            "operations": count,
            "findings": [asdict(f) for f in findings],
            "summary": summary,
        }
        print(json.dumps(report, indent=2))
    else:
        print(render_text(name, version, count, findings, summary))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
