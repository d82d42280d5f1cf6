"""What a web page's script does around navigator.credentials, over httpx.

Each function calls the server's options endpoint, hands the options to the
(software) authenticator as the browser would, and posts the result back.
"""

from __future__ import annotations

from typing import Any

import httpx

from .soft_authenticator import SoftAuthenticator


def register_account(
    http: httpx.Client,
    authenticator: SoftAuthenticator,
    username: str,
    *,
    origin: str,
    **authenticator_options: Any,
) -> httpx.Response:
    """Create an account with its first passkey; the response carries a session token."""
    started = http.post("/v1/registration/options", json={"username": username})
    started.raise_for_status()
    ceremony = started.json()
    credential = authenticator.create(ceremony["publicKey"], origin=origin, **authenticator_options)
    return http.post(
        "/v1/registration",
        json={"ceremony_id": ceremony["ceremony_id"], "credential": credential},
    )


def sign_in(
    http: httpx.Client,
    authenticator: SoftAuthenticator,
    username: str | None,
    *,
    origin: str,
    **authenticator_options: Any,
) -> httpx.Response:
    """Authenticate with a passkey (``username=None``: usernameless, discoverable)."""
    started = http.post("/v1/authentication/options", json={"username": username})
    started.raise_for_status()
    ceremony = started.json()
    assertion = authenticator.get(ceremony["publicKey"], origin=origin, **authenticator_options)
    return http.post(
        "/v1/authentication",
        json={"ceremony_id": ceremony["ceremony_id"], "credential": assertion},
    )


def add_passkey(
    http: httpx.Client,
    authenticator: SoftAuthenticator,
    token: str,
    nickname: str,
    *,
    origin: str,
) -> httpx.Response:
    """Register one more passkey for the signed-in user."""
    headers = {"Authorization": f"Bearer {token}"}
    started = http.post("/v1/credentials/options", json={"nickname": nickname}, headers=headers)
    started.raise_for_status()
    ceremony = started.json()
    credential = authenticator.create(ceremony["publicKey"], origin=origin)
    return http.post(
        "/v1/credentials",
        json={"ceremony_id": ceremony["ceremony_id"], "credential": credential},
        headers=headers,
    )
