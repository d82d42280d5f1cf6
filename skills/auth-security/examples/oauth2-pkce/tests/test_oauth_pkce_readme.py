"""The README's Python block runs as written, against a served app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parents[1]


def test_readme_client_block(serve, passwords, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (EXAMPLE_DIR / "README.md").read_text(), re.S)
    assert len(blocks) == 1
    served = serve(seed_users={"alice": passwords["alice"]})
    monkeypatch.setenv("OAUTH_PKCE_DEMO_PASSWORD", passwords["alice"])
    code = blocks[0].replace("http://127.0.0.1:8000", served.url)  # the README's port
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    namespace["http"].close()  # type: ignore[attr-defined]
    printed = capsys.readouterr().out
    assert printed.startswith("alice [") and "First note" in printed
