"""One Delta Lake commit per dataset version, with deltalake (delta-rs) and DuckDB (notebook 05-05).

No pyarrow here: deltalake 1.x takes any object that exports the Arrow C stream interface,
and a DuckDB relation does, so DuckDB builds what is written; ``DeltaTable.scan()``
returns an arro3 ``RecordBatchReader``, which DuckDB reads back the same way.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from arro3.core import Table
from deltalake import CommitProperties, DeltaTable, write_deltalake
from versioned_training_set import COLUMNS, Change


# region create
def create(path: Path, relation: duckdb.DuckDBPyRelation, partition_by: list[str] | None) -> None:
    """Version 0 of the table: a new Delta table at PATH holding RELATION."""
    write_deltalake(
        path,
        relation,
        partition_by=partition_by,
        mode="error",
        commit_properties=CommitProperties(custom_metadata={"dataset_version": "0"}),
    )


# endregion


# region commit
def commit_change(path: Path, con: duckdb.DuckDBPyConnection, change: Change) -> dict:
    """CHANGE as ONE atomic MERGE: inserts, label fixes and deletes in a single commit."""
    con.register("added", change.added)
    fixes = ",".join(f"({i}, {label})" for i, label in change.relabelled.items()) or "(NULL, NULL)"
    deletes = ",".join(f"({i})" for i in change.deleted) or "(NULL)"
    source = con.sql(f"""
        SELECT *, 'add' AS op FROM added
        UNION ALL BY NAME SELECT f.id::BIGINT AS id, f.label::TINYINT AS label, 'fix' AS op
            FROM (VALUES {fixes}) AS f(id, label) WHERE f.id IS NOT NULL
        UNION ALL BY NAME SELECT d.id::BIGINT AS id, 'delete' AS op
            FROM (VALUES {deletes}) AS d(id) WHERE d.id IS NOT NULL""")
    metadata = {"dataset_version": str(change.version)}
    return (
        DeltaTable(path)
        .merge(
            source,
            predicate="t.id = s.id",
            source_alias="s",
            target_alias="t",
            commit_properties=CommitProperties(custom_metadata=metadata),
        )
        .when_matched_update(updates={"label": "s.label"}, predicate="s.op = 'fix'")
        .when_matched_delete(predicate="s.op = 'delete'")
        .when_not_matched_insert(updates={c: f"s.{c}" for c in COLUMNS}, predicate="s.op = 'add'")
        .execute()
    )


# endregion


# region read
def read_version(
    con: duckdb.DuckDBPyConnection, path: Path, version: int
) -> duckdb.DuckDBPyRelation:
    """Time travel: the table as it was at VERSION, as a DuckDB relation."""
    reader = DeltaTable(path, version=version).scan()  # an arro3 RecordBatchReader: read once
    return con.from_arrow(Table.from_arrow(reader))  # an arro3 Table: read as often as needed


# endregion
