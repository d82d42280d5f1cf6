"""ABAC with casbin: rules over attributes of the user, the document and the clock.

RBAC answers "may an *editor* publish?". It cannot say "someone other than the author,
from the author's department, cleared for this document's sensitivity, during office
hours": that rule compares the subject with the object and with the environment, and no
fixed set of roles encodes the comparison (a role per department x clearance level x
hour still could not say "not the author"). The rules live in ``abac_policy.csv``; casbin
evaluates each with ``eval()`` (via simpleeval, which allows no calls or dunders), so the
rule text is trusted configuration while request values are plain attributes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import casbin

from access_control.models import Document, User

ABAC_MODEL_PATH = Path(__file__).with_name("abac_model.conf")
ABAC_POLICY_PATH = Path(__file__).with_name("abac_policy.csv")


@dataclass(frozen=True)
class SubjectAttributes:
    id: int
    org_id: int
    department: str
    clearance: int

    @classmethod
    def of(cls, user: User) -> SubjectAttributes:
        return cls(user.id, user.org_id, user.department, user.clearance)


@dataclass(frozen=True)
class DocumentAttributes:
    id: int
    org_id: int
    owner_id: int
    department: str
    status: str
    sensitivity: int

    @classmethod
    def of(cls, document: Document) -> DocumentAttributes:
        return cls(
            document.id,
            document.org_id,
            document.owner_id,
            document.department,
            document.status,
            document.sensitivity,
        )


@dataclass(frozen=True)
class Environment:
    hour: int  # 0-23, UTC
    weekday: int  # Monday is 0

    @classmethod
    def at(cls, moment: datetime) -> Environment:
        return cls(moment.hour, moment.weekday())


def make_abac_enforcer() -> casbin.Enforcer:
    # Denials are answers, not faults: keep casbin's per-request WARNING quiet even after
    # uvicorn's dictConfig re-enables its loggers (see make_rbac_enforcer).
    logging.getLogger("casbin").setLevel(logging.ERROR)
    return casbin.Enforcer(str(ABAC_MODEL_PATH), str(ABAC_POLICY_PATH))


def abac_allows(
    enforcer: casbin.Enforcer,
    subject: SubjectAttributes,
    document: DocumentAttributes,
    action: str,
    environment: Environment,
) -> bool:
    return enforcer.enforce(subject, document, action, environment)
