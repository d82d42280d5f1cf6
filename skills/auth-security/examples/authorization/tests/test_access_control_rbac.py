"""RBAC with casbin: roles per organization, loaded from the relation tuples."""

from __future__ import annotations

import itertools
import logging

import pytest
import uvicorn
from access_control.abac import DocumentAttributes, Environment, SubjectAttributes, abac_allows
from access_control.api import Services
from access_control.models import Document, Organization, RelationTuple, User
from access_control.rbac import ORG_ROLES, rbac_allows, roles_in_org
from sqlalchemy import select
from sqlalchemy.orm import Session

# The same policy written by hand: what casbin replaces once policies are data.
HAND_WRITTEN_PERMISSIONS = {
    "guest": {("document", "read"), ("folder", "read")},
    "member": {("document", "create"), ("folder", "create")},
    "admin": {("members", "list")},
}
HAND_WRITTEN_PARENT_ROLE = {"admin": "member", "member": "guest"}


def hand_written_allows(role: str | None, obj: str, act: str) -> bool:
    while role is not None:
        if (obj, act) in HAND_WRITTEN_PERMISSIONS[role]:
            return True
        role = HAND_WRITTEN_PARENT_ROLE.get(role)
    return False


def role_assignments(session: Session) -> dict[tuple[str, int], str]:
    rows = session.execute(
        select(User.username, RelationTuple.object_id, RelationTuple.relation)
        .join(User, User.id == RelationTuple.subject_id)
        .where(RelationTuple.object_type == "org", RelationTuple.relation.in_(ORG_ROLES))
    )
    return {(username, org_id): role for username, org_id, role in rows}


def org_id(session: Session, slug: str) -> int:
    return session.scalars(select(Organization.id).where(Organization.slug == slug)).one()


def test_roles_come_from_tuples_and_inherit(services: Services, session: Session) -> None:
    acme, globex = org_id(session, "acme"), org_id(session, "globex")
    assert roles_in_org(services.rbac, "carol", acme) == ["admin", "guest", "member"]
    assert roles_in_org(services.rbac, "alice", acme) == ["guest", "member"]
    assert roles_in_org(services.rbac, "dave", acme) == ["guest"]
    assert roles_in_org(services.rbac, "carol", globex) == []


@pytest.mark.parametrize(
    ("username", "org", "obj", "act", "allowed"),
    [
        ("carol", "acme", "members", "list", True),  # admin
        ("carol", "acme", "document", "create", True),  # admin inherits member
        ("carol", "acme", "document", "read", True),  # ... and guest
        ("alice", "acme", "document", "create", True),
        ("alice", "acme", "members", "list", False),  # members are not admins
        ("dave", "acme", "document", "read", True),  # guest
        ("dave", "acme", "document", "create", False),
        ("carol", "globex", "members", "list", False),  # domain isolation: admin of acme only
        ("carol", "globex", "document", "read", False),
        ("frank", "acme", "document", "read", False),  # globex admin has no role in acme
        ("bob", "globex", "document", "create", True),
        ("alice", "acme", "document", "delete", False),  # no rule grants delete to anyone
    ],
)
def test_casbin_allow_and_deny(
    services: Services, session: Session, username: str, org: str, obj: str, act: str, allowed: bool
) -> None:
    assert rbac_allows(services.rbac, username, org_id(session, org), obj, act) is allowed


def test_hand_written_check_and_casbin_agree_on_the_whole_matrix(
    services: Services, session: Session
) -> None:
    assignments = role_assignments(session)
    usernames = session.scalars(select(User.username)).all()
    orgs = session.scalars(select(Organization.id)).all()
    objects = ("document", "folder", "members", "audit")
    actions = ("read", "create", "list", "delete")
    outcomes = set()
    for username, org, obj, act in itertools.product(usernames, orgs, objects, actions):
        expected = hand_written_allows(assignments.get((username, org)), obj, act)
        assert rbac_allows(services.rbac, username, org, obj, act) is expected, (
            username,
            org,
            obj,
            act,
        )
        outcomes.add(expected)
    assert outcomes == {True, False}  # the matrix exercises both answers
    assert len(usernames) * len(orgs) * len(objects) * len(actions) == 192


def test_a_new_role_assignment_applies_after_reloading(
    services: Services, session: Session
) -> None:
    acme = org_id(session, "acme")
    dave = session.scalars(select(User).where(User.username == "dave")).one()
    assert not rbac_allows(services.rbac, "dave", acme, "document", "create")
    services.relation_store(session).write(f"org:{acme}#member@user:{dave.id}")
    session.commit()
    # casbin holds the policy in memory: a changed assignment needs load_policy().
    assert not rbac_allows(services.rbac, "dave", acme, "document", "create")
    services.rbac.load_policy()
    assert rbac_allows(services.rbac, "dave", acme, "document", "create")


def test_the_adapter_is_read_only(services: Services) -> None:
    with pytest.raises(NotImplementedError):
        services.rbac.add_grouping_policy("mallory", "admin", "org:1")


def test_denials_log_nothing_after_uvicorn_configures_logging(
    services: Services, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """casbin warns on every denial. It disables its loggers, but building a uvicorn
    server runs logging.config.dictConfig, which re-enables every existing logger; the
    example sets the "casbin" level itself so that serving it prints nothing per denial."""
    uvicorn.Config("app:app", host="127.0.0.1", log_level="info")  # its __init__ runs dictConfig
    assert not logging.getLogger("casbin.enforcer").disabled  # the trap is real
    acme = org_id(session, "acme")
    assert not rbac_allows(services.rbac, "dave", acme, "document", "create")
    alice = session.scalars(select(User).where(User.username == "alice")).one()
    document = session.scalars(select(Document).where(Document.owner_id == alice.id)).first()
    assert document is not None
    subject, attributes = SubjectAttributes.of(alice), DocumentAttributes.of(document)
    assert not abac_allows(services.abac, subject, attributes, "publish", Environment(3, 6))
    assert [r for r in caplog.records if r.name.startswith("casbin")] == []
