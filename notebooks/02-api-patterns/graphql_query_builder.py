"""The query-builder panel of notebook 02-api-patterns/05: checkboxes to a GraphQL query.

The notebook shows this file in parts and builds the panel with its own `post_graphql`
(which sends a query to the live server and counts the SQL statements it ran).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import ipywidgets as widgets

# region build-query
FIELD_CHOICES = {
    "id": ("id",),
    "status": ("status",),
    "createdAt": ("createdAt",),
    "customer name": ("customer", "name"),
    "customer email": ("customer", "email"),
    "item quantities": ("items", "quantity"),
    "product names": ("items", "product", "name"),
}


def build_query(chosen: list[str]) -> str:
    """Merge the chosen field paths into one selection set (shared parents once)."""
    tree: dict = {}
    for label in chosen:
        node = tree
        for part in FIELD_CHOICES[label]:
            node = node.setdefault(part, {})

    def render(node: dict) -> str:
        return " ".join(
            name if not sub else f"{name} {{ {render(sub)} }}" for name, sub in node.items()
        )

    return f"query ($limit: Int!) {{ orders(limit: $limit) {{ {render(tree)} }} }}"


# endregion


# region panel
class QueryBuilderPanel:
    """Checkboxes -> a GraphQL query -> the live API; shows query, bytes and SQL count."""

    def __init__(self, post: Callable[[str, dict], tuple], limit: int):
        self.post, self.limit = post, limit
        self.result: dict | None = None
        self.boxes = {
            label: widgets.Checkbox(
                value=label in ("id", "status"), description=label, indent=False
            )
            for label in FIELD_CHOICES
        }
        self.run_button = widgets.Button(description="Run query", icon="play")
        self.run_button.on_click(lambda _button: self.run())
        self.output = widgets.HTML()
        self.view = widgets.VBox(
            [
                widgets.HBox(list(self.boxes.values())[:4]),
                widgets.HBox(list(self.boxes.values())[4:]),
                self.run_button,
                self.output,
            ],
            layout=widgets.Layout(border="1px solid #ddd", padding="8px"),
        )

    @property
    def chosen(self) -> list[str]:
        return [label for label, box in self.boxes.items() if box.value]

    def select(self, *labels: str) -> QueryBuilderPanel:
        unknown = set(labels) - set(FIELD_CHOICES)
        if unknown:
            raise KeyError(f"unknown fields {sorted(unknown)}; choose from {list(FIELD_CHOICES)}")
        for label, box in self.boxes.items():
            box.value = label in labels
        return self

    def run(self) -> dict:
        if not self.chosen:
            self.output.value = "<i>pick at least one field</i>"
            self.result = None
            return {}
        query = build_query(self.chosen)
        response, statements = self.post(query, {"limit": self.limit})
        body = response.json()
        self.result = {
            "query": query,
            "status": response.status_code,
            "bytes": len(response.content),
            "statements": statements,
            "rows": len((body.get("data") or {}).get("orders") or []),
            "errors": [e["message"] for e in body.get("errors", [])],
        }
        self.output.value = (
            f"<pre>{escape(query)}</pre><b>{self.result['bytes']:,} bytes</b>, "
            f"{self.result['statements']} SQL statements, {self.result['rows']} orders"
        )
        return self.result

    def _ipython_display_(self):
        from IPython.display import display

        display(self.view)


# endregion
