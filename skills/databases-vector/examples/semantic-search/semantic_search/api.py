"""The HTTP API: upsert documents, search them by meaning with metadata filters, delete them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParam

from .body_limit import BodySizeLimitMiddleware
from .problems import install_problem_handlers, problem_responses
from .sample_corpus import sample_documents
from .schemas import (
    ID_PATTERN,
    DocumentOut,
    Metadata,
    SearchHit,
    SearchParams,
    SearchResults,
    UpsertRequest,
    UpsertResult,
)
from .store import Document, DocumentStore


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("semantic_search_data")
    collection: str = "products"
    # A full batch (100 documents of 2,000 characters) is about 210 KB of JSON.
    max_body_bytes: int = 256 * 1024
    # Load the sample catalogue into an empty collection on start-up.
    seed_sample: bool = True


router = APIRouter()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = DocumentStore(settings.data_dir, settings.collection)
        if settings.seed_sample and store.count() == 0:
            store.upsert(sample_documents())
        app.state.store = store
        yield
        # The last client of a path releases Chroma's files: a restarted app reopens them.
        store.close()

    app = FastAPI(
        title="semantic-search",
        version="1.0.0",
        summary="Search a product catalogue by meaning, with metadata filters, on Chroma.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(router)
    return app


def get_store(request: Request) -> DocumentStore:
    return request.app.state.store


StoreDep = Annotated[DocumentStore, Depends(get_store)]
DocumentId = Annotated[str, PathParam(pattern=ID_PATTERN)]


def document_out(document: Document) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        text=document.text,
        metadata=Metadata(category=document.category, year=document.year),
    )


@router.post(
    "/documents",
    operation_id="upsertDocuments",
    response_model=UpsertResult,
    responses=problem_responses(413, 422),
)
def upsert_documents(body: UpsertRequest, store: StoreDep) -> UpsertResult:
    counts = store.upsert(
        [
            Document(id=d.id, text=d.text, category=d.metadata.category, year=d.metadata.year)
            for d in body.documents
        ]
    )
    return UpsertResult(created=counts.created, updated=counts.updated, unchanged=counts.unchanged)


@router.get(
    "/search",
    operation_id="searchDocuments",
    response_model=SearchResults,
    responses=problem_responses(422),
)
def search(params: Annotated[SearchParams, Query()], store: StoreDep) -> SearchResults:
    hits = store.search(params.q, params.k, category=params.category, year_gte=params.year_gte)
    return SearchResults(
        query=params.q,
        k=params.k,
        results=[
            SearchHit(**document_out(hit.document).model_dump(), score=hit.score) for hit in hits
        ],
    )


@router.get(
    "/documents/{document_id}",
    operation_id="getDocument",
    response_model=DocumentOut,
    responses=problem_responses(404, 422),
)
def get_document(document_id: DocumentId, store: StoreDep) -> DocumentOut:
    document = store.get(document_id)
    if document is None:
        raise HTTPException(404, f"No document with id {document_id!r}.")
    return document_out(document)


@router.delete(
    "/documents/{document_id}",
    operation_id="deleteDocument",
    status_code=204,
    response_class=Response,
    responses=problem_responses(404, 422),
)
def delete_document(document_id: DocumentId, store: StoreDep) -> Response:
    if not store.delete(document_id):
        raise HTTPException(404, f"No document with id {document_id!r}.")
    return Response(status_code=204)
