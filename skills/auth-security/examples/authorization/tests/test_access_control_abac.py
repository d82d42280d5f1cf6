"""ABAC with casbin: the submit/publish rules, and why RBAC cannot say the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import casbin
import pytest
from access_control.abac import (
    DocumentAttributes,
    Environment,
    SubjectAttributes,
    abac_allows,
    make_abac_enforcer,
)
from access_control.rbac import RBAC_MODEL_PATH
from casbin.persist.adapters import StringAdapter

AUTHOR = SubjectAttributes(id=1, org_id=1, department="engineering", clearance=2)
REVIEWER = SubjectAttributes(id=2, org_id=1, department="engineering", clearance=3)
IN_REVIEW = DocumentAttributes(
    id=10, org_id=1, owner_id=1, department="engineering", status="review", sensitivity=2
)
WEDNESDAY_10 = Environment.at(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def abac() -> casbin.Enforcer:
    return make_abac_enforcer()


def test_the_reviewer_may_publish_in_office_hours(abac: casbin.Enforcer) -> None:
    assert abac_allows(abac, REVIEWER, IN_REVIEW, "publish", WEDNESDAY_10)


@pytest.mark.parametrize(
    ("why", "subject", "document", "environment"),
    [
        ("the author cannot publish their own", AUTHOR, IN_REVIEW, WEDNESDAY_10),
        ("other department", replace(REVIEWER, department="sales"), IN_REVIEW, WEDNESDAY_10),
        ("other organization", replace(REVIEWER, org_id=2), IN_REVIEW, WEDNESDAY_10),
        ("clearance too low", replace(REVIEWER, clearance=1), IN_REVIEW, WEDNESDAY_10),
        ("still a draft", REVIEWER, replace(IN_REVIEW, status="draft"), WEDNESDAY_10),
        ("already published", REVIEWER, replace(IN_REVIEW, status="published"), WEDNESDAY_10),
        ("after hours", REVIEWER, IN_REVIEW, Environment(hour=18, weekday=2)),
        ("before hours", REVIEWER, IN_REVIEW, Environment(hour=7, weekday=2)),
        ("saturday", REVIEWER, IN_REVIEW, Environment(hour=10, weekday=5)),
    ],
)
def test_each_condition_of_the_publish_rule_can_deny(
    abac: casbin.Enforcer,
    why: str,
    subject: SubjectAttributes,
    document: DocumentAttributes,
    environment: Environment,
) -> None:
    assert not abac_allows(abac, subject, document, "publish", environment), why


def test_only_the_author_submits_and_only_a_draft(abac: casbin.Enforcer) -> None:
    draft = replace(IN_REVIEW, status="draft")
    assert abac_allows(abac, AUTHOR, draft, "submit", WEDNESDAY_10)
    assert not abac_allows(abac, REVIEWER, draft, "submit", WEDNESDAY_10)
    assert not abac_allows(abac, AUTHOR, IN_REVIEW, "submit", WEDNESDAY_10)
    # Actions without a rule are denied (casbin's default effect is deny).
    assert not abac_allows(abac, AUTHOR, draft, "delete", WEDNESDAY_10)


def test_an_rbac_role_cannot_express_four_eyes() -> None:
    """Give the reviewer a "publisher" role: RBAC now lets the AUTHOR publish too, as soon
    as the author holds the role, because a role cannot compare the user with the document.
    """
    rbac = casbin.Enforcer(
        casbin.Enforcer.new_model(path=str(RBAC_MODEL_PATH)),
        StringAdapter(
            "p, publisher, document, publish\n"
            "g, reviewer, publisher, org:1\n"
            "g, author, publisher, org:1"  # authors review each other's work, so they have it
        ),
    )
    assert rbac.enforce("reviewer", "org:1", "document", "publish")
    assert rbac.enforce("author", "org:1", "document", "publish")  # the hole
    assert not abac_allows(make_abac_enforcer(), AUTHOR, IN_REVIEW, "publish", WEDNESDAY_10)
