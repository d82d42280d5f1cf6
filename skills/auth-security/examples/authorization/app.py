"""The ASGI app, for ``uvicorn app:app``.

Its SQLite file is ``access_control.db`` in the working directory (or $ACCESS_CONTROL_DB_URL);
tables and demo data are created at startup, not at import.
"""

from __future__ import annotations

import os

from access_control.api import create_app
from access_control.settings import Settings

app = create_app(
    Settings(database_url=os.environ.get("ACCESS_CONTROL_DB_URL", Settings.database_url))
)
