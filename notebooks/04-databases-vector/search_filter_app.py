"""The search-filter API of notebook 04-07: vector search with facets over a Chroma collection.

``GET /search?q=...&skill=...&path=...&k=...`` embeds the query once, asks the collection
for the sections within ``max_distance`` of it under the metadata filters, and answers
with the first K and facet counts per skill and per reference file. The counts are
disjunctive, as shops count their facets: each facet is counted with every filter but its
own, so ticking one skill still shows what the other skills would add.
(No `from __future__ import annotations`: FastAPI reads the routes' annotations as objects.)
"""

from collections import Counter
from typing import Annotated

import chromadb
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend_skills.problem_details import problem_response

MAX_K = 50  # the most results one page may ask for
SNIPPET_CHARS = 160


# region filters
def where_clause(skills: list[str], paths: list[str]) -> dict | None:
    """Chroma's ``where`` for the ticked skills and files: a value list each, ANDed."""
    clauses = [
        {key: {"$in": values}} for key, values in (("skill", skills), ("path", paths)) if values
    ]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


# endregion


# region models
class SearchHit(BaseModel):
    id: str
    skill: str
    path: str
    heading: str
    distance: float
    snippet: str


class Facets(BaseModel):
    skill: dict[str, int]
    path: dict[str, int]


class SearchAnswer(BaseModel):
    query: str
    skill: list[str]
    path: list[str]
    max_distance: float
    total: int  # sections that match the query and the filters; results holds the first k
    results: list[SearchHit]
    facets: Facets


# endregion


class SearchFilterApi:
    """The app (`.app`) over COLLECTION, whose documents carry skill, path and heading."""

    def __init__(self, collection: chromadb.Collection, embedding_function, max_distance: float):
        self.collection = collection
        self.embed = embedding_function
        self.max_distance = max_distance
        everything = collection.get(include=["metadatas"])["metadatas"]
        self.skills = sorted({meta["skill"] for meta in everything})
        self.paths = sorted({meta["path"] for meta in everything})
        self.app = self._routes()

    # region matches
    def matches(self, embedding, skills: list[str], paths: list[str]) -> list[SearchHit]:
        """Every section within max_distance of EMBEDDING under the filters, nearest first.

        n_results is the collection's size: the distance cut, not a page size, decides what
        matches, so the count of a filtered search is its facet's count.
        """
        found = self.collection.query(
            query_embeddings=[embedding],
            n_results=self.collection.count(),
            where=where_clause(skills, paths),
            include=["distances", "metadatas", "documents"],
        )
        rows = zip(
            found["ids"][0],
            found["distances"][0],
            found["metadatas"][0],
            found["documents"][0],
            strict=True,
        )
        return [
            SearchHit(
                id=section_id,
                skill=meta["skill"],
                path=meta["path"],
                heading=meta["heading"],
                distance=round(distance, 6),
                snippet=" ".join(document.split())[:SNIPPET_CHARS],
            )
            for section_id, distance, meta, document in rows
            if distance <= self.max_distance
        ]

    def search(self, q: str, skills: list[str], paths: list[str], k: int) -> SearchAnswer:
        embedding = self.embed([q])[0]  # once: three store queries share it
        hits = self.matches(embedding, skills, paths)
        by_skill = Counter(hit.skill for hit in self.matches(embedding, [], paths))
        by_path = Counter(hit.path for hit in self.matches(embedding, skills, []))
        return SearchAnswer(
            query=q,
            skill=skills,
            path=paths,
            max_distance=self.max_distance,
            total=len(hits),
            results=hits[:k],
            facets=Facets(skill=dict(sorted(by_skill.items())), path=dict(sorted(by_path.items()))),
        )

    # endregion

    # region routes
    def _routes(self) -> FastAPI:
        app = FastAPI(title="Library search with facets")

        @app.exception_handler(StarletteHTTPException)
        async def http_problem(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
            return problem_response(exc.status_code, str(exc.detail))

        @app.exception_handler(RequestValidationError)
        async def invalid_problem(_request: Request, exc: RequestValidationError) -> JSONResponse:
            errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            detail = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors)
            return problem_response(422, detail, errors=errors)

        @app.get("/search", response_model=SearchAnswer)
        def search(
            q: Annotated[str, Query(min_length=1, max_length=200, pattern=r"\S")],
            k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
            skill: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
            path: Annotated[list[str], Query()] = [],  # noqa: B006
        ) -> SearchAnswer:
            for name, values, known in (("skill", skill, self.skills), ("path", path, self.paths)):
                unknown = sorted(set(values) - set(known))
                if unknown:
                    raise HTTPException(422, f"{name}: no section has {', '.join(unknown)}")
            return self.search(q.strip(), sorted(set(skill)), sorted(set(path)), k)

        return app

    # endregion
