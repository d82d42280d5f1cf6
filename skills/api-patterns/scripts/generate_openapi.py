#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "httpx>=0.27",
#     "pyyaml>=6.0",
# ]
# ///
"""Write the OpenAPI document of an ASGI app without starting a server.

APP is MODULE:ATTR, as for uvicorn (``app:app``, ``myservice.main:app``); with
--factory, ATTR is a function called without arguments that returns the app. The
module is imported with --app-dir (default: the current directory) first on sys.path,
so importing it runs its module-level code, as ``uvicorn`` would.

A FastAPI app (anything with an ``openapi()`` method) is asked directly. Any other ASGI
app (Starlette with a schema route, Litestar, ...) is asked for --path (default
/openapi.json) in process through httpx's ASGI transport.

    generate_openapi.py app:app --app-dir examples/python-fastapi --format yaml \\
        --output openapi.yaml

The output is stable (keys sorted) so the file can be committed and diffed in review.
Exit codes: 0 written, 2 bad input (import failure, not an app, no schema).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

PROG = "generate_openapi"


class BadInput(Exception):
    """Input the user must fix; reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="generate_openapi.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("app", help="MODULE:ATTR of the ASGI app, e.g. app:app")
    parser.add_argument(
        "--app-dir", default=".", help="directory put first on sys.path (default: .)"
    )
    parser.add_argument(
        "--factory", action="store_true", help="ATTR is a factory: call it to get the app"
    )
    parser.add_argument("--format", choices=("json", "yaml"), default="json")
    parser.add_argument("--output", "-o", help="write here instead of stdout")
    parser.add_argument(
        "--path", default="/openapi.json", help="schema URL path for non-FastAPI apps"
    )
    return parser.parse_args(argv)


def first_line(text: str) -> str:
    text = str(text).strip()
    return text.splitlines()[0] if text else ""


def load_app(target: str, app_dir: str, factory: bool) -> Any:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise BadInput(f"expected MODULE:ATTR (e.g. app:app), got {target!r}")
    folder = Path(app_dir)
    if not folder.is_dir():
        raise BadInput(f"--app-dir is not a directory: {app_dir}")
    sys.path.insert(0, str(folder.resolve()))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any failure while importing user code
        raise BadInput(
            f"cannot import {module_name!r}: {type(exc).__name__}: {first_line(str(exc))}"
        ) from None
    app: Any = module
    for part in attribute.split("."):
        if not hasattr(app, part):
            raise BadInput(f"module {module_name!r} has no attribute {attribute!r}")
        app = getattr(app, part)
    if factory:
        if not callable(app):
            raise BadInput(f"{target} is not callable, so it cannot be a --factory")
        try:
            app = app()
        except Exception as exc:  # noqa: BLE001 - a failing user factory
            raise BadInput(
                f"factory {target} failed: {type(exc).__name__}: {first_line(str(exc))}"
            ) from None
    if not callable(app):
        raise BadInput(f"{target} is a {type(app).__name__}, not an ASGI app")
    return app


def openapi_document(app: Any, path: str) -> dict[str, Any]:
    if callable(getattr(app, "openapi", None)):
        try:
            document = app.openapi()
        except Exception as exc:  # noqa: BLE001 - e.g. a model FastAPI cannot render
            raise BadInput(
                f"app.openapi() failed: {type(exc).__name__}: {first_line(str(exc))}"
            ) from None
    else:
        document = asyncio.run(_fetch(app, path))
    if not isinstance(document, dict) or not ("openapi" in document or "swagger" in document):
        raise BadInput("the app returned something that is not an OpenAPI document")
    return document


async def _fetch(app: Any, path: str) -> Any:
    import httpx

    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            response = await client.get(path)
    except Exception as exc:  # noqa: BLE001 - a callable that does not speak ASGI
        raise BadInput(
            f"unsupported app: GET {path} failed ({type(exc).__name__}: {first_line(str(exc))})"
        ) from None
    if response.status_code != 200:
        raise BadInput(f"unsupported app: GET {path} answered {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise BadInput(f"unsupported app: GET {path} did not return JSON") from None


def render(document: dict[str, Any], output_format: str) -> str:
    if output_format == "yaml":
        import yaml

        return yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=100)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.output and not Path(args.output).resolve().parent.is_dir():
            raise BadInput(f"output directory does not exist: {Path(args.output).parent}")
        app = load_app(args.app, args.app_dir, args.factory)
        document = openapi_document(app, args.path)
        text = render(document, args.format)
    except BadInput as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        operations = sum(
            1
            for item in (document.get("paths") or {}).values()
            for method in item
            if method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
        )
        paths = len(document.get("paths") or {})
        print(f"wrote {args.output} ({paths} paths, {operations} operations)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
