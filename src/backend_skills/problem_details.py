"""Reading an HTTP API's answers the way a frontend does: field errors from a 422 or a
problem-details body, a one-line summary for a status bar, and the body as JSON or text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx


def field_errors(body: Any) -> dict[str, str]:
    """Field name -> message from a 422/409 body; "" holds errors that belong to no field.

    Reads FastAPI's default `{"detail": [{"loc": [...], "msg": ...}]}` and RFC 9457 problem
    bodies with an `errors` list whose items carry `loc` (or `field`) and `msg` (or
    `message`/`detail`). A plain `{"detail": "text"}` becomes a form-level error.
    """
    if not isinstance(body, Mapping):
        return {"": str(body)} if body else {}
    items = body.get("errors")
    if items is None:
        items = body.get("detail")
    if isinstance(items, str):
        return {"": items}
    if not isinstance(items, list):
        text = body.get("title") or body.get("detail")
        return {"": str(text)} if text else {}
    errors: dict[str, str] = {}
    for item in items:
        if not isinstance(item, Mapping):
            errors.setdefault("", str(item))
            continue
        message = str(item.get("msg") or item.get("message") or item.get("detail") or item)
        loc = item.get("loc")
        if loc is None and item.get("field") is not None:
            loc = [item["field"]]
        name, rest = _split_loc(loc or [])
        if rest:
            # Keep the sub-path so a nested error (items[2].quantity) stays findable.
            message = f"{rest}: {message}"
        # First error per field wins: one clear message beats a pile.
        errors.setdefault(name, message)
    return errors


def _split_loc(loc: Sequence[Any]) -> tuple[str, str]:
    """("body", "items", 0, "quantity") -> ("items", "[0].quantity")."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    if not parts:
        return "", ""
    name, rest = str(parts[0]), ""
    for part in parts[1:]:
        rest += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name, rest.lstrip(".")


def error_summary(body: Any) -> str:
    """One line for a status bar: 'sort: Input should be ...; limit: ...'."""
    errors = field_errors(body)
    return "; ".join(f"{name}: {msg}" if name else msg for name, msg in errors.items())


def response_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def problem_response(status: int, detail: str, **extra: Any):
    """An RFC 9457 problem-details response (a FastAPI JSONResponse), as the lessons' apps
    answer every error: type, title (the status phrase), status, detail and EXTRA members."""
    from http import HTTPStatus

    from fastapi.responses import JSONResponse  # only the lessons' apps need FastAPI here

    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    return JSONResponse(
        {**body, "detail": detail, **extra},
        status_code=status,
        media_type="application/problem+json",
    )
