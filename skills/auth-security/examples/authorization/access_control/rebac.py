"""A small Zanzibar-style relation-tuple store on SQLite.

Tuples read ``object#relation@subject``: ``document:7#owner@user:3``,
``folder:2#parent@folder:1``, ``folder:1#viewer@org:1#member`` (a subject set: every
member of org 1). The schema below says how relations derive from one another, in the
three ways Zanzibar names:

- **direct**: a tuple names the subject (or a subject set) itself;
- **computed userset**: ``editor`` implies ``viewer`` on the same object;
- **tuple to userset**: a document's viewers include the viewers of its ``parent`` folder,
  whose viewers include the viewers of *its* parent, up to the organization.

Two ways to answer questions, kept in agreement by the tests:

- :meth:`RelationStore.check` walks the graph from the object towards the user, one
  indexed lookup per hop, with a depth limit and a cycle guard;
- :meth:`RelationStore.accessible_ids` walks backwards from the user in ONE recursive SQL
  query, so a list endpoint can use it as a subquery (row-level filtering in SQL).

Both count depth the same way: a direct tuple is depth 0 and every derivation (subject
set, computed userset, parent hop) adds one. A grant that needs more than ``max_depth``
hops is denied by both (fail closed), and so is any path through a cycle.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sqlalchemy import Integer, Select, delete, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CTE

from access_control.models import RelationTuple

DEFAULT_MAX_DEPTH = 10


@dataclass(frozen=True)
class RelationRule:
    """How one relation of one object type is computed.

    ``direct``: subject kinds a tuple may name (``user``, ``folder``, or a subject set
    such as ``org#member``). ``implied_by``: relations on the same object that imply this
    one. ``from_parent``: ``(tupleset, relation)`` pairs: holders of ``relation`` on the
    object(s) that this object's ``tupleset`` tuples point to also hold this relation.
    """

    direct: tuple[str, ...] = ()
    implied_by: tuple[str, ...] = ()
    from_parent: tuple[tuple[str, str], ...] = ()


def _content_relations() -> dict[str, RelationRule]:
    # Folders and documents share one shape: owner > editor > viewer, plus inheritance.
    return {
        "parent": RelationRule(direct=("org", "folder")),
        "owner": RelationRule(direct=("user",)),
        "editor": RelationRule(
            direct=("user", "org#member"),
            implied_by=("owner",),
            from_parent=(("parent", "editor"),),
        ),
        "viewer": RelationRule(
            direct=("user", "org#member", "folder#viewer"),
            implied_by=("editor",),
            from_parent=(("parent", "viewer"),),
        ),
    }


# The namespace configuration, in the spirit of an OpenFGA model or SpiceDB schema:
#   org:      admin, member (or admin), guest; editor = admin; viewer = editor
#   folder:   parent, owner, editor = [user, org#member] or owner or parent->editor, viewer ...
#   document: the same as folder
# org#member deliberately does NOT imply org#viewer: being in an organization does not
# show you its documents; a folder shared with ``org:1#member`` does.
SCHEMA: dict[str, dict[str, RelationRule]] = {
    "org": {
        "admin": RelationRule(direct=("user",)),
        "member": RelationRule(direct=("user",), implied_by=("admin",)),
        "guest": RelationRule(direct=("user",)),
        "editor": RelationRule(implied_by=("admin",)),
        "viewer": RelationRule(implied_by=("editor",)),
    },
    "folder": _content_relations(),
    "document": _content_relations(),
}

_NAME = r"[a-z_]+"
_TUPLE_PATTERN = re.compile(
    rf"^(?P<ot>{_NAME}):(?P<oid>\d+)#(?P<rel>{_NAME})"  # object#relation
    rf"@(?P<st>{_NAME}):(?P<sid>\d+)(?:#(?P<srel>{_NAME}))?$"  # @subject, or @subject#relation
)


class SchemaError(ValueError):
    """A tuple that the schema does not allow (unknown type or relation, wrong subject)."""


@dataclass(frozen=True, order=True)
class ObjectRef:
    type: str
    id: int

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class Tuple:
    object: ObjectRef
    relation: str
    subject: ObjectRef
    subject_relation: str = ""

    @classmethod
    def parse(cls, text: str) -> Tuple:
        """``document:7#viewer@user:3`` or ``folder:1#viewer@org:1#member``."""
        match = _TUPLE_PATTERN.match(text)
        if match is None:
            raise SchemaError(f"not a relation tuple: {text!r}")
        return cls(
            ObjectRef(match["ot"], int(match["oid"])),
            match["rel"],
            ObjectRef(match["st"], int(match["sid"])),
            match["srel"] or "",
        )

    def __str__(self) -> str:
        subject_set = f"#{self.subject_relation}" if self.subject_relation else ""
        return f"{self.object}#{self.relation}@{self.subject}{subject_set}"


def validate(relation_tuple: Tuple) -> None:
    """Refuse tuples the schema cannot interpret, before they reach the table."""
    relations = SCHEMA.get(relation_tuple.object.type)
    if relations is None:
        raise SchemaError(f"unknown object type {relation_tuple.object.type!r}")
    rule = relations.get(relation_tuple.relation)
    if rule is None:
        raise SchemaError(
            f"{relation_tuple.object.type!r} has no relation {relation_tuple.relation!r}"
        )
    subject_kind = relation_tuple.subject.type
    if relation_tuple.subject_relation:
        subject_kind += f"#{relation_tuple.subject_relation}"
    if subject_kind not in rule.direct:
        raise SchemaError(
            f"{relation_tuple.object.type}#{relation_tuple.relation} does not accept "
            f"{subject_kind} subjects (allowed: {', '.join(rule.direct)})"
        )


def _rule_rows() -> list[tuple[str, str, str, str]]:
    """The schema's derivations as rows (kind, object_type, relation, via, source_relation).

    ``computed``: holding ``source_relation`` on X gives ``relation`` on X.
    ``parent``: holding ``source_relation`` on P, and a tuple ``X#via@P``, gives
    ``relation`` on X.
    """
    rows = []
    for object_type, relations in SCHEMA.items():
        for relation, rule in relations.items():
            rows += [("computed", object_type, relation, "", src) for src in rule.implied_by]
            rows += [("parent", object_type, relation, via, src) for via, src in rule.from_parent]
    return rows


@functools.cache
def _rules_cte() -> CTE:
    """The derivation rules as a small inline table (a CTE of literal rows), so that the
    recursive query joins on them instead of being rewritten whenever the schema changes.
    Built once: SQLAlchemy constructs are immutable and reusable."""
    return union_all(
        *(
            select(
                literal(kind).label("kind"),
                literal(object_type).label("object_type"),
                literal(relation).label("relation"),
                literal(via).label("via"),
                literal(source).label("source_relation"),
            )
            for kind, object_type, relation, via, source in _rule_rows()
        )
    ).cte("rules")


class RelationStore:
    """Reads and writes relation tuples through a SQLAlchemy session."""

    def __init__(self, session: Session, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self.session = session
        self.max_depth = max_depth

    # -- writes ---------------------------------------------------------------------------

    def write(self, *relation_tuples: Tuple | str) -> None:
        """Insert tuples (idempotent). The caller commits, together with its own rows."""
        for item in relation_tuples:
            relation_tuple = Tuple.parse(item) if isinstance(item, str) else item
            validate(relation_tuple)
            if not self._exists(relation_tuple):
                self.session.add(
                    RelationTuple(
                        object_type=relation_tuple.object.type,
                        object_id=relation_tuple.object.id,
                        relation=relation_tuple.relation,
                        subject_type=relation_tuple.subject.type,
                        subject_id=relation_tuple.subject.id,
                        subject_relation=relation_tuple.subject_relation,
                    )
                )
        self.session.flush()

    def delete(self, relation_tuple: Tuple | str) -> None:
        if isinstance(relation_tuple, str):
            relation_tuple = Tuple.parse(relation_tuple)
        self.session.execute(delete(RelationTuple).where(*self._match(relation_tuple)))

    def _exists(self, relation_tuple: Tuple) -> bool:
        found = self.session.scalar(select(RelationTuple.id).where(*self._match(relation_tuple)))
        return found is not None

    @staticmethod
    def _match(relation_tuple: Tuple) -> tuple:
        return (
            RelationTuple.object_type == relation_tuple.object.type,
            RelationTuple.object_id == relation_tuple.object.id,
            RelationTuple.relation == relation_tuple.relation,
            RelationTuple.subject_type == relation_tuple.subject.type,
            RelationTuple.subject_id == relation_tuple.subject.id,
            RelationTuple.subject_relation == relation_tuple.subject_relation,
        )

    # -- check: walk from the object towards the user -------------------------------------

    def check(self, obj: ObjectRef, relation: str, user_id: int) -> bool:
        """Does ``user:user_id`` hold ``relation`` on ``obj``?"""
        if relation not in SCHEMA.get(obj.type, {}):
            return False
        return self._check(obj, relation, user_id, self.max_depth, frozenset(), {})

    def _check(
        self,
        obj: ObjectRef,
        relation: str,
        user_id: int,
        depth_left: int,
        path: frozenset[tuple[ObjectRef, str]],
        subjects_seen: dict[tuple[ObjectRef, str], set[tuple[str, int, str]]],
    ) -> bool:
        if depth_left < 0:
            return False  # fail closed: deeper grants do not count (SpiceDB errors instead)
        node = (obj, relation)
        if node in path:
            return False  # a cycle: this branch can only lead back to where we are
        path = path | {node}
        rule = SCHEMA[obj.type][relation]

        subjects = self._subjects(obj, relation, subjects_seen)
        if ("user", user_id, "") in subjects:
            return True
        for subject_type, subject_id, subject_relation in subjects:
            if subject_relation and self._check(
                ObjectRef(subject_type, subject_id),
                subject_relation,
                user_id,
                depth_left - 1,
                path,
                subjects_seen,
            ):
                return True
        for implied in rule.implied_by:
            if self._check(obj, implied, user_id, depth_left - 1, path, subjects_seen):
                return True
        for tupleset, parent_relation in rule.from_parent:
            for parent_type, parent_id, _ in self._subjects(obj, tupleset, subjects_seen):
                if parent_relation in SCHEMA.get(parent_type, {}) and self._check(
                    ObjectRef(parent_type, parent_id),
                    parent_relation,
                    user_id,
                    depth_left - 1,
                    path,
                    subjects_seen,
                ):
                    return True
        return False

    def _subjects(
        self,
        obj: ObjectRef,
        relation: str,
        subjects_seen: dict[tuple[ObjectRef, str], set[tuple[str, int, str]]],
    ) -> set[tuple[str, int, str]]:
        # Each (object, relation) is read once per check: a search that meets a node again
        # on another path reuses the rows instead of asking the database again.
        if (obj, relation) in subjects_seen:
            return subjects_seen[(obj, relation)]
        # Core on the session's connection: same transaction, less per-call ORM overhead.
        rows = self.session.connection().execute(
            select(
                RelationTuple.subject_type,
                RelationTuple.subject_id,
                RelationTuple.subject_relation,
            ).where(
                RelationTuple.object_type == obj.type,
                RelationTuple.object_id == obj.id,
                RelationTuple.relation == relation,
            )
        )
        subjects = {(row[0], row[1], row[2]) for row in rows}
        subjects_seen[(obj, relation)] = subjects
        return subjects

    # -- list: walk from the user outwards, in one SQL query ------------------------------

    def reachable(self, user_id: int) -> CTE:
        """A recursive CTE of every (object_type, object_id, relation, depth) the user holds.

        Base rows are the user's direct tuples (depth 0). Each recursive term is one kind of
        derivation, and adds 1 to the depth, which stops at ``max_depth``: that bound is
        what terminates the recursion on cyclic data, and UNION (not UNION ALL) removes
        duplicate rows at each depth. SQLite (3.34+) accepts several recursive terms;
        PostgreSQL wants one, so there the three joins become one join on a UNION ALL of
        edges.
        """
        tuples = RelationTuple.__table__
        rules = _rules_cte()
        base = select(
            tuples.c.object_type,
            tuples.c.object_id,
            tuples.c.relation,
            literal(0, Integer).label("depth"),
        ).where(
            tuples.c.subject_type == "user",
            tuples.c.subject_id == user_id,
            tuples.c.subject_relation == "",
        )
        reach = base.cte("reach", recursive=True)
        held = reach.alias("held")
        deeper = held.c.depth < self.max_depth

        via_subject_set = (
            select(
                tuples.c.object_type,
                tuples.c.object_id,
                tuples.c.relation,
                held.c.depth + 1,
            )
            .join_from(
                held,
                tuples,
                (tuples.c.subject_type == held.c.object_type)
                & (tuples.c.subject_id == held.c.object_id)
                & (tuples.c.subject_relation == held.c.relation),
            )
            .where(deeper)
        )
        via_computed = (
            select(held.c.object_type, held.c.object_id, rules.c.relation, held.c.depth + 1)
            .join_from(
                held,
                rules,
                (rules.c.kind == "computed")
                & (rules.c.object_type == held.c.object_type)
                & (rules.c.source_relation == held.c.relation),
            )
            .where(deeper)
        )
        via_parent = (
            select(tuples.c.object_type, tuples.c.object_id, rules.c.relation, held.c.depth + 1)
            .join_from(
                held,
                tuples,
                (tuples.c.subject_type == held.c.object_type)
                & (tuples.c.subject_id == held.c.object_id)
                & (tuples.c.subject_relation == ""),
            )
            .join(
                rules,
                (rules.c.kind == "parent")
                & (rules.c.object_type == tuples.c.object_type)
                & (rules.c.via == tuples.c.relation)
                & (rules.c.source_relation == held.c.relation),
            )
            .where(deeper)
        )
        return reach.union(via_subject_set, via_computed, via_parent)

    def accessible_ids(self, user_id: int, relation: str, object_type: str) -> Select[tuple[int]]:
        """SELECT of the ids of ``object_type`` objects on which the user holds ``relation``.

        Meant to be embedded: ``Document.id.in_(store.accessible_ids(...))``.
        """
        reach = self.reachable(user_id)
        return (
            select(reach.c.object_id)
            .where(reach.c.object_type == object_type, reach.c.relation == relation)
            .distinct()
        )

    def list_objects(self, user_id: int, relation: str, object_type: str) -> list[int]:
        """Ids of every ``object_type`` the user holds ``relation`` on, ascending."""
        ids = self.accessible_ids(user_id, relation, object_type)
        return sorted(self.session.scalars(ids))
