"""One FastAPI app that recognises a caller two ways: a server-side session and a JWT.

Notebook 01-choosing-auth serves it on 127.0.0.1 and compares the two on what they cost
per request, what they weigh on the wire and what happens at logout. Both ways live in
one app so that the comparison is fair: same server, same routes, same client.
(No `from __future__ import annotations`: FastAPI must see the routes' dependencies, which
are local functions, as objects rather than names.)
"""

import hashlib
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Annotated

from fastapi import Cookie, Depends, FastAPI, Header, HTTPException, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey


class SessionOrTokenAuth:
    """The app (`.app`) and its two checks, which the notebook also times on their own."""

    def __init__(self, sessions_path: Path, token_minutes: int):
        self.token_minutes = token_minutes
        self.signing_key = OKPKey.generate_key("Ed25519")
        # One connection shared by uvicorn's thread and the notebook's kernel, hence the lock.
        self.db = sqlite3.connect(sessions_path, check_same_thread=False)
        self.db.execute("CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, username TEXT NOT NULL)")
        self.db_lock = threading.Lock()
        self.lookups = 0
        self.app = self._routes()

    # region sessions
    @staticmethod
    def session_hash(session_id: str) -> str:
        # Stored hashed: a leaked sessions table does not let anyone log in.
        return hashlib.sha256(session_id.encode()).hexdigest()

    def start_session(self, username: str) -> str:
        session_id = secrets.token_urlsafe(32)  # 256 random bits
        with self.db_lock:
            self.db.execute(
                "INSERT INTO sessions VALUES (?, ?)", (self.session_hash(session_id), username)
            )
            self.db.commit()
        return session_id

    def session_user(self, session: str | None) -> str:
        if session is None:
            raise HTTPException(401, "no session cookie")
        with self.db_lock:
            self.lookups += 1
            row = self.db.execute(
                "SELECT username FROM sessions WHERE id_hash = ?", (self.session_hash(session),)
            ).fetchone()
        if row is None:
            raise HTTPException(401, "unknown or ended session")
        return row[0]

    def end_session(self, session: str | None) -> None:
        with self.db_lock:
            self.db.execute(
                "DELETE FROM sessions WHERE id_hash = ?", (self.session_hash(session or ""),)
            )
            self.db.commit()

    # endregion

    # region tokens
    def issue_token(self, username: str) -> str:
        now = int(time.time())
        claims = {
            "sub": username,
            "aud": "notes-api",
            "iat": now,
            "exp": now + 60 * self.token_minutes,
        }
        return jwt.encode({"alg": "Ed25519"}, claims, self.signing_key, algorithms=["Ed25519"])

    def token_user(self, authorization: str | None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "no bearer token", headers={"WWW-Authenticate": "Bearer"})
        try:
            decoded = jwt.decode(token, self.signing_key, algorithms=["Ed25519"])  # pinned
            jwt.JWTClaimsRegistry(
                aud={"essential": True, "value": "notes-api"}, exp={"essential": True}
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise HTTPException(
                401, "invalid token", headers={"WWW-Authenticate": "Bearer"}
            ) from exc
        return decoded.claims["sub"]

    # endregion

    def _routes(self) -> FastAPI:
        app = FastAPI(title="Who is calling?")

        def by_session(session: Annotated[str | None, Cookie()] = None) -> str:
            return self.session_user(session)

        def by_token(authorization: Annotated[str | None, Header()] = None) -> str:
            return self.token_user(authorization)

        # region routes
        @app.post("/session/login")
        def session_login(username: str, response: Response) -> dict:
            session_id = self.start_session(username)
            response.set_cookie("session", session_id, httponly=True, samesite="strict")
            return {"user": username}

        @app.post("/session/logout")
        def session_logout(session: Annotated[str | None, Cookie()] = None) -> dict:
            self.end_session(session)
            return {"ended": True}

        @app.post("/token/login")
        def token_login(username: str) -> dict:
            return {"access_token": self.issue_token(username), "token_type": "bearer"}

        @app.get("/session/me")
        def me_by_session(user: Annotated[str, Depends(by_session)]) -> dict:
            return {"user": user}

        @app.get("/token/me")
        def me_by_token(user: Annotated[str, Depends(by_token)]) -> dict:
            return {"user": user}

        # endregion
        return app
