"""The ASGI app: `uvicorn app:app` (the Chroma files go to $SEMANTIC_SEARCH_DATA_DIR)."""

import os
from pathlib import Path

from semantic_search.api import Settings, create_app

app = create_app(
    Settings(data_dir=Path(os.environ.get("SEMANTIC_SEARCH_DATA_DIR", Settings.data_dir)))
)
