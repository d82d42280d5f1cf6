"""The load-generator panel of notebook 02-api-patterns/07: a request rate, a count, Run.

The notebook shows this file and builds the panel with its own httpx client; `configure`
and `run` are what the sliders and the button call, so a headless run drives it too.
"""

from __future__ import annotations

import time
from html import escape

import httpx
import ipywidgets as widgets


class LoadGenerator:
    def __init__(self, client: httpx.Client, path: str):
        self.client, self.path, self.runs = client, path, 0
        self.last: dict | None = None
        self.rate = widgets.IntSlider(value=4, min=1, max=100, description="req/s")
        self.count = widgets.IntSlider(value=10, min=1, max=60, description="requests")
        self.button = widgets.Button(description="Run", icon="play")
        self.button.on_click(lambda _button: self.run())
        self.table = widgets.HTML()
        self.view = widgets.VBox(
            [widgets.HBox([self.rate, self.count, self.button]), self.table],
            layout=widgets.Layout(border="1px solid #ddd", padding="8px"),
        )

    def configure(self, rate: int | None = None, requests: int | None = None) -> LoadGenerator:
        if rate is not None:
            self.rate.value = rate
        if requests is not None:
            self.count.value = requests
        return self

    def run(self) -> dict:
        self.runs += 1
        headers = {"X-API-Key": f"load-{self.runs}"}  # a fresh key: a full bucket
        interval = 1.0 / self.rate.value
        statuses, started = [], time.perf_counter()
        for i in range(self.count.value):
            delay = started + i * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            statuses.append(self.client.get(self.path, headers=headers).status_code)
        seconds = time.perf_counter() - started
        self.last = {
            "rate": self.rate.value,
            "sent": len(statuses),
            "ok": statuses.count(200),
            "limited": statuses.count(429),
            "seconds": round(seconds, 2),
        }
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in self.last.items())
        self.table.value = f"<table>{rows}</table>"
        return self.last

    def _ipython_display_(self):
        from IPython.display import display

        display(self.view)
