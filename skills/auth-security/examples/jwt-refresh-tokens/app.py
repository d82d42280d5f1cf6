"""The ASGI app: `uvicorn app:app` (the database file comes from $TOKEN_AUTH_DATABASE_URL)."""

import os

from token_auth.api import create_app
from token_auth.settings import Settings

app = create_app(
    Settings(database_url=os.environ.get("TOKEN_AUTH_DATABASE_URL", Settings.database_url))
)
