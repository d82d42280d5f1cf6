"""Checks for notebook parameters: one-line errors, fresh work directories, database URLs.

A notebook's validation cell raises ParameterError; IPython shows it as one line (via
`_render_traceback_`), and papermill reports it with ename "ParameterError".
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# Engines whose SQL the relational lessons are written for (drivers for the grown-up path).
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class ParameterError(ValueError):
    """A notebook parameter with a bad value: the message names the parameter."""

    def _render_traceback_(self) -> list[str]:
        return [f"ParameterError: {self}"]


def fresh_work_dir(value: str | Path | None, lesson: str) -> Path:
    """A new, empty folder for this run: under WORK_DIR when given, else in the temp dir."""
    parent = Path(value).expanduser() if value else None
    if parent is not None and parent.exists() and not parent.is_dir():
        raise ParameterError(f"WORK_DIR: {str(parent)!r} exists and is not a folder")
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"bsl-{lesson}-", dir=parent))


def database_url(
    value: str | None,
    work_dir: Path,
    *,
    default_name: str = "course.db",
    backends: Collection[str] = SUPPORTED_BACKENDS,
) -> URL:
    """Parse DATABASE_URL; empty means a new SQLite file in the work directory."""
    if not value:
        return make_url(f"sqlite:///{Path(work_dir) / default_name}")
    try:
        url = make_url(value)
    except ArgumentError:
        raise ParameterError(
            f"DATABASE_URL: {value!r} is not a database URL (expected e.g. sqlite:///shop.db)"
        ) from None
    if url.get_backend_name() not in backends:
        raise ParameterError(
            f"DATABASE_URL: unknown engine {url.get_backend_name()!r} "
            f"(expected one of: {', '.join(backends)})"
        )
    return url


def integer(name: str, value: object, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"{name}: expected a whole number, got {value!r}")
    if not minimum <= value <= maximum:
        raise ParameterError(f"{name}: {value} is out of range ({minimum}..{maximum})")
    return value


def choice(name: str, value: object, options: Collection[str]) -> str:
    if value not in options:
        raise ParameterError(f"{name}: {value!r} is not one of {', '.join(map(repr, options))}")
    return str(value)
