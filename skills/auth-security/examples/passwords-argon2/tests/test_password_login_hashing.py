"""argon2id parameters, salts, rehash on login, the dummy verify, Unicode, hashing slots."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import argon2
from argon2 import PasswordHasher, Type
from password_login.db import User
from password_login.passwords import PasswordService, make_hasher
from password_login.settings import OWASP_MINIMUM, Argon2Parameters, Settings
from sqlalchemy import select, update

WEAK = Argon2Parameters(memory_kib=8_192, time_cost=1, parallelism=1)


def stored_hash(app, username: str) -> str:
    with app.state.session_factory() as session:
        return session.scalar(select(User.password_hash).where(User.username == username))


def test_production_defaults_are_owasp_argon2id():
    assert Settings().argon2 == OWASP_MINIMUM
    assert (OWASP_MINIMUM.memory_kib, OWASP_MINIMUM.time_cost, OWASP_MINIMUM.parallelism) == (
        19_456,
        2,
        1,
    )


def test_the_stored_hash_names_its_algorithm_and_parameters(serve, build_app, settings, password):
    app = build_app(replace(settings, argon2=OWASP_MINIMUM))
    serve(app).register("alice")

    encoded = stored_hash(app, "alice")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    params = argon2.extract_parameters(encoded)
    assert (params.type, params.salt_len, params.hash_len) == (Type.ID, 16, 32)
    assert password not in encoded


def test_same_password_different_salt(client, app):
    client.register("alice")
    client.register("bob")
    assert stored_hash(app, "alice") != stored_hash(app, "bob")


def test_login_upgrades_a_hash_made_with_weaker_parameters(serve, build_app, settings):
    old_app = build_app(replace(settings, argon2=WEAK))
    serve(old_app).register("alice")
    assert "$m=8192,t=1,p=1$" in stored_hash(old_app, "alice")

    # Same database, new deployment with stronger parameters.
    new_app = build_app(replace(settings, argon2=OWASP_MINIMUM))
    client = serve(new_app)
    assert client.login("alice").status_code == 200

    upgraded = stored_hash(new_app, "alice")
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    # The next login verifies against the new hash and leaves it alone.
    assert client.login("alice").status_code == 200
    assert stored_hash(new_app, "alice") == upgraded


def test_login_upgrades_a_legacy_argon2i_hash_to_argon2id(client, app, password):
    client.register("alice")
    legacy = PasswordHasher(time_cost=1, memory_cost=8_192, parallelism=1, type=Type.I)
    with app.state.session_factory() as session:
        session.execute(
            update(User).where(User.username == "alice").values(password_hash=legacy.hash(password))
        )
        session.commit()
    assert stored_hash(app, "alice").startswith("$argon2i$")

    assert client.login("alice").status_code == 200
    params = argon2.extract_parameters(stored_hash(app, "alice"))
    current = app.state.settings.argon2
    assert params.type == Type.ID
    assert (params.memory_cost, params.time_cost) == (current.memory_kib, current.time_cost)


def test_a_wrong_password_never_rewrites_the_hash(serve, build_app, settings):
    old_app = build_app(replace(settings, argon2=WEAK))
    serve(old_app).register("alice")
    before = stored_hash(old_app, "alice")

    new_app = build_app(replace(settings, argon2=OWASP_MINIMUM))
    assert serve(new_app).login("alice", "not the password at all").status_code == 401
    assert stored_hash(new_app, "alice") == before


class CountingHasher(PasswordHasher):
    """A real PasswordHasher that records which hashes it was asked to verify."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.verified: list[str] = []

    def verify(self, hash, password) -> bool:  # noqa: A002 - argon2's own parameter name
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


def test_an_unknown_user_still_costs_one_full_argon2_verify():
    hasher = CountingHasher(time_cost=2, memory_cost=19_456, parallelism=1)
    service = PasswordService(hasher, hashing_slots=1)

    result = service.verify(None, "whatever the attacker typed")

    assert not result.ok
    assert len(hasher.verified) == 1
    # With the current parameters, so it takes as long as a real user's verify.
    assert hasher.verified[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_verify_reports_an_upgrade_only_when_parameters_changed(settings, password):
    current = PasswordService(make_hasher(settings.argon2), hashing_slots=1)
    fresh = current.hash(password)
    assert current.verify(fresh, password).upgraded_hash is None

    weak = make_hasher(Argon2Parameters(memory_kib=32, time_cost=1, parallelism=1)).hash(password)
    result = current.verify(weak, password)
    assert result.ok and result.upgraded_hash is not None
    assert current.verify(result.upgraded_hash, password).ok


def test_a_corrupt_stored_hash_is_a_failed_login_not_a_crash(settings, password):
    service = PasswordService(make_hasher(settings.argon2), hashing_slots=1)
    assert not service.verify("not-a-phc-string", password).ok


def test_unicode_passwords_are_normalized(client):
    decomposed = "Cafe\u0301 au lait, tous les matins"  # e + combining acute accent
    precomposed = "Caf\u00e9 au lait, tous les matins"
    client.register("alice", decomposed)
    assert client.login("alice", precomposed).status_code == 200


class SlowHasher(PasswordHasher):
    """Counts how many hashes run at the same moment."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.lock = threading.Lock()
        self.running = 0
        self.max_running = 0

    def hash(self, password, *, salt=None) -> str:
        with self.lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        time.sleep(0.02)  # widen the window in which a second hash could overlap
        try:
            return super().hash(password, salt=salt)
        finally:
            with self.lock:
                self.running -= 1


def test_hashing_slots_bound_concurrent_hashes_and_so_peak_memory(password):
    hasher = SlowHasher()
    service = PasswordService(hasher, hashing_slots=2)
    hasher.max_running = 0  # ignore the dummy hash made at start-up
    threads = [threading.Thread(target=service.hash, args=(password,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert hasher.max_running == 2
