"""The ASGI app: `uvicorn app:app` ($SESSION_AUTH_DATABASE_URL, $SESSION_AUTH_ORIGIN)."""

import os

from session_auth.api import create_app
from session_auth.settings import Settings

app = create_app(
    Settings(
        database_url=os.environ.get("SESSION_AUTH_DATABASE_URL", Settings.database_url),
        origin=os.environ.get("SESSION_AUTH_ORIGIN", Settings.origin),
    )
)
