"""The example files that are the same by design: one canonical copy each, and a drift check.

Every example under ``skills/*/examples/<name>/`` is copied out and run alone, so examples
cannot import a shared package. Files that do the same job in each of them (the body-size
limit, the test server harness, ...) are therefore copies, and copies drift. The course
keeps one canonical copy of each in ``src/backend_skills/example_files/``;
``example_files/copies.yaml`` lists, for each, every path in the checkout that must be
byte-identical to it.

To change a shared file:

1. edit its canonical copy in ``src/backend_skills/example_files/`` (never one example's
   copy: ``backend-skills lint`` reports a copy that differs);
2. run ``backend-skills sync-examples``, which rewrites every copy that differs and prints
   the paths it wrote;
3. run the tests of the examples it names.

A canonical file may also be a module of the course itself, named ``../<module>.py`` in
copies.yaml (the embedding interface, the hybrid retrieval pipeline): the course imports
it and examples carry copies, so it imports nothing of ``backend_skills`` (tested).

A copy holds nothing of its example: no relative or package imports, settings arrive as
arguments (the middleware's ``max_body_bytes``). What only one example needs lives in a
module of that example, beside the shared one. A new copy is a new line in copies.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from backend_skills.findings import Collector
from backend_skills.paths import repo_root, shown_path

PACKAGE_FILES = Path(__file__).resolve().parent / "example_files"
FIX_COMMAND = "backend-skills sync-examples"


@dataclass(frozen=True)
class Copy:
    canonical: Path
    copy: Path

    def drifted(self) -> bool:
        return not self.copy.is_file() or self.copy.read_bytes() != self.canonical.read_bytes()


def canonical_dir() -> Path:
    """The checkout's example_files (so a scratch tree is checked against its own), else the
    installed package's."""
    in_checkout = repo_root() / "src" / "backend_skills" / "example_files"
    return in_checkout if in_checkout.is_dir() else PACKAGE_FILES


def copies() -> list[Copy]:
    folder = canonical_dir()
    manifest = yaml.safe_load((folder / "copies.yaml").read_text(encoding="utf-8"))
    root = repo_root()
    return [Copy(folder / name, root / path) for name, paths in manifest.items() for path in paths]


def owning_skills() -> set[str]:
    """The skills whose folders hold copies: linting one of them checks the copies."""
    return {copy.copy.relative_to(repo_root() / "skills").parts[0] for copy in copies()}


def check(out: Collector) -> None:
    """One error per copy that differs from its canonical file or is missing."""
    for entry in copies():
        canonical = shown_path(entry.canonical)
        if not entry.copy.is_file():
            out.error(entry.copy, f"missing copy of {canonical}; run `{FIX_COMMAND}`")
        elif entry.drifted():
            out.error(
                entry.copy,
                f"differs from its canonical copy {canonical}: edit that file, then run "
                f"`{FIX_COMMAND}`",
            )


def sync() -> list[Path]:
    """Rewrite every copy that differs from (or lacks) its canonical file; the paths written."""
    written = []
    for entry in copies():
        if entry.drifted():
            entry.copy.parent.mkdir(parents=True, exist_ok=True)
            entry.copy.write_bytes(entry.canonical.read_bytes())
            written.append(entry.copy)
    return written
