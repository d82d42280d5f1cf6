"""Demo data: two organizations, six users, folders, documents and the tuples between them.

Passwords are demo values derived from the username (``demo-password-alice``) so that a
reader can log in; a real deployment has no seeded users.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from access_control.models import Document, Folder, Organization, User
from access_control.rebac import RelationStore


def demo_password(username: str) -> str:
    return f"demo-password-{username}"


@dataclass(frozen=True)
class DemoUser:
    username: str
    org_slug: str
    role: str
    department: str
    clearance: int


DEMO_ORGS = {"acme": "Acme Corp", "globex": "Globex"}
DEMO_USERS = (
    DemoUser("alice", "acme", "member", "engineering", 2),
    DemoUser("carol", "acme", "admin", "engineering", 3),
    DemoUser("dave", "acme", "guest", "sales", 1),
    DemoUser("erin", "acme", "member", "sales", 2),
    DemoUser("bob", "globex", "member", "engineering", 2),
    DemoUser("frank", "globex", "admin", "engineering", 3),
)


def seed_demo_data(session: Session, hasher: PasswordHasher) -> None:
    """Fill an empty database; does nothing if users exist already."""
    if session.scalar(select(User.id).limit(1)) is not None:
        return
    store = RelationStore(session)
    orgs = {slug: Organization(slug=slug, name=name) for slug, name in DEMO_ORGS.items()}
    session.add_all(orgs.values())
    session.flush()
    users: dict[str, User] = {}
    for demo in DEMO_USERS:
        users[demo.username] = User(
            username=demo.username,
            password_hash=hasher.hash(demo_password(demo.username)),
            org_id=orgs[demo.org_slug].id,
            department=demo.department,
            clearance=demo.clearance,
        )
    session.add_all(users.values())
    session.flush()
    for demo in DEMO_USERS:
        store.write(f"org:{orgs[demo.org_slug].id}#{demo.role}@user:{users[demo.username].id}")

    def folder(name: str, owner: str, parent: Folder | None = None) -> Folder:
        user = users[owner]
        row = Folder(org_id=user.org_id, name=name, parent_id=parent.id if parent else None)
        session.add(row)
        session.flush()
        parent_ref = f"folder:{parent.id}" if parent else f"org:{user.org_id}"
        store.write(f"folder:{row.id}#parent@{parent_ref}", f"folder:{row.id}#owner@user:{user.id}")
        return row

    def document(
        title: str, owner: str, where: Folder | None, status: str = "draft", sensitivity: int = 0
    ) -> Document:
        user = users[owner]
        row = Document(
            org_id=user.org_id,
            folder_id=where.id if where else None,
            owner_id=user.id,
            title=title,
            body=f"{title}: demo text.",
            department=user.department,
            status=status,
            sensitivity=sensitivity,
        )
        session.add(row)
        session.flush()
        parent_ref = f"folder:{where.id}" if where else f"org:{user.org_id}"
        store.write(
            f"document:{row.id}#parent@{parent_ref}", f"document:{row.id}#owner@user:{user.id}"
        )
        return row

    acme, globex = orgs["acme"], orgs["globex"]
    engineering = folder("Engineering", "alice")
    specs = folder("Specs", "alice", engineering)
    handbook = folder("Handbook", "carol")
    sales = folder("Sales", "erin")
    roadmap = folder("Roadmap", "bob")
    store.write(
        f"folder:{engineering.id}#viewer@user:{users['erin'].id}",
        f"folder:{handbook.id}#viewer@org:{acme.id}#member",
        f"folder:{roadmap.id}#viewer@org:{globex.id}#member",
    )

    document("Engine design", "alice", specs, sensitivity=1)
    document("API guidelines", "alice", engineering, status="review")
    document("Welcome to Acme", "carol", handbook, status="published")
    pipeline = document("Q3 pipeline", "erin", sales, sensitivity=2)
    document("Price list", "erin", sales)
    document("Scratch notes", "alice", None)
    document("Globex roadmap", "bob", roadmap)
    document("Board memo", "frank", None, sensitivity=3)
    store.write(f"document:{pipeline.id}#viewer@user:{users['dave'].id}")
    session.commit()
