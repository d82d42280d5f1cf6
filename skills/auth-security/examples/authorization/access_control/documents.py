"""Row-level filtering in SQL: the lists of documents, folders and members.

Every query for documents starts from :func:`visible_to`: the caller's tenant AND the ids
the relation tuples grant, as a recursive subquery; folders the same way, members by
tenant. The database returns only visible rows, and :func:`keyset_page` pages over them,
so ``LIMIT`` counts visible rows (pages are full), ``COUNT(*)`` counts visible rows, and a
bug in the Python around it cannot leak a row that was never fetched.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from access_control.models import Document, Folder, User
from access_control.pagination import Ordering, Page, keyset_page
from access_control.problems import not_found
from access_control.rebac import ObjectRef, RelationStore

SortKey = Literal["created_at", "-created_at", "title", "-title"]
SortOrder = Literal["asc", "desc"]
# The whitelist: a sort parameter picks one of these orderings, never names SQL itself.
DOCUMENT_ORDERINGS: dict[SortKey, Ordering] = {
    "created_at": Ordering("documents:created_at", Document.created_at),
    "-created_at": Ordering("documents:-created_at", Document.created_at, descending=True),
    "title": Ordering("documents:title", Document.title),
    "-title": Ordering("documents:-title", Document.title, descending=True),
}
DEFAULT_SORT: SortKey = "-created_at"  # newest first
DESCENDING: dict[str, SortKey] = {"created_at": "-created_at", "title": "-title"}
# Folders and members have one order each: what a picker or an admin table shows.
FOLDER_ORDERING = Ordering("folders:name", Folder.name)
MEMBER_ORDERING = Ordering("members:username", User.username)


class ConflictingSortOrder(ValueError):
    pass


def resolve_sort(sort: SortKey | None, order: SortOrder | None) -> SortKey:
    """One sort key from the two spellings clients use: ``sort=-title``, or
    ``sort=title&order=desc`` (the course's paged tables send the second). The direction
    must be said once: a ``-`` prefix together with ``order`` is refused, not guessed."""
    if order is None:
        return sort or DEFAULT_SORT
    field = sort or "created_at"
    if field.startswith("-"):
        raise ConflictingSortOrder("give the direction once: a '-' prefix on sort, or order")
    return DESCENDING[field] if order == "desc" else field


def visible_to(store: RelationStore, user: User) -> tuple[ColumnElement[bool], ...]:
    """WHERE clauses: the user's organization, and a viewer grant from the tuples.

    The tenant predicate is not redundant: it keeps tenants apart even if a stray tuple
    ever pointed across organizations (the tests plant one to prove it).
    """
    return (
        Document.org_id == user.org_id,
        Document.id.in_(store.accessible_ids(user.id, "viewer", "document")),
    )


def search(q: str | None) -> tuple[ColumnElement[bool], ...]:
    if not q:
        return ()
    # autoescape: a user's % or _ match themselves, not "anything"; q is a bound parameter.
    return (
        or_(
            Document.title.contains(q, autoescape=True), Document.body.contains(q, autoescape=True)
        ),
    )


def list_visible_documents(
    session: Session,
    store: RelationStore,
    user: User,
    *,
    q: str | None,
    sort: SortKey,
    limit: int,
    cursor: str | None,
) -> Page[Document]:
    filters = (*visible_to(store, user), *search(q))
    return keyset_page(
        session, Document, filters, DOCUMENT_ORDERINGS[sort], limit=limit, cursor=cursor
    )


def list_visible_folders(
    session: Session, store: RelationStore, user: User, *, limit: int, cursor: str | None
) -> Page[Folder]:
    """Folders in the user's organization that the tuples let the user view, by name."""
    filters = (
        Folder.org_id == user.org_id,
        Folder.id.in_(store.accessible_ids(user.id, "viewer", "folder")),
    )
    return keyset_page(session, Folder, filters, FOLDER_ORDERING, limit=limit, cursor=cursor)


def list_org_members(session: Session, user: User, *, limit: int, cursor: str | None) -> Page[User]:
    """The users of the caller's organization, by username (RBAC decides who may ask)."""
    filters = (User.org_id == user.org_id,)
    return keyset_page(session, User, filters, MEMBER_ORDERING, limit=limit, cursor=cursor)


def load_visible_document(
    session: Session, store: RelationStore, user: User, document_id: int
) -> Document:
    """The document, if it exists in the user's tenant and the user may view it; else 404."""
    document = session.scalar(
        select(Document).where(Document.id == document_id, Document.org_id == user.org_id)
    )
    if document is None or not store.check(document_ref(document), "viewer", user.id):
        raise not_found("document")
    return document


def load_visible_folder(
    session: Session, store: RelationStore, user: User, folder_id: int
) -> Folder:
    folder = session.scalar(
        select(Folder).where(Folder.id == folder_id, Folder.org_id == user.org_id)
    )
    if folder is None or not store.check(folder_ref(folder), "viewer", user.id):
        raise not_found("folder")
    return folder


def document_ref(document: Document) -> ObjectRef:
    return ObjectRef("document", document.id)


def folder_ref(folder: Folder) -> ObjectRef:
    return ObjectRef("folder", folder.id)
