"""Hash and verify passwords with argon2id, without telling anyone which usernames exist."""

from __future__ import annotations

import secrets
import threading
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from .settings import Argon2Parameters


def make_hasher(params: Argon2Parameters) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def normalize(password: str) -> str:
    # NIST SP 800-63B: normalize Unicode so "e" + combining accent and the precomposed
    # letter are the same password on every keyboard and OS.
    return unicodedata.normalize("NFKC", password)


@dataclass(frozen=True)
class Verification:
    ok: bool
    # A fresh hash with today's parameters when the stored one is weaker (or another type);
    # the caller saves it. None when nothing needs to change.
    upgraded_hash: str | None = None


class PasswordService:
    def __init__(self, hasher: PasswordHasher, hashing_slots: int) -> None:
        self.hasher = hasher
        self._slots = threading.BoundedSemaphore(hashing_slots)
        # Verified instead of a real hash when the username is unknown, so that a login for
        # "nobody" costs the same argon2 run as one for "alice" with a wrong password.
        self._dummy_hash = self.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        with self._slots:
            return self.hasher.hash(normalize(password))

    def verify(self, stored_hash: str | None, password: str) -> Verification:
        """Check `password` against `stored_hash` (None: the user does not exist)."""
        candidate = self._dummy_hash if stored_hash is None else stored_hash
        try:
            with self._slots:
                # argon2's verify reads type and parameters from the hash itself and compares
                # the digests in constant time (libargon2's argon2_verify).
                self.hasher.verify(candidate, normalize(password))
        except (VerificationError, InvalidHashError):
            return Verification(ok=False)
        if stored_hash is None:  # unreachable in practice: nobody knows the dummy password
            return Verification(ok=False)
        if self.hasher.check_needs_rehash(stored_hash):
            return Verification(ok=True, upgraded_hash=self.hash(password))
        return Verification(ok=True)
