"""The dashboard of 06-dashboards-flow: date pickers and a granularity above three charts.

Every refresh is one GET /dashboard; the notebook's headless checks call `set_range`, the
method the Refresh button calls, so a run without a browser exercises the clicks' code.
"""

from __future__ import annotations

import json
from datetime import date
from html import escape
from typing import Literal

import httpx
import ipywidgets as widgets
import plotly.graph_objects as go

from backend_skills.problem_details import error_summary

Granularity = Literal["day", "week", "month"]


# region controls
class Dashboard:
    """Revenue, top products and order statuses for a date range, from GET /dashboard."""

    def __init__(self, client: httpx.Client, start: date, end: date, granularity: Granularity):
        self.client = client
        self.data: dict | None = None
        self.error: str | None = None
        self.figures: dict[str, go.Figure] = {}
        self.requests = 0
        self._start = widgets.DatePicker(description="From", value=start)
        self._end = widgets.DatePicker(description="To", value=end)
        self._granularity = widgets.Dropdown(
            description="Per", value=granularity, options=["day", "week", "month"]
        )
        self._refresh = widgets.Button(description="Refresh", icon="refresh")
        self._refresh.on_click(
            lambda _b: self.set_range(self._start.value, self._end.value, self._granularity.value)
        )
        self._status = widgets.HTML()
        self._outputs = {name: widgets.Output() for name in ("revenue", "top_products", "status")}
        self.view = widgets.VBox(
            [
                widgets.HBox([self._start, self._end, self._granularity, self._refresh]),
                self._status,
                self._outputs["revenue"],
                widgets.HBox([self._outputs["top_products"], self._outputs["status"]]),
            ]
        )
        self.set_range(start, end, granularity)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)

    # endregion

    # region set-range
    def set_range(
        self, start: date, end: date, granularity: Granularity | None = None
    ) -> Dashboard:
        params = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "granularity": granularity or self._granularity.value,
        }
        self.requests += 1
        response = self.client.get("/dashboard", params=params)
        if response.status_code != 200:  # a 422: say why, and keep the last good charts
            self.error = f"{response.status_code}: {error_summary(response.json())}"
            self._status.value = f'<span style="color:#b00020">{escape(self.error)}</span>'
            return self
        self.error, self.data = None, response.json()
        self._start.value, self._end.value = start, end
        self._granularity.value = self.data["range"]["granularity"]
        self.figures = build_figures(self.data)
        for name, fig in self.figures.items():
            # The figure's JSON goes straight into the Output widget. Output.append_display_data
            # would not do: a plotly figure displays itself, into the cell instead of the widget.
            bundle = {
                "application/vnd.plotly.v1+json": json.loads(fig.to_json()),
                "text/plain": f"<{name} chart>",
            }
            self._outputs[name].outputs = (
                {"output_type": "display_data", "data": bundle, "metadata": {}},
            )
        euros = sum(r["revenue_cents"] for r in self.data["revenue"]) / 100
        self._status.value = (
            f"{start} – {end}: revenue {euros:,.2f} in {len(self.data['revenue'])} periods"
        )
        return self

    # endregion


# region figures
def build_figures(data: dict) -> dict[str, go.Figure]:
    """The three charts of one GET /dashboard answer."""
    per = data["range"]["granularity"]
    revenue = go.Figure(
        go.Bar(
            x=[r["period"] for r in data["revenue"]],
            y=[r["revenue_cents"] / 100 for r in data["revenue"]],
            marker_color="#2a9d8f",
        )
    )
    revenue.update_layout(
        title=f"Revenue per {per}",
        xaxis_title=f"{per} starting",
        yaxis_title="revenue",
        height=300,
        margin={"t": 40, "b": 30},
    )
    products = go.Figure(
        go.Bar(
            x=[p["revenue_cents"] / 100 for p in data["top_products"]][::-1],
            y=[p["product"] for p in data["top_products"]][::-1],
            orientation="h",
            marker_color="#264653",
        )
    )
    products.update_layout(
        title="Top products",
        xaxis_title="revenue",
        yaxis_title="product",
        width=480,
        height=300,
        margin={"l": 200, "t": 40, "b": 30},
    )
    status = go.Figure(
        go.Pie(
            labels=[s["status"] for s in data["status"]],
            values=[s["orders"] for s in data["status"]],
            sort=False,
        )
    )
    status.update_layout(title="Orders by status", width=380, height=300, margin={"t": 40, "b": 30})
    return {"revenue": revenue, "top_products": products, "status": status}


# endregion
