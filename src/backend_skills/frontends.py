"""ipywidgets frontends the flow notebooks share: a paged table and a record form.

Both widgets keep their logic in plain methods (`next_page()`, `set_sort()`, `fill()`,
`submit()`) that the buttons call, so a headless run (nbval, papermill, a test) drives the
same code a learner clicks. Neither knows the backend: each is given a callable that talks
to it, so one `PagedTable` serves an offset API and a cursor API alike, over HTTP or in
process. `http_page_fetcher` and `http_submitter` build those callables for a REST API.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

import httpx
import ipywidgets as widgets
from pydantic import BaseModel, SecretStr

# --------------------------------------------------------------------------- errors


def field_errors(body: Any) -> dict[str, str]:
    """Field name -> message from a 422/409 body; "" holds errors that belong to no field.

    Reads FastAPI's default `{"detail": [{"loc": [...], "msg": ...}]}` and RFC 9457 problem
    bodies with an `errors` list whose items carry `loc` (or `field`) and `msg` (or
    `message`/`detail`). A plain `{"detail": "text"}` becomes a form-level error.
    """
    if not isinstance(body, Mapping):
        return {"": str(body)} if body else {}
    items = body.get("errors")
    if items is None:
        items = body.get("detail")
    if isinstance(items, str):
        return {"": items}
    if not isinstance(items, list):
        text = body.get("title") or body.get("detail")
        return {"": str(text)} if text else {}
    errors: dict[str, str] = {}
    for item in items:
        if not isinstance(item, Mapping):
            errors.setdefault("", str(item))
            continue
        message = str(item.get("msg") or item.get("message") or item.get("detail") or item)
        loc = item.get("loc")
        if loc is None and item.get("field") is not None:
            loc = [item["field"]]
        name, rest = _split_loc(loc or [])
        if rest:
            # Keep the sub-path so a nested error (items[2].quantity) stays findable.
            message = f"{rest}: {message}"
        # First error per field wins: one clear message beats a pile.
        errors.setdefault(name, message)
    return errors


def _split_loc(loc: Sequence[Any]) -> tuple[str, str]:
    """("body", "items", 0, "quantity") -> ("items", "[0].quantity")."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    if not parts:
        return "", ""
    name, rest = str(parts[0]), ""
    for part in parts[1:]:
        rest += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name, rest.lstrip(".")


def error_summary(body: Any) -> str:
    """One line for a status bar: 'sort: Input should be ...; limit: ...'."""
    errors = field_errors(body)
    return "; ".join(f"{name}: {msg}" if name else msg for name, msg in errors.items())


# --------------------------------------------------------------------------- paged table


@dataclass(frozen=True)
class PageQuery:
    """What the table asks the backend for."""

    position: str | int | None  # None: the first page; else a Page.next_position
    limit: int
    sort: str | None
    descending: bool
    filters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One page of rows and where the next one starts (None: this is the last)."""

    rows: list[dict[str, Any]]
    next_position: str | int | None
    total: int | None = None  # offset APIs can count; cursor APIs usually do not


class FetchError(Exception):
    """The backend refused a page request (a 4xx); the table shows the message."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body


Fetch = Callable[[PageQuery], Page]


def http_page_fetcher(
    client: httpx.Client, path: str, *, mode: Literal["cursor", "offset"] = "cursor"
) -> Fetch:
    """A Fetch for a REST list endpoint shaped like the seed's pagination pattern.

    Request: `limit`, `sort`, `order=asc|desc`, the filters as query parameters, and
    `cursor=<token>` or `offset=<n>`. Response: `{"data": [...], "pagination":
    {"next_cursor": str|None}}` (cursor mode) or `{"next_offset": int|None, "total": n}`
    (offset mode).
    """
    if mode not in ("cursor", "offset"):
        raise ValueError(f"mode must be 'cursor' or 'offset', not {mode!r}")

    def fetch(query: PageQuery) -> Page:
        params: dict[str, Any] = {"limit": query.limit}
        if query.sort:
            params["sort"] = query.sort
            params["order"] = "desc" if query.descending else "asc"
        # Empty filters are left out: "" would be a value the API has to reject.
        params.update({k: v for k, v in query.filters.items() if v not in (None, "", [], ())})
        if mode == "offset":
            params["offset"] = query.position or 0
        elif query.position is not None:
            params["cursor"] = query.position
        response = client.get(path, params=params)
        body = _json_or_text(response)
        if response.status_code >= 400:
            raise FetchError(
                f"{response.status_code}: {error_summary(body)}",
                status=response.status_code,
                body=body,
            )
        pagination = body.get("pagination", {})
        key = "next_cursor" if mode == "cursor" else "next_offset"
        return Page(
            rows=list(body["data"]),
            next_position=pagination.get(key),
            total=pagination.get("total"),
        )

    return fetch


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


class PagedTable:
    """A table over a paged API: Prev/Next, a sort column and direction, text filters.

    `previous_page()` replays the position that produced the previous page (the table
    keeps the positions it has seen), so a cursor API needs no backward cursor. Changing
    the sort or the filters starts again at page 1: a cursor is only valid for the order
    and filters it was made under.
    """

    def __init__(
        self,
        fetch: Fetch,
        columns: Sequence[str],
        *,
        page_size: int = 20,
        sortable: Sequence[str] | None = None,
        sort: str | None = None,
        descending: bool = False,
        filters: Sequence[str] = (),
        title: str = "",
        load: bool = True,
    ):
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.fetch = fetch
        self.columns = list(columns)
        self.sortable = list(sortable if sortable is not None else columns)
        self.filter_names = list(filters)
        self.title = title
        self.query = PageQuery(None, page_size, sort, descending, {})
        self.page: Page | None = None
        self.error: str | None = None
        self.requests = 0  # how many fetches the table made (the notebooks count round trips)
        self._positions: list[str | int | None] = [None]  # position of each page seen
        self._syncing = False  # set while code updates the controls, so observers stay quiet

        self._table = widgets.HTML()
        self._status = widgets.HTML()
        self._prev = widgets.Button(description="Prev", icon="arrow-left")
        self._next = widgets.Button(description="Next", icon="arrow-right")
        self._sort = widgets.Dropdown(
            # "" stands for "no sort": a None value would read as "nothing selected".
            options=[("(none)", ""), *[(c, c) for c in self.sortable]],
            value="",
            description="Sort",
            layout=widgets.Layout(width="220px"),
        )
        self._descending = widgets.Checkbox(
            value=descending, description="descending", indent=False
        )
        self._filter_inputs = {
            name: widgets.Text(description=name, layout=widgets.Layout(width="240px"))
            for name in self.filter_names
        }
        self._apply = widgets.Button(description="Apply filters", icon="filter")
        self._prev.on_click(lambda _b: self._safely(self.previous_page))
        self._next.on_click(lambda _b: self._safely(self.next_page))
        self._sort.observe(self._on_sort_control, "value")
        self._descending.observe(self._on_sort_control, "value")
        self._apply.on_click(lambda _b: self._safely(self._apply_filter_controls))
        controls = [self._prev, self._next, self._sort, self._descending]
        filter_row = [*self._filter_inputs.values(), self._apply] if self._filter_inputs else []
        self.view = widgets.VBox(
            [
                widgets.HTML(f"<b>{escape(title)}</b>") if title else widgets.HTML(),
                widgets.HBox(controls),
                widgets.HBox(filter_row),
                self._status,
                self._table,
            ],
            layout=widgets.Layout(border="1px solid #ddd", padding="8px"),
        )
        self._sync_controls()
        if load:
            self.first_page()

    # The logic a click runs. Each method returns the table, so calls chain.
    @property
    def rows(self) -> list[dict[str, Any]]:
        return list(self.page.rows) if self.page else []

    @property
    def page_number(self) -> int:
        return len(self._positions)

    @property
    def has_next(self) -> bool:
        return self.page is not None and self.page.next_position is not None

    @property
    def has_previous(self) -> bool:
        return len(self._positions) > 1

    @property
    def total(self) -> int | None:
        return self.page.total if self.page else None

    def first_page(self) -> PagedTable:
        self._load([None], self.query)
        return self

    def next_page(self) -> PagedTable:
        if self.has_next:
            self._load([*self._positions, self.page.next_position], self.query)
        return self

    def previous_page(self) -> PagedTable:
        if self.has_previous:
            self._load(self._positions[:-1], self.query)
        return self

    def set_sort(self, column: str | None, descending: bool = False) -> PagedTable:
        self._load([None], _replace(self.query, sort=column, descending=descending))
        return self

    def set_filter(self, **filters: Any) -> PagedTable:
        """Merge filters (None or "" removes one) and go back to page 1."""
        merged = {**self.query.filters, **filters}
        merged = {k: v for k, v in merged.items() if v not in (None, "")}
        self._load([None], _replace(self.query, filters=merged))
        return self

    def clear_filters(self) -> PagedTable:
        self._load([None], _replace(self.query, filters={}))
        return self

    def reload(self) -> PagedTable:
        self._load(list(self._positions), self.query)
        return self

    def pages(self, *, max_pages: int = 100_000) -> Iterator[list[dict[str, Any]]]:
        """Walk from page 1 to the last page, yielding each page's rows (headless checks)."""
        self.first_page()
        for _ in range(max_pages):
            if self.error:
                raise FetchError(self.error)
            yield self.rows
            if not self.has_next:
                return
            self.next_page()
        raise RuntimeError(f"more than {max_pages} pages: is next_position stuck?")

    def _load(self, positions: list[str | int | None], query: PageQuery) -> None:
        """Fetch the page at positions[-1]; only a success changes the table's state."""
        request = _replace(query, position=positions[-1])
        self.requests += 1
        try:
            page = self.fetch(request)
        except FetchError as exc:
            # A refused request (bad filter, stale cursor) leaves the table as it was.
            self.error = str(exc)
        else:
            self.error = None
            self.page, self.query, self._positions = page, request, positions
        self._render()

    # The view.
    def _safely(self, action: Callable[[], Any]) -> None:
        """Run a click: a transport error shows in the status line, not as a traceback."""
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - a click must not raise into the frontend
            self.error = f"{type(exc).__name__}: {exc}"
            self._render()

    def _on_sort_control(self, _change: Any) -> None:
        if not self._syncing:
            self._safely(lambda: self.set_sort(self._sort.value or None, self._descending.value))

    def _apply_filter_controls(self) -> None:
        self.set_filter(**{name: box.value.strip() for name, box in self._filter_inputs.items()})

    def _sync_controls(self) -> None:
        self._syncing = True
        try:
            if self.query.sort in self.sortable or self.query.sort is None:
                self._sort.value = self.query.sort or ""
            self._descending.value = self.query.descending
            for name, box in self._filter_inputs.items():
                box.value = str(self.query.filters.get(name, ""))
        finally:
            self._syncing = False

    def _render(self) -> None:
        self._sync_controls()
        self._prev.disabled = not self.has_previous
        self._next.disabled = not self.has_next
        self._table.value = self.table_html()
        self._status.value = self.status_html()

    def status_html(self) -> str:
        if self.error:
            return f'<span style="color:#b00020">{escape(self.error)}</span>'
        if self.page is None:
            return ""
        shown = len(self.page.rows)
        first = (self.page_number - 1) * self.query.limit + 1 if shown else 0
        of = f" of {self.total:,}" if self.total is not None else ""
        return f"Page {self.page_number} · rows {first:,}–{first + shown - 1 if shown else 0:,}{of}"

    def table_html(self) -> str:
        def header(column: str) -> str:
            arrow = ""
            if column == self.query.sort:
                arrow = " ▼" if self.query.descending else " ▲"
            return f"<th style='text-align:left;padding:2px 8px'>{escape(column)}{arrow}</th>"

        head = "".join(header(c) for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td style='padding:2px 8px'>{escape(str(row.get(c, '')))}</td>"
                for c in self.columns
            )
            + "</tr>"
            for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def close(self) -> None:
        """Close the widgets: frees their state in the kernel (and in a saved notebook)."""
        _close_tree(self.view)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)


def _close_tree(widget: widgets.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


def _replace(query: PageQuery, **changes: Any) -> PageQuery:
    return PageQuery(**{**query.__dict__, **changes})


# --------------------------------------------------------------------------- record form

FieldKind = Literal["text", "password", "integer", "number", "boolean", "choice", "json"]


@dataclass(frozen=True)
class FormField:
    """One input of a RecordForm; `kind` picks the widget and how its text is sent."""

    name: str
    label: str = ""
    kind: FieldKind = "text"
    required: bool = True
    description: str = ""
    options: tuple[str, ...] = ()  # the values of a "choice" field (a dropdown)


@dataclass(frozen=True)
class SubmitResult:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


Submit = Callable[[dict[str, Any]], SubmitResult]


def http_submitter(client: httpx.Client, path: str, *, method: str = "POST") -> Submit:
    """A Submit that sends the form's values as a JSON body and returns status and body."""

    def submit(values: dict[str, Any]) -> SubmitResult:
        response = client.request(method, path, json=values)
        return SubmitResult(response.status_code, _json_or_text(response))

    return submit


def _kind_of(annotation: Any) -> tuple[FieldKind, tuple[str, ...]]:
    """The widget kind (and choices) for a pydantic field annotation; Optional[X] reads as X."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _kind_of(inner[0]) if len(inner) == 1 else ("json", ())
    if origin is Literal and all(isinstance(a, str) for a in typing.get_args(annotation)):
        return "choice", tuple(typing.get_args(annotation))
    return _plain_kind(annotation), ()


def _plain_kind(annotation: Any) -> FieldKind:
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if annotation is float:
        return "number"
    if annotation is SecretStr:
        return "password"
    if annotation is str:
        return "text"
    return "json"  # lists, dicts, nested models: typed as JSON text


class RecordForm:
    """A form that posts one record and shows the server's field errors next to the fields.

    The server is the authority on validity: the form converts text to the field's type
    when it can and otherwise sends the text as typed, so the 422 explains what is wrong.
    """

    def __init__(
        self,
        fields: Sequence[FormField],
        submit: Submit,
        *,
        title: str = "",
        submit_label: str = "Save",
    ):
        self.fields = {f.name: f for f in fields}
        self._submit = submit
        self.errors: dict[str, str] = {}  # field name -> message; "" for the whole form
        self.result: SubmitResult | None = None
        self.submissions = 0
        self._inputs: dict[str, widgets.Widget] = {}
        self._error_labels: dict[str, widgets.HTML] = {}
        rows = []
        for f in fields:
            self._inputs[f.name] = self._input_for(f)
            self._error_labels[f.name] = widgets.HTML()
            label = (f.label or f.name) + (" *" if f.required else "")
            rows.append(
                widgets.HBox(
                    [
                        widgets.HTML(
                            f"<span title='{escape(f.description)}'>{escape(label)}</span>",
                            layout=widgets.Layout(width="140px"),
                        ),
                        self._inputs[f.name],
                        self._error_labels[f.name],
                    ]
                )
            )
        self._status = widgets.HTML()
        self._button = widgets.Button(
            description=submit_label, button_style="primary", icon="check"
        )
        self._button.on_click(lambda _b: self._safely_submit())
        self.view = widgets.VBox(
            [
                widgets.HTML(f"<b>{escape(title)}</b>") if title else widgets.HTML(),
                *rows,
                widgets.HBox([self._button, self._status]),
            ],
            layout=widgets.Layout(border="1px solid #ddd", padding="8px"),
        )

    @classmethod
    def from_model(cls, model: type[BaseModel], submit: Submit, **kwargs: Any) -> RecordForm:
        """One input per field of a pydantic model, in declaration order."""
        fields = []
        for name, info in model.model_fields.items():
            kind, options = _kind_of(info.annotation)
            fields.append(
                FormField(
                    name=name,
                    label=info.title or name.replace("_", " ").capitalize(),
                    kind=kind,
                    required=info.is_required(),
                    description=info.description or "",
                    options=options,
                )
            )
        return cls(fields, submit, **kwargs)

    @staticmethod
    def _input_for(f: FormField) -> widgets.Widget:
        layout = widgets.Layout(width="320px")
        if f.kind == "boolean":
            return widgets.Checkbox(value=False, indent=False)
        if f.kind == "password":
            return widgets.Password(layout=layout)
        if f.kind == "choice":  # "" first: nothing chosen yet, and the server says so
            return widgets.Dropdown(options=["", *f.options], value="", layout=layout)
        if f.kind == "json":
            return widgets.Textarea(
                placeholder="JSON", layout=widgets.Layout(width="320px", height="64px")
            )
        return widgets.Text(layout=layout)

    # The logic a click runs.
    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    def fill(self, **values: Any) -> RecordForm:
        """Type into the inputs; lists and dicts go into JSON fields as JSON text."""
        unknown = set(values) - set(self.fields)
        if unknown:
            raise KeyError(
                f"no field {sorted(unknown)} in this form (fields: {', '.join(self.fields)})"
            )
        for name, value in values.items():
            box = self._inputs[name]
            choices = self.fields[name].options
            if self.fields[name].kind == "choice" and value not in ("", None, *choices):
                raise ValueError(f"{name}: {value!r} is not one of {', '.join(choices)}")
            if self.fields[name].kind == "boolean":
                box.value = bool(value)
            elif self.fields[name].kind == "json" and not isinstance(value, str):
                box.value = json.dumps(value)
            else:
                box.value = "" if value is None else str(value)
        return self

    def clear(self) -> RecordForm:
        for name in self.fields:
            box = self._inputs[name]
            box.value = False if self.fields[name].kind == "boolean" else ""
        self.errors, self.result = {}, None
        self._render()
        return self

    def values(self) -> dict[str, Any]:
        """The request body: empty optional fields are left out, text typed where it parses."""
        body: dict[str, Any] = {}
        for name, f in self.fields.items():
            raw = self._inputs[name].value
            if f.kind == "boolean":
                body[name] = bool(raw)
                continue
            if raw == "" and not f.required:
                continue
            body[name] = _typed(raw, f.kind)
        return body

    def submit(self) -> SubmitResult:
        self.submissions += 1
        self.result = self._submit(self.values())
        self.errors = (
            {}
            if self.result.ok
            else (field_errors(self.result.body) or {"": f"HTTP {self.result.status}"})
        )
        self._render()
        return self.result

    # The view.
    def _safely_submit(self) -> None:
        try:
            self.submit()
        except Exception as exc:  # noqa: BLE001 - a click must not raise into the frontend
            self.errors, self.result = {"": f"{type(exc).__name__}: {exc}"}, None
            self._render()

    def _render(self) -> None:
        for name, label in self._error_labels.items():
            message = self.errors.get(name, "")
            label.value = f'<span style="color:#b00020">{escape(message)}</span>' if message else ""
        # Errors for fields the form does not show (e.g. an unknown field) go to the status.
        orphans = {k: v for k, v in self.errors.items() if k not in self.fields}
        if self.result is not None and self.result.ok:
            self._status.value = (
                f'<span style="color:#2a9d8f">Saved (HTTP {self.result.status})</span>'
            )
        elif orphans or self.errors:
            text = "; ".join(f"{k}: {v}" if k else v for k, v in orphans.items())
            status = f"HTTP {self.result.status}: " if self.result else ""
            self._status.value = (
                f'<span style="color:#b00020">{escape(status + (text or "see the fields"))}</span>'
            )
        else:
            self._status.value = ""

    def close(self) -> None:
        """Close the widgets: frees their state in the kernel (and in a saved notebook)."""
        _close_tree(self.view)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)


def _typed(raw: str, kind: FieldKind) -> Any:
    """Text to the field's type when it parses; else the text itself, for the server to judge."""
    text = raw.strip() if kind in ("integer", "number") else raw
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "json":
            return json.loads(text)
    except ValueError:
        return raw
    return raw
