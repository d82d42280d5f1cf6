"""The shared ipywidgets frontends, driven headless against a tiny FastAPI app served for
real on 127.0.0.1 (the same path the notebooks take: widget method -> httpx -> uvicorn)."""

from __future__ import annotations

import base64
import json
import math
from typing import Annotated, Literal

import httpx
import pytest
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from backend_skills.paged_table import FetchError, PagedTable, http_page_fetcher
from backend_skills.problem_details import field_errors, problem_response
from backend_skills.record_form import FormField, RecordForm, http_submitter
from backend_skills.serve import ServedApp

COLORS = ["red", "green", "blue"]
ITEMS = [
    {"id": i, "name": f"item {i:02d}", "color": COLORS[i % 3]} for i in range(1, 24)
]  # 23 rows: the last page is a short one
ITEMS[6]["name"] = "<script>alert(1)</script>"


class ItemsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(5, ge=1, le=50)
    sort: Literal["id", "name"] = "id"
    order: Literal["asc", "desc"] = "asc"
    color: Literal["red", "green", "blue"] | None = None
    offset: int | None = Field(None, ge=0)
    cursor: str | None = None


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=20, title="Full name")
    age: int = Field(ge=0, le=150)
    newsletter: bool = False
    password: SecretStr
    tags: list[str] = []
    nickname: str | None = None
    team: Literal["red", "blue"] | None = None


def make_app() -> FastAPI:
    app = FastAPI()
    people: list[dict] = []

    @app.get("/items")
    def items(q: Annotated[ItemsQuery, Query()]):
        rows = [r for r in ITEMS if q.color is None or r["color"] == q.color]
        rows.sort(key=lambda r: (r[q.sort], r["id"]), reverse=q.order == "desc")
        if q.offset is not None:
            page = rows[q.offset : q.offset + q.limit]
            more = q.offset + q.limit < len(rows)
            pagination = {"total": len(rows), "next_offset": q.offset + q.limit if more else None}
            return {"data": page, "pagination": pagination}
        start = 0
        if q.cursor:  # a cursor is the base64 of the last id seen (enough for a test app)
            last_id = json.loads(base64.urlsafe_b64decode(q.cursor))
            start = next(i for i, r in enumerate(rows) if r["id"] == last_id) + 1
        page = rows[start : start + q.limit]
        more = start + q.limit < len(rows)
        cursor = base64.urlsafe_b64encode(json.dumps(page[-1]["id"]).encode()).decode()
        return {"data": page, "pagination": {"next_cursor": cursor if more else None}}

    @app.post("/people", status_code=201)
    def create_person(person: Person):
        if any(p["name"] == person.name for p in people):
            problem = {
                "title": "Conflict",
                "status": 409,
                "errors": [{"loc": ["body", "name"], "msg": "name is taken"}],
            }
            return JSONResponse(problem, status_code=409, media_type="application/problem+json")
        people.append(person.model_dump(mode="json"))
        return {"id": len(people)}

    @app.get("/people")
    def list_people():
        return people

    return app


@pytest.fixture(scope="module")
def client():
    with ServedApp(make_app()) as served, httpx.Client(base_url=served.url) as http:
        yield http


def ids(rows):
    return [r["id"] for r in rows]


@pytest.mark.parametrize("mode", ["cursor", "offset"])
def test_walk_sees_every_row_once(client, mode):
    table = PagedTable(http_page_fetcher(client, "/items", mode=mode), ["id", "name"], page_size=5)
    seen = [row["id"] for page in table.pages() for row in page]
    assert sorted(seen) == [r["id"] for r in ITEMS]
    assert len(seen) == len(set(seen))
    assert table.page_number == math.ceil(len(ITEMS) / 5)
    assert not table.has_next
    assert table.requests == math.ceil(len(ITEMS) / 5) + 1  # the constructor loaded page 1 too
    last = ids(table.rows)
    table.next_page()  # at the end: no request, nothing changes
    assert table.requests == math.ceil(len(ITEMS) / 5) + 1 and ids(table.rows) == last


def test_offset_api_reports_total(client):
    table = PagedTable(http_page_fetcher(client, "/items", mode="offset"), ["id"], page_size=5)
    assert table.total == len(ITEMS)
    assert "of 23" in table.status_html()


def test_previous_page_replays_the_position(client):
    table = PagedTable(http_page_fetcher(client, "/items"), ["id"], page_size=5)
    first = ids(table.rows)
    assert not table.has_previous
    table.next_page().next_page()
    assert table.page_number == 3 and ids(table.rows) == [11, 12, 13, 14, 15]
    table.previous_page()
    assert table.page_number == 2 and ids(table.rows) == [6, 7, 8, 9, 10]
    table.previous_page()
    assert table.page_number == 1 and ids(table.rows) == first
    table.previous_page()  # at page 1: nothing to go back to, no request
    assert table.page_number == 1


def test_sort_and_filter_restart_at_page_one(client):
    table = PagedTable(
        http_page_fetcher(client, "/items"),
        ["id"],
        page_size=5,
        sortable=["id", "name"],
        filters=["color"],
    )
    table.next_page()
    table.set_sort("id", descending=True)
    assert table.page_number == 1 and ids(table.rows) == [23, 22, 21, 20, 19]
    table.set_filter(color="red")
    assert all(r["color"] == "red" for r in table.rows) and table.page_number == 1
    reds = [r["id"] for page in table.pages() for r in page]
    assert reds == sorted((r["id"] for r in ITEMS if r["color"] == "red"), reverse=True)
    table.set_filter(color=None)
    assert table.query.filters == {}


def test_refused_request_keeps_state_and_shows_error(client):
    table = PagedTable(http_page_fetcher(client, "/items"), ["id"], page_size=5)
    before = ids(table.rows)
    table.set_sort("color")  # not whitelisted by the server
    assert table.error is not None and table.error.startswith("422")
    assert "sort" in table.error
    assert ids(table.rows) == before and table.query.sort is None
    assert "color:#b00020" in table.status_html()
    table.set_filter(color="purple")
    assert "color" in table.error
    table.reload()
    assert table.error is None


def test_pages_raises_on_a_refused_request(client):
    table = PagedTable(
        http_page_fetcher(client, "/items"), ["id"], page_size=5, sort="bogus", load=False
    )
    with pytest.raises(FetchError):
        list(table.pages())


def test_clicks_run_the_same_methods(client):
    table = PagedTable(
        http_page_fetcher(client, "/items"),
        ["id"],
        page_size=5,
        sortable=["id", "name"],
        filters=["color"],
    )
    assert table._prev.disabled and not table._next.disabled
    table._next.click()
    assert table.page_number == 2
    table._sort.value = "name"  # choosing in the dropdown sorts and resets
    assert table.query.sort == "name" and table.page_number == 1
    table._filter_inputs["color"].value = "blue"
    table._apply.click()
    assert table.query.filters == {"color": "blue"}
    assert all(r["color"] == "blue" for r in table.rows)


def test_cells_are_escaped(client):
    table = PagedTable(http_page_fetcher(client, "/items"), ["id", "name"], page_size=10)
    html = table.table_html()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_field_errors_reads_fastapi_and_problem_bodies():
    fastapi_body = {
        "detail": [
            {"loc": ["body", "email"], "msg": "bad email", "type": "value_error"},
            {"loc": ["body", "email"], "msg": "second complaint"},  # the first one is shown
            {"loc": ["body", "items", 2, "quantity"], "msg": "too big"},
            {"loc": ["body"], "msg": "emails differ"},
        ]
    }
    assert field_errors(fastapi_body) == {
        "email": "bad email",
        "items": "[2].quantity: too big",
        "": "emails differ",
    }
    problem = {"title": "Conflict", "errors": [{"field": "email", "message": "taken"}]}
    assert field_errors(problem) == {"email": "taken"}
    assert field_errors({"detail": "Not found"}) == {"": "Not found"}
    assert field_errors("Internal Server Error") == {"": "Internal Server Error"}
    assert field_errors({"title": "Bad cursor", "status": 400}) == {"": "Bad cursor"}


def test_form_from_model_reads_kinds_and_requiredness():
    form = RecordForm.from_model(Person, submit=lambda values: None)
    kinds = {name: f.kind for name, f in form.fields.items()}
    assert kinds == {
        "name": "text",
        "age": "integer",
        "newsletter": "boolean",
        "password": "password",
        "tags": "json",
        "nickname": "text",
        "team": "choice",
    }
    assert form.fields["team"].options == ("red", "blue")
    assert form._inputs["team"].options == ("", "red", "blue")
    with pytest.raises(ValueError, match="red, blue"):
        form.fill(team="green")  # a dropdown cannot hold a value it does not offer
    form.fill(team="blue")
    assert form.values()["team"] == "blue"
    assert form.fields["name"].label == "Full name" and form.fields["name"].required
    assert not form.fields["nickname"].required


def test_form_submit_valid_then_duplicate_then_invalid(client):
    form = RecordForm.from_model(Person, http_submitter(client, "/people"))
    before = len(client.get("/people").json())
    form.fill(name="Ada", age="36", password="s3cret", tags=["x"])
    assert form.values() == {
        "name": "Ada",
        "age": 36,
        "newsletter": False,
        "password": "s3cret",
        "tags": ["x"],
    }
    result = form.submit()
    assert result.status == 201 and form.ok and form.errors == {}
    assert len(client.get("/people").json()) == before + 1
    form.submit()  # the same record again: the server says 409, the form puts it on "name"
    assert form.result.status == 409 and form.errors == {"name": "name is taken"}
    assert "color:#b00020" in form._error_labels["name"].value
    form.fill(name="", age="abc")  # text that is not a number is sent as typed
    form.submit()
    assert form.result.status == 422 and set(form.errors) == {"name", "age"}
    assert form._error_labels["password"].value == ""
    assert len(client.get("/people").json()) == before + 1


def test_form_fill_rejects_unknown_fields_and_clear_resets():
    fields = [FormField("title"), FormField("pages", kind="integer", required=False)]
    form = RecordForm(fields, submit=lambda values: None)
    with pytest.raises(KeyError, match="title, pages"):
        form.fill(author="me")
    form.fill(title="SQL", pages=" 12 ")
    assert form.values() == {"title": "SQL", "pages": 12}
    form.clear()
    assert form.values() == {"title": ""}  # an empty optional field is left out


def test_form_button_shows_transport_errors_instead_of_raising():
    def broken(values):
        raise httpx.ConnectError("connection refused")

    form = RecordForm([FormField("title")], submit=broken)
    form._button.click()
    assert form.errors == {"": "ConnectError: connection refused"}
    assert "connection refused" in form._status.value


def test_close_closes_every_widget(client):
    table = PagedTable(http_page_fetcher(client, "/items"), ["id"], page_size=5, filters=["color"])
    form = RecordForm([FormField("title")], submit=lambda values: None)
    inner = [table._next, table._filter_inputs["color"], form._button, *form._inputs.values()]
    assert all(w.comm is not None for w in inner)
    table.close()
    form.close()
    assert all(w.comm is None for w in [table.view, form.view, *inner])


def test_problem_response_is_rfc_9457_and_reads_back_as_field_errors():
    response = problem_response(
        422, "q: must not be empty", errors=[{"loc": ["query", "q"], "msg": "empty"}]
    )
    assert response.status_code == 422
    assert response.media_type == "application/problem+json"
    body = json.loads(response.body)
    assert body["type"] == "about:blank" and body["title"] == "Unprocessable Entity"
    assert body["status"] == 422 and body["detail"] == "q: must not be empty"
    assert field_errors(body) == {"q": "empty"}
