"""The errors this example's operations declare in OpenAPI, beyond the shared groups of
``problems.py``: what each status means here."""

from __future__ import annotations

from pydantic import Field

from .problems import Problem, problem_doc


class OAuthProblem(Problem):
    """An OAuth error (RFC 6749 4.1.2.1, 5.2) as problem details; the codes stay members."""

    error: str = Field(description="RFC 6749 error code, e.g. invalid_request, invalid_grant")
    error_description: str | None = None


UNAUTHORIZED = {
    401: {
        **problem_doc("Missing, malformed, expired, revoked or forged access token"),
        "headers": {
            "WWW-Authenticate": {
                "description": "Bearer challenge (RFC 6750 3)",
                "schema": {"type": "string"},
            }
        },
    }
}
FORBIDDEN = {403: problem_doc("The token lacks the scope (WWW-Authenticate: insufficient_scope)")}
NOT_FOUND = {404: problem_doc("No such note, or it belongs to another user")}
OAUTH_ERROR = {400: problem_doc("An OAuth error, not redirected: see `error`", OAuthProblem)}
SIGN_IN_FAILED = {
    400: problem_doc(
        "An OAuth error (with `error`, as at GET), or the username or password is wrong"
    )
}
