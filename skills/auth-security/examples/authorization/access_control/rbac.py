"""RBAC with casbin: roles per organization (casbin "domains").

The permissions of each role are a reviewed file (``rbac_policy.csv``); who holds which
role in which organization is data that changes at run time, so a casbin adapter reads it
from the relation tuples (``org:1#admin@user:3``) that the ReBAC store also uses. One
table, two engines: RBAC is ReBAC with a single level.
"""

from __future__ import annotations

import logging
from pathlib import Path

import casbin
from casbin.persist import Adapter, load_policy_line
from casbin.util import key_match
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from access_control.models import RelationTuple, User

RBAC_MODEL_PATH = Path(__file__).with_name("rbac_model.conf")
RBAC_POLICY_PATH = Path(__file__).with_name("rbac_policy.csv")
ORG_ROLES = ("admin", "member", "guest")


def org_domain(org_id: int) -> str:
    return f"org:{org_id}"


class RoleAssignmentAdapter(Adapter):
    """Loads ``p`` rules and the role hierarchy from the policy file, and the users' role
    assignments (``g, <username>, <role>, org:<id>``) from the relation tuples.

    Read-only: assignments change by writing tuples, then calling ``load_policy()`` on
    the enforcer (with several processes, a casbin watcher tells the others to reload).
    """

    def __init__(self, policy_path: Path, session_factory: sessionmaker[Session]) -> None:
        self.policy_path = policy_path
        self.session_factory = session_factory

    def load_policy(self, model: casbin.Model) -> None:
        for line in self.policy_path.read_text(encoding="utf-8").splitlines():
            load_policy_line(line.strip(), model)
        with self.session_factory() as session:
            assignments = session.execute(
                select(User.username, RelationTuple.relation, RelationTuple.object_id)
                .join(User, User.id == RelationTuple.subject_id)
                .where(
                    RelationTuple.object_type == "org",
                    RelationTuple.relation.in_(ORG_ROLES),
                    RelationTuple.subject_type == "user",
                    RelationTuple.subject_relation == "",
                )
                .order_by(RelationTuple.id)
            )
            for username, role, org_id in assignments:
                # Added as a list, not parsed from text: no username can smuggle in a comma.
                model.add_policy("g", "g", [username, role, org_domain(org_id)])

    def save_policy(self, model: casbin.Model) -> bool:
        raise NotImplementedError("roles are assigned by writing relation tuples")

    def add_policy(self, sec: str, ptype: str, rule: list[str]) -> None:
        raise NotImplementedError("roles are assigned by writing relation tuples")

    def remove_policy(self, sec: str, ptype: str, rule: list[str]) -> None:
        raise NotImplementedError("roles are assigned by writing relation tuples")


def make_rbac_enforcer(session_factory: sessionmaker[Session]) -> casbin.Enforcer:
    # casbin logs every denied request as a WARNING. It "disables" its loggers, but a
    # later logging.config.dictConfig (uvicorn runs one for each server it configures)
    # re-enables all existing loggers, and the denials then print per request. A denial
    # is an answer (403/404), not a fault: only casbin's errors are worth a log line.
    logging.getLogger("casbin").setLevel(logging.ERROR)
    model = casbin.Enforcer.new_model(path=str(RBAC_MODEL_PATH))
    enforcer = casbin.Enforcer(model, RoleAssignmentAdapter(RBAC_POLICY_PATH, session_factory))
    # Lets "g, admin, member, *" apply in every organization's domain.
    enforcer.add_named_domain_matching_func("g", key_match)
    return enforcer


def rbac_allows(enforcer: casbin.Enforcer, username: str, org_id: int, obj: str, act: str) -> bool:
    return enforcer.enforce(username, org_domain(org_id), obj, act)


def roles_in_org(enforcer: casbin.Enforcer, username: str, org_id: int) -> list[str]:
    """Every role the user holds in the organization, inherited ones included."""
    return sorted(enforcer.get_implicit_roles_for_user(username, org_domain(org_id)))
