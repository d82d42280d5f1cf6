"""The sample catalogue the service starts with: 80 short product descriptions in 8 categories.

Written for this example, so its words are known: the tests can show a query finding a
product it shares no word with, and a negation the embedder cannot see.
"""

from __future__ import annotations

import json
from pathlib import Path

from .store import Document

SAMPLE_FILE = Path(__file__).with_name("sample_products.jsonl")


def sample_documents() -> list[Document]:
    rows = SAMPLE_FILE.read_text(encoding="utf-8").splitlines()
    return [Document(**json.loads(row)) for row in rows]
