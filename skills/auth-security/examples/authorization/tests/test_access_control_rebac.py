"""ReBAC: the relation-tuple store's check() and list_objects() (its SQL twin)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from access_control.db import make_engine, make_session_factory
from access_control.models import Base, Document, Folder, User
from access_control.rebac import SCHEMA, ObjectRef, RelationStore, SchemaError, Tuple
from sqlalchemy import select
from sqlalchemy.orm import Session


@pytest.fixture
def empty_session(tmp_path: Path) -> Session:
    engine = make_engine(f"sqlite:///{tmp_path / 'tuples.db'}")
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def doc(document_id: int) -> ObjectRef:
    return ObjectRef("document", document_id)


def folder(folder_id: int) -> ObjectRef:
    return ObjectRef("folder", folder_id)


def test_tuple_text_round_trips_and_the_schema_refuses_nonsense() -> None:
    for text in ("document:7#viewer@user:3", "folder:1#viewer@org:1#member"):
        assert str(Tuple.parse(text)) == text
    with pytest.raises(SchemaError):
        Tuple.parse("document:7#viewer@user:3 OR 1=1")
    store = RelationStore(session=None)  # type: ignore[arg-type]  # validation needs no DB
    for bad in (
        "document:1#approver@user:1",  # no such relation
        "widget:1#viewer@user:1",  # no such type
        "document:1#parent@user:1",  # a parent must be a folder or an org
        "document:1#owner@org:1#member",  # owners are users, not subject sets
    ):
        with pytest.raises(SchemaError):
            store.write(bad)


def test_inheritance_org_to_folder_to_document(empty_session: Session) -> None:
    store = RelationStore(empty_session)
    store.write(
        "org:1#admin@user:1",
        "folder:10#parent@org:1",
        "folder:11#parent@folder:10",
        "document:100#parent@folder:11",
        "folder:10#viewer@user:2",
        "folder:11#editor@user:3",
    )
    # user 1 is an org admin: org editor (computed), then down two parent hops.
    assert store.check(doc(100), "editor", 1)
    assert store.check(doc(100), "viewer", 1)
    # user 2 views the top folder only, and inherits viewer, never editor.
    assert store.check(doc(100), "viewer", 2)
    assert not store.check(doc(100), "editor", 2)
    # user 3 edits the inner folder: editor there, viewer by computation, nothing above.
    assert store.check(doc(100), "editor", 3)
    assert store.check(doc(100), "viewer", 3)
    assert not store.check(folder(10), "viewer", 3)
    # a stranger gets nothing
    assert not store.check(doc(100), "viewer", 4)


def test_computed_relations_and_subject_sets(empty_session: Session) -> None:
    store = RelationStore(empty_session)
    store.write(
        "document:1#owner@user:1",
        "org:1#member@user:2",
        "org:1#admin@user:3",
        "document:2#viewer@org:1#member",
    )
    # owner implies editor implies viewer
    assert [store.check(doc(1), rel, 1) for rel in ("owner", "editor", "viewer")] == [True] * 3
    # org members view document 2 through the subject set; admins are members (computed)
    assert store.check(doc(2), "viewer", 2)
    assert store.check(doc(2), "viewer", 3)
    assert not store.check(doc(2), "editor", 2)
    # membership alone shows nothing else: org#member does not imply org#viewer
    assert not store.check(doc(1), "viewer", 2)
    # unknown relations are a plain "no"
    assert not store.check(doc(1), "approver", 1)


def test_revoking_a_tuple_revokes_what_was_derived_from_it(empty_session: Session) -> None:
    store = RelationStore(empty_session)
    store.write("folder:1#viewer@user:5", "document:9#parent@folder:1")
    assert store.check(doc(9), "viewer", 5)
    store.delete("folder:1#viewer@user:5")
    assert not store.check(doc(9), "viewer", 5)
    assert store.list_objects(5, "viewer", "document") == []


def test_cycles_terminate_and_do_not_grant(empty_session: Session) -> None:
    store = RelationStore(empty_session)
    # A parent cycle (the API cannot create one; a bad import could) and a subject-set cycle.
    store.write(
        "folder:1#parent@folder:2",
        "folder:2#parent@folder:1",
        "document:1#parent@folder:1",
        "folder:3#viewer@folder:4#viewer",
        "folder:4#viewer@folder:3#viewer",
        "document:2#parent@folder:3",
    )
    assert not store.check(doc(1), "viewer", 7)
    assert not store.check(doc(2), "viewer", 7)
    assert store.list_objects(7, "viewer", "document") == []
    # With a real grant inside the cycle, both ways find it, and find only what they should.
    store.write("folder:2#viewer@user:7", "folder:4#viewer@user:8")
    assert store.check(doc(1), "viewer", 7)
    assert store.check(doc(2), "viewer", 8)
    assert store.list_objects(7, "viewer", "folder") == [1, 2]
    assert store.list_objects(8, "viewer", "folder") == [3, 4]
    assert store.list_objects(7, "viewer", "document") == [1]


def test_depth_limit_denies_grants_that_need_too_many_hops(empty_session: Session) -> None:
    store = RelationStore(empty_session, max_depth=5)
    # folder:1 <- folder:2 <- ... <- folder:8, and a document in each.
    store.write("folder:1#viewer@user:1")
    for level in range(2, 9):
        store.write(f"folder:{level}#parent@folder:{level - 1}")
    for level in range(1, 9):
        store.write(f"document:{level}#parent@folder:{level}")
    # document:n needs 1 (its parent hop) + (n - 1) folder hops: within 5 means n <= 5.
    reachable = [n for n in range(1, 9) if store.check(doc(n), "viewer", 1)]
    assert reachable == [1, 2, 3, 4, 5]
    assert store.list_objects(1, "viewer", "document") == reachable
    assert RelationStore(empty_session, max_depth=20).list_objects(1, "viewer", "document") == list(
        range(1, 9)
    )


def random_graph(store: RelationStore, rng: random.Random) -> None:
    """Random but schema-valid tuples over a small universe, cycles and all."""
    users, orgs, folders, documents = range(1, 6), range(1, 3), range(1, 7), range(1, 9)
    candidates: list[str] = []
    for f in folders:
        parent = rng.choice([f"org:{rng.choice(orgs)}", f"folder:{rng.choice(folders)}"])
        if parent != f"folder:{f}":
            candidates.append(f"folder:{f}#parent@{parent}")
    for d in documents:
        parent = rng.choice([f"org:{rng.choice(orgs)}", f"folder:{rng.choice(folders)}"])
        candidates.append(f"document:{d}#parent@{parent}")
    for _ in range(14):
        kind = rng.choice(["folder", "document"])
        object_id = rng.choice(folders if kind == "folder" else documents)
        relation = rng.choice(["owner", "editor", "viewer"])
        subject = rng.choice(
            [f"user:{rng.choice(users)}"] * 3
            + [f"org:{rng.choice(orgs)}#member"]
            + ([f"folder:{rng.choice(folders)}#viewer"] if relation == "viewer" else [])
        )
        if relation == "owner":
            subject = f"user:{rng.choice(users)}"
        candidates.append(f"{kind}:{object_id}#{relation}@{subject}")
    for _ in range(4):
        candidates.append(
            f"org:{rng.choice(orgs)}#{rng.choice(['admin', 'member'])}@user:{rng.choice(users)}"
        )
    store.write(*candidates)


@pytest.mark.parametrize("seed", range(3))
def test_list_objects_agrees_with_check_for_every_object(empty_session: Session, seed: int) -> None:
    # max_depth 4 on purpose: random chains are often longer, so the limit is exercised too.
    store = RelationStore(empty_session, max_depth=4)
    random_graph(store, random.Random(seed))
    empty_session.commit()
    universe = {"org": range(1, 3), "folder": range(1, 7), "document": range(1, 9)}
    granted = 0
    for user_id in range(1, 6):
        for object_type, ids in universe.items():
            for relation in SCHEMA[object_type]:
                if relation == "parent":
                    continue
                by_check = [
                    i for i in ids if store.check(ObjectRef(object_type, i), relation, user_id)
                ]
                assert store.list_objects(user_id, relation, object_type) == by_check, (
                    seed,
                    user_id,
                    object_type,
                    relation,
                )
                granted += len(by_check)
    assert granted > 0  # the graphs grant something, so agreement is not "both empty"


def test_seeded_workspace_check_and_list_agree(services, session: Session) -> None:
    store = services.relation_store(session)
    documents = session.scalars(select(Document.id).order_by(Document.id)).all()
    folders = session.scalars(select(Folder.id).order_by(Folder.id)).all()
    for user in session.scalars(select(User)):
        for relation in ("owner", "editor", "viewer"):
            assert store.list_objects(user.id, relation, "document") == [
                d for d in documents if store.check(doc(d), relation, user.id)
            ]
            assert store.list_objects(user.id, relation, "folder") == [
                f for f in folders if store.check(folder(f), relation, user.id)
            ]
