"""Request and response bodies. Requests forbid unknown fields: a typo or a smuggled
`is_admin` is a 422, not silently ignored."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, BaseModel, ConfigDict, EmailStr, Field

from .settings import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS

Username = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[a-z0-9_]+$")]
DisplayName = Annotated[str, Field(min_length=1, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(Strict):
    username: Username
    email: EmailStr
    password: Annotated[str, Field(min_length=PASSWORD_MIN_CHARS, max_length=PASSWORD_MAX_CHARS)]
    display_name: DisplayName | None = None


class LoginRequest(Strict):
    # No pattern and no minimum beyond 1 here: a login never says which rule a guess broke,
    # and a policy change must not lock out users whose old passwords are shorter.
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_CHARS)]


class ProfileUpdate(Strict):
    """A partial update (merge-patch rules): an absent field stays as it is, null clears one.

    `email` is never null (every account has one), so its type leaves null out: a null email
    is a 422, and the OpenAPI document says "string". MISSING (not None) marks "absent".
    """

    email: EmailStr | MISSING = MISSING
    display_name: DisplayName | None = None


class UserOut(BaseModel):
    username: str
    email: str
    display_name: str | None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
