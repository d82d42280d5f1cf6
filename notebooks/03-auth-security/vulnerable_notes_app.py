"""A notes API with a hole in every handler, written to be attacked. Do not copy it.

Notebook 07-api-security serves it on 127.0.0.1 and attacks it until each attack works,
then runs the same attack against the course's examples and watches it fail. Each hole
is marked VULNERABLE with its OWASP API Security Top 10 (2023) item.
(No `from __future__ import annotations`: FastAPI must see the routes' dependencies,
defined inside a method, as objects rather than names.)
"""

import base64
import json
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Annotated

from argon2 import PasswordHasher, profiles
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from joserfc import jwt
from joserfc.jwk import OctKey

USERS = {"alice": 1, "bob": 2, "root": 3}


def unverified_claims(token: str) -> dict:
    """A JWT's claims, read without checking anything: what an attacker (and API2) does."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class VulnerableNotes:
    """The app (`.app`), its database and its demo accounts (`.passwords`, `.owners`)."""

    def __init__(self, db_path: Path, *, seed: int, notes: int):
        self.key = OctKey.generate_key(256)
        self.hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)  # demo accounts only
        self.db = sqlite3.connect(db_path, check_same_thread=False)
        self.db_lock = threading.Lock()  # one connection for uvicorn's thread and the kernel
        self.passwords = {name: f"demo-password-{name}" for name in USERS}
        rng = random.Random(seed)  # who owns which note
        self.owners = rng.choices([1, 2, 3], weights=[0.7, 0.2, 0.1], k=notes)
        self._fill(rng)
        self.app = self._routes()

    # region data
    def _fill(self, rng: random.Random) -> None:
        self.db.executescript("""
            CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL,
                                password_hash TEXT NOT NULL, is_admin INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE notes (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL,
                                title TEXT NOT NULL, body TEXT NOT NULL);
        """)
        self.db.executemany(
            "INSERT INTO users (id, username, password_hash, is_admin) VALUES (?, ?, ?, ?)",
            [
                (user_id, name, self.hasher.hash(self.passwords[name]), int(name == "root"))
                for name, user_id in USERS.items()
            ],
        )
        self.db.executemany(
            "INSERT INTO notes (id, owner_id, title, body) VALUES (?, ?, ?, ?)",
            [
                (
                    note_id,
                    owner,
                    f"note {note_id} of user {owner}",
                    f"private text #{rng.randrange(10**9)}",
                )
                for note_id, owner in enumerate(self.owners, start=1)
            ],
        )
        self.db.commit()

    def query(self, sql: str, parameters: tuple = ()) -> list[dict]:
        with self.db_lock:
            cursor = self.db.execute(sql, parameters)
            columns = [c[0] for c in cursor.description or ()]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            self.db.commit()
        return rows

    # endregion

    # region tokens
    def issue_token(self, user_id: int, issued_at: int | None = None) -> str:
        now = int(time.time()) if issued_at is None else issued_at
        claims = {"sub": str(user_id), "iat": now, "exp": now + 300}
        return jwt.encode({"alg": "HS256"}, claims, self.key, algorithms=["HS256"])

    def current_user(self, authorization: str | None) -> dict:
        # VULNERABLE (API2): reads the claims without checking signature, algorithm or expiry.
        try:
            user_id = int(unverified_claims((authorization or "").removeprefix("Bearer "))["sub"])
        except (IndexError, ValueError, KeyError):
            raise HTTPException(401, "bad token") from None
        rows = self.query("SELECT * FROM users WHERE id = ?", (user_id,))
        if not rows:
            raise HTTPException(401, "no such user")
        return rows[0]

    # endregion

    def _routes(self) -> FastAPI:
        app = FastAPI(title="Notes (vulnerable on purpose)")
        query = self.query

        def caller_of(authorization: Annotated[str | None, Header()] = None) -> dict:
            return self.current_user(authorization)

        Caller = Annotated[dict, Depends(caller_of)]

        # region errors-and-login
        @app.exception_handler(sqlite3.Error)
        async def database_error(request: Request, error: sqlite3.Error) -> JSONResponse:
            # VULNERABLE (API8): the database's message goes back to the attacker.
            return JSONResponse({"detail": f"database error: {error}"}, status_code=400)

        @app.post("/login")
        def login(body: dict) -> dict:
            rows = query("SELECT * FROM users WHERE username = ?", (str(body.get("username")),))
            password = str(body.get("password"))
            if not rows or not self.hasher.verify(rows[0]["password_hash"], password):
                raise HTTPException(401, "bad credentials")
            return {"access_token": self.issue_token(rows[0]["id"])}

        # endregion

        # region notes
        @app.get("/notes/{note_id}")
        def read_note(note_id: int, caller: Caller) -> dict:
            # VULNERABLE (API1): any logged-in caller reads any note; no owner condition.
            rows = query("SELECT * FROM notes WHERE id = ?", (note_id,))
            if not rows:
                raise HTTPException(404, "not found")
            return rows[0]

        @app.get("/notes")
        def list_notes(caller: Caller, q: str = "", limit: int = 20) -> list[dict]:
            # VULNERABLE (injection): q pasted into the SQL text. (API4): no cap on limit.
            return query(
                f"SELECT id, owner_id, title FROM notes WHERE owner_id = {caller['id']} "
                f"AND title LIKE '%{q}%' ORDER BY id LIMIT {limit}"
            )

        @app.post("/notes", status_code=201)
        def create_note(body: dict, caller: Caller) -> dict:
            # VULNERABLE (API3): any field of the body is used, owner_id included;
            # (API4): no size limit.
            note = {"owner_id": caller["id"], "title": "", "body": "", **body}
            with self.db_lock:
                cursor = self.db.execute(
                    "INSERT INTO notes (owner_id, title, body) VALUES (?, ?, ?)",
                    (note["owner_id"], note["title"], note["body"]),
                )
                self.db.commit()
            return {"id": cursor.lastrowid, **note}

        # endregion

        # region users
        @app.patch("/users/me")
        def update_me(body: dict, caller: Caller) -> dict:
            # VULNERABLE (API3): every column is writable, is_admin included (mass assignment).
            columns = {row["name"] for row in query("PRAGMA table_info(users)")}
            for column, value in body.items():
                if column in columns:
                    query(f"UPDATE users SET {column} = ? WHERE id = ?", (value, caller["id"]))
            return query("SELECT * FROM users WHERE id = ?", (caller["id"],))[0]

        @app.get("/users/{user_id}")
        def read_user(user_id: int, caller: Caller) -> dict:
            # VULNERABLE (API3): the whole row goes out, password hash included.
            rows = query("SELECT * FROM users WHERE id = ?", (user_id,))
            if not rows:
                raise HTTPException(404, "not found")
            return rows[0]

        @app.get("/admin/users")
        def all_users(caller: Caller) -> list[dict]:
            # VULNERABLE (API5): authenticated is not authorized; any user gets the admin list.
            return query("SELECT id, username, is_admin FROM users ORDER BY id")

        # endregion
        return app
