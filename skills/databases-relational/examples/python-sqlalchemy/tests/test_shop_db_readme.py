"""The README's Python block runs as written, against the default database URL."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

EXAMPLE_DIR = Path(__file__).resolve().parents[1]


def python_blocks() -> list[str]:
    readme = (EXAMPLE_DIR / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", readme, flags=re.S)


def test_readme_usage_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks()
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the documented default applies

    config = Config(str(EXAMPLE_DIR / "alembic.ini"), stdout=io.StringIO())
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")  # the README's `alembic upgrade head`
    assert (tmp_path / "shop.db").is_file()

    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102
    order = namespace["order"]
    assert order.total_cents == 500  # type: ignore[attr-defined]
    assert [o.id for o in namespace["page"].items] == [order.id]  # type: ignore[attr-defined]
    namespace["engine"].dispose()  # type: ignore[attr-defined]
