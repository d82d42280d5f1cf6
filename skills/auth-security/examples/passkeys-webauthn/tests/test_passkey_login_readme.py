"""The README's Python block runs as written, against a served app configured like app.py."""

from __future__ import annotations

import re
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parents[1]


def test_readme_block(serve, capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (EXAMPLE_DIR / "README.md").read_text(), re.S)
    assert len(blocks) == 1
    served = serve(rp_id="localhost", origins=("http://localhost:8000",))
    code = blocks[0].replace("http://127.0.0.1:8000", served.url)  # the README's port
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102
    assert capsys.readouterr().out.strip() == "{'id': 1, 'username': 'ada', 'display_name': 'ada'}"
