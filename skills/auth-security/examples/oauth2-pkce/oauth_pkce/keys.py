"""The authorization server's signing key: generated once, kept in the data directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

from joserfc.jwk import ECKey, KeySet

SIGNING_ALG = "ES256"  # ECDSA P-256: small keys and signatures, in every JOSE library


def load_or_create_signing_key(path: Path) -> ECKey:
    if path.exists():
        key = ECKey.import_key(json.loads(path.read_text()))
        assert isinstance(key, ECKey)
        return key
    key = ECKey.generate_key("P-256", {"use": "sig", "alg": SIGNING_ALG}, auto_kid=True)
    # Owner-only from the first byte: the private key never sits world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(key.as_dict(private=True), file)
    return key


def public_jwks(key: ECKey) -> dict:
    """What /jwks.json serves: public parts only (as_dict(private=False))."""
    return KeySet([key]).as_dict(private=False)
