"""The paged-table widget the flow notebooks share, and its adapter for a REST list API.

The table keeps its logic in plain methods (`next_page()`, `set_sort()`, ...) that the
buttons call, so a headless run (nbval, papermill, a test) drives the same code a learner
clicks. It does not know the backend: it is given a callable that fetches a page, so one
`PagedTable` serves an offset API and a cursor API alike; `http_page_fetcher` builds that
callable for a REST endpoint shaped like the seed's pagination pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

import httpx
import ipywidgets as widgets

from backend_skills.problem_details import error_summary, response_body


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
        body = response_body(response)
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
        close_widget_tree(self.view)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)


def _replace(query: PageQuery, **changes: Any) -> PageQuery:
    return PageQuery(**{**query.__dict__, **changes})


def close_widget_tree(widget: widgets.Widget) -> None:
    for child in getattr(widget, "children", ()):
        close_widget_tree(child)
    widget.close()
