"""What the relying party is configured with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_RP_ID = "passkeys.example.test"
DEFAULT_ORIGIN = "https://passkeys.example.test"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    # The RP ID is a domain; passkeys are bound to it (and its subdomains) for good.
    rp_id: str = DEFAULT_RP_ID
    rp_name: str = "Passkey demo"
    # Where the browser page runs; clientDataJSON.origin must be exactly one of these.
    origins: tuple[str, ...] = (DEFAULT_ORIGIN,)
    ceremony_seconds: int = 120
    token_seconds: int = 300
    max_body_bytes: int = 16_384

    @property
    def database_path(self) -> Path:
        return self.data_dir / "passkeys.db"

    @property
    def token_key_path(self) -> Path:
        return self.data_dir / "token-key.jwk.json"

    @property
    def issuer(self) -> str:
        return f"https://{self.rp_id}"
