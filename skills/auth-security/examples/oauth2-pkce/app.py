"""The ASGI app: ``uvicorn app:app`` (see README for the environment variables)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from oauth_pkce.server import create_app
from oauth_pkce.settings import Settings


def settings_from_environment() -> Settings:
    data_dir = Path(
        os.environ.get("OAUTH_PKCE_DATA_DIR", Path(tempfile.gettempdir()) / "oauth-pkce-example")
    )
    # Demo accounts alice and bob, only when a password is given: none is ever in the code.
    password = os.environ.get("OAUTH_PKCE_DEMO_PASSWORD")
    seed = {"alice": password, "bob": password} if password else {}
    return Settings(
        data_dir=data_dir,
        issuer=os.environ.get("OAUTH_PKCE_ISSUER", "http://127.0.0.1:8000"),
        seed_users=seed,
    )


app = create_app(settings_from_environment())
