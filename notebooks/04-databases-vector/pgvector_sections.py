"""The library's sections as a pgvector table, for notebook 04-06: the model and its queries.

Everything here is SQLAlchemy 2.0 typed style with pgvector-python's ``Vector`` type. It
compiles for the ``postgresql`` dialect without a server, so the notebook shows and checks
the SQL it would send even when no PostgreSQL is configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    Connection,
    Index,
    Select,
    String,
    Text,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DIMENSIONS = 256  # the course embedder's
VECTOR_LITERAL = re.compile(r"'\[[^\]]*\]'::vector")


# region model
class Base(DeclarativeBase):
    pass


class Section(Base):
    __tablename__ = "library_section"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)  # path#anchor
    skill: Mapped[str] = mapped_column(String(60), index=True)
    path: Mapped[str] = mapped_column(String(200))
    heading: Mapped[str] = mapped_column(Text)
    embedding: Mapped[np.ndarray] = mapped_column(Vector(DIMENSIONS))


def embedding_index() -> Index:
    """The HNSW index on the embeddings, made after the rows are loaded (load first, index
    after: the graph is built once over the full table), so it is not in create_all.

    The operator class must match the query's operator: <=> (cosine distance) here.
    """
    index = Index(
        "library_section_embedding_hnsw",
        Section.embedding,
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    Section.__table__.indexes.discard(index)  # an Index on a column joins its table: undo
    return index


# endregion


# region queries
def nearest(query: np.ndarray, k: int, skill: str | None = None) -> Select:
    """The K sections nearest QUERY by cosine distance, optionally of one SKILL."""
    distance = Section.embedding.cosine_distance(query).label("distance")
    statement = select(Section.id, distance)
    if skill is not None:
        statement = statement.where(Section.skill == skill)
    return statement.order_by(distance).limit(k)


def nearest_relaxed(query: np.ndarray, k: int, path: str) -> Select:
    """NEAREST within one file, shaped for ``hnsw.iterative_scan = relaxed_order``.

    Relaxed order may return rows slightly out of distance order; the materialized CTE is
    sorted again outside, and ``+ 0`` keeps the planner from trusting the CTE's order.
    """
    distance = Section.embedding.cosine_distance(query).label("distance")
    relaxed = (
        select(Section.id, distance)
        .where(Section.path == path)
        .order_by(distance)
        .limit(k)
        .cte("relaxed")
        .prefix_with("MATERIALIZED")
    )
    return select(relaxed.c.id, relaxed.c.distance).order_by(
        relaxed.c.distance + literal_column("0")
    )


# endregion


# region exact
def exact_nearest(
    vectors: np.ndarray, ids: list[str], query: np.ndarray, k: int, keep: np.ndarray | None = None
) -> list[str]:
    """What ``nearest`` means, computed in numpy: ids by cosine distance, nearest first.

    VECTORS has unit rows, so 1 - dot product is pgvector's ``<=>``; KEEP masks the rows a
    WHERE clause would keep.
    """
    distances = 1 - vectors @ query
    order = np.argsort(distances, kind="stable")
    if keep is not None:
        order = order[keep[order]]
    return [ids[i] for i in order[:k]]


# endregion


# region explain
def explain(connection: Connection, statement: Select) -> list[str]:
    """PostgreSQL's plan for STATEMENT with its own bound values, each passed through its
    type's bind processor (the query vector becomes pgvector's text form, as in a query)."""
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect)
    values = {}
    for name, value in compiled.params.items():
        processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        values[name] = processor(value) if processor else value
    plan = connection.exec_driver_sql(f"EXPLAIN (COSTS OFF) {compiled}", values)
    # The plan quotes the query vector's 256 numbers: shorten them.
    return [VECTOR_LITERAL.sub("'[...]'::vector", row[0]) for row in plan]


# endregion


# region server
@dataclass
class ServerRun:
    versions: str
    plan_before: list[str]
    plan_after: list[str]
    plan_filtered: list[str]
    recall_default: float  # recall@k of the HNSW index at the default ef_search (40)
    filtered: dict[str, tuple[float, float]]  # iterative_scan -> (mean rows, mean recall@k)


def load_and_measure(
    engine: Engine,
    sections,
    vectors: np.ndarray,
    queries: np.ndarray,
    files: list[str],
    k: int,
    ef_search: int,
) -> ServerRun:
    """Load SECTIONS with their VECTORS, index them, and measure recall against exact
    search: unfiltered, and within each query's file at EF_SEARCH with iterative scans
    off and relaxed."""
    ids = [section["id"] for section in sections]
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    rows = [
        {**{key: s[key] for key in ("id", "skill", "path", "heading")}, "embedding": v}
        for s, v in zip(sections, vectors, strict=True)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Section), rows)
        connection.execute(text("ANALYZE library_section"))
        versions = connection.execute(
            text(
                "SELECT current_setting('server_version') || ', pgvector ' || extversion "
                "FROM pg_extension WHERE extname = 'vector'"
            )
        ).scalar_one()
    with engine.begin() as connection:
        # 350 rows: a sort of all of them is cheaper than the graph, and the planner knows
        # it. Disabled here so the index's behaviour shows; at scale it picks the index.
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan_before = explain(connection, nearest(queries[0], k))
        embedding_index().create(connection)
        connection.execute(text("ANALYZE library_section"))
        plan_after = explain(connection, nearest(queries[0], k))
        found = [[row.id for row in connection.execute(nearest(q, k))] for q in queries]
        recall_default = np.mean(
            [
                overlap(f, exact_nearest(vectors, ids, q, k), k)
                for f, q in zip(found, queries, strict=True)
            ]
        )
        connection.execute(
            text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(ef_search)}
        )
        filtered = {}
        for mode in ("off", "relaxed_order"):
            connection.execute(
                text("SELECT set_config('hnsw.iterative_scan', :m, true)"), {"m": mode}
            )
            counts, recalls = [], []
            for q, path in zip(queries, files, strict=True):
                keep = np.array([s["path"] == path for s in sections])
                got = [row.id for row in connection.execute(nearest_relaxed(q, k, path))]
                counts.append(len(got))
                recalls.append(overlap(got, exact_nearest(vectors, ids, q, k, keep), k))
            filtered[mode] = (float(np.mean(counts)), float(np.mean(recalls)))
        plan_filtered = explain(connection, nearest_relaxed(queries[0], k, files[0]))
    return ServerRun(
        versions, plan_before, plan_after, plan_filtered, float(recall_default), filtered
    )


def overlap(found: list[str], exact: list[str], k: int) -> float:
    """recall@k of FOUND against the exact top K."""
    return len(set(found[:k]) & set(exact[:k])) / len(exact[:k])


# endregion
