"""A hand-made, content-addressed snapshot store for a table (notebook 05-05).

A snapshot writes the table as one Parquet file per batch (DuckDB, rows in id order, so the
same rows always give the same bytes), names every file by the sha256 of its bytes and
keeps it once under ``objects/``; a manifest per version lists file name -> hash and
points at its parent's manifest by hash, like a Git commit. Restoring a version is reading
the files its manifest names. Unchanged batches cost nothing in a new version.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import duckdb


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ContentAddressedStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.manifests = self.root / "manifests"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.manifests.mkdir(parents=True, exist_ok=True)

    def object_path(self, digest: str) -> Path:
        return self.objects / digest[:2] / digest[2:]

    # region snapshot
    def snapshot(self, con: duckdb.DuckDBPyConnection, table: str, version: int) -> dict:
        """Write TABLE (a name DuckDB knows) as version VERSION; return its manifest."""
        files = {}
        with tempfile.TemporaryDirectory(dir=self.root) as staging:
            batches = [
                b for (b,) in con.sql(f"SELECT DISTINCT batch FROM {table} ORDER BY 1").fetchall()
            ]
            for batch in batches:
                name = f"batch={batch:05d}.parquet"
                path = Path(staging) / name
                con.sql(
                    f"COPY (SELECT * FROM {table} WHERE batch = {batch} ORDER BY id) "
                    f"TO '{path}' (FORMAT parquet)"
                )
                digest = sha256_file(path)
                target = self.object_path(digest)
                if not target.exists():  # a blob already stored is not written again
                    target.parent.mkdir(exist_ok=True)
                    path.replace(target)
                files[name] = {"sha256": digest, "bytes": target.stat().st_size}
        parent = self.manifests / f"v{version - 1}.json"
        manifest = {
            "version": version,
            "parent": sha256_file(parent) if version > 0 else None,  # a hash chain
            "rows": con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0],
            "files": files,
        }
        (self.manifests / f"v{version}.json").write_text(
            json.dumps(manifest, indent=1, sort_keys=True)
        )
        return manifest

    # endregion

    # region restore
    def manifest(self, version: int) -> dict:
        return json.loads((self.manifests / f"v{version}.json").read_text())

    def restore(self, version: int, destination: Path) -> Path:
        """Copy version VERSION's files out under their names, each hash checked."""
        destination.mkdir(parents=True, exist_ok=True)
        for name, entry in self.manifest(version)["files"].items():
            shutil.copyfile(self.object_path(entry["sha256"]), destination / name)
            if sha256_file(destination / name) != entry["sha256"]:
                raise ValueError(f"{name}: stored bytes do not match the manifest")
        return destination

    def read(self, con: duckdb.DuckDBPyConnection, version: int) -> duckdb.DuckDBPyRelation:
        """Version VERSION as a DuckDB relation, read straight from the stored blobs."""
        paths = [
            str(self.object_path(e["sha256"])) for e in self.manifest(version)["files"].values()
        ]
        return con.read_parquet(paths)

    # endregion

    def bytes_on_disk(self) -> int:
        return sum(path.stat().st_size for path in self.root.rglob("*") if path.is_file())

    def full_copy_bytes(self, versions: range) -> int:
        """What VERSIONS would take as full copies: every file of every manifest."""
        return sum(e["bytes"] for v in versions for e in self.manifest(v)["files"].values())
