"""The errors this example's operations declare in OpenAPI, beyond the shared groups of
``problems.py``: what each status means here."""

from __future__ import annotations

from .problems import problem_doc

CEREMONY_REFUSED = {
    400: problem_doc(
        "The ceremony was refused: unknown, expired or used challenge, or a check failed"
    )
}
UNAUTHORIZED = {
    401: {
        **problem_doc("Missing, malformed, expired or forged session token"),
        "headers": {
            "WWW-Authenticate": {
                "description": "Bearer challenge (RFC 6750 3)",
                "schema": {"type": "string"},
            }
        },
    }
}
NOT_FOUND = {404: problem_doc("No such passkey or user, or it is another user's")}
USERNAME_TAKEN = {409: problem_doc("The username is taken")}
ALREADY_REGISTERED = {
    409: problem_doc("The username is taken, or the passkey is already registered")
}
PASSKEY_REGISTERED = {409: problem_doc("The passkey is already registered")}
LAST_PASSKEY = {409: problem_doc("The account's last passkey cannot be deleted")}
