"""The ASGI app: `uvicorn app:app` (the database file comes from $PASSWORD_LOGIN_DATABASE_URL)."""

import os

from password_login.api import create_app
from password_login.settings import Settings

app = create_app(
    Settings(database_url=os.environ.get("PASSWORD_LOGIN_DATABASE_URL", Settings.database_url))
)
