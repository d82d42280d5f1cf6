"""Tables of the workspace: organizations (tenants), users, folders, documents, and the
relation tuples that say who may do what to which object.

Every row that belongs to a tenant carries ``org_id``, so that every query can be scoped to
the caller's organization with one indexed predicate, whatever else it filters on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DOCUMENT_STATUSES = ("draft", "review", "published")


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite itself stores naive text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; attach a tzinfo")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"
    # The member list filters by tenant and pages by username (plus id).
    __table_args__ = (Index("ix_users_org_username", "org_id", "username", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    # Attributes the ABAC rules read.
    department: Mapped[str] = mapped_column(String(40))
    clearance: Mapped[int] = mapped_column(
        CheckConstraint("clearance BETWEEN 0 AND 3", "clearance")
    )


class Folder(Base):
    __tablename__ = "folders"
    # The folder list filters by tenant and pages by name (plus id).
    __table_args__ = (Index("ix_folders_org_name", "org_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("status IN ('" + "', '".join(DOCUMENT_STATUSES) + "')", "status_known"),
        CheckConstraint("sensitivity BETWEEN 0 AND 3", "sensitivity"),
        # The list endpoint filters by tenant, then orders by one of these keys plus id.
        Index("ix_documents_org_created", "org_id", "created_at", "id"),
        Index("ix_documents_org_title", "org_id", "title", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    sensitivity: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class RelationTuple(Base):
    """One Zanzibar relation tuple: ``object_type:object_id#relation@subject``.

    The subject is a user (``user:3``, ``subject_relation == ""``) or a subject set
    (``org:1#member``: everyone who has ``member`` on ``org:1``). The empty string stands
    for "no relation" instead of NULL so that the unique constraint also covers user
    subjects (NULLs never compare equal, so duplicates would slip through).
    """

    __tablename__ = "relation_tuples"
    __table_args__ = (
        UniqueConstraint(
            "object_type",
            "object_id",
            "relation",
            "subject_type",
            "subject_id",
            "subject_relation",
        ),
        # check() walks forwards: which subjects hold relation R on object O?
        Index("ix_relation_tuples_object", "object_type", "object_id", "relation"),
        # list_objects() and row filtering walk backwards: what does subject S hold?
        Index("ix_relation_tuples_subject", "subject_type", "subject_id", "subject_relation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int]
    relation: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    subject_relation: Mapped[str] = mapped_column(String(20), default="")
