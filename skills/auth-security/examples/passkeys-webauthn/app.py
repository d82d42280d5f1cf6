"""The ASGI app: ``uvicorn app:app`` (see README for the environment variables)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from passkey_login.server import create_app
from passkey_login.settings import Settings


def settings_from_environment() -> Settings:
    return Settings(
        data_dir=Path(
            os.environ.get(
                "PASSKEY_LOGIN_DATA_DIR", Path(tempfile.gettempdir()) / "passkey-login-example"
            )
        ),
        # A browser accepts "localhost" as a secure context, so passkeys work over plain http.
        rp_id=os.environ.get("PASSKEY_LOGIN_RP_ID", "localhost"),
        origins=tuple(os.environ.get("PASSKEY_LOGIN_ORIGINS", "http://localhost:8000").split(",")),
    )


app = create_app(settings_from_environment())
