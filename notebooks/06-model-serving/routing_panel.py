"""The operator panel: break the primary by hand and watch the router keep answering.

Sliders set the primary's faults (they call `inject`, which sets the FaultInjector in
front of the real server); Send routes a chat request through the `Router` (it calls
`send`). The status line shows which server answered, the breaker's state and the
latency; the log keeps the last requests. A headless run calls `inject`, `heal` and
`send`, the methods the widgets call.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets
from routing_client import Routed, Router
from routing_faults import FaultyServer

COLOURS = {
    "primary": "#2e7d32",
    "fallback": "#ef6c00",
    "cache": "#6a1b9a",
    "degraded": "#c62828",
    "rejected": "#555",
}


# region panel
class OperatorPanel:
    """``panel.inject(drops=1.0)``, ``panel.send("...")``, ``panel.heal()``; ``panel.view``."""

    RATES = ("errors", "rate_limits", "drops")

    def __init__(self, router: Router, primary: FaultyServer, *, log_size: int = 8) -> None:
        self.router, self.primary, self.log_size = router, primary, log_size
        self.history: list[Routed] = []
        self._syncing = False
        self.sliders = {
            name: widgets.FloatSlider(0.0, min=0, max=1, step=0.05, description=name)
            for name in self.RATES
        }
        self.sliders["latency_ms"] = widgets.IntSlider(
            0, min=0, max=1000, step=50, description="latency_ms"
        )
        for name, slider in self.sliders.items():
            slider.observe(lambda change, name=name: self._slid(name, change["new"]), "value")
        self.prompt = widgets.Text("A circuit breaker opens when", layout={"width": "60%"})
        self.button = widgets.Button(description="Send", icon="paper-plane")
        self.button.on_click(lambda _button: self.send())
        self.status, self.log = widgets.HTML(), widgets.HTML()
        faults = widgets.VBox([widgets.HTML("<b>Primary's faults</b>"), *self.sliders.values()])
        chat = widgets.VBox([widgets.HBox([self.prompt, self.button]), self.status, self.log])
        self.view = widgets.HBox([faults, chat])
        self._refresh()

    def inject(self, **faults) -> None:
        """Set the primary's faults (e.g. errors=0.5, latency_ms=300); sliders follow."""
        self.primary.injector.set(**faults)
        self._syncing = True
        try:
            for name, value in faults.items():
                if name in self.sliders:
                    self.sliders[name].value = value
        finally:
            self._syncing = False
        self._refresh()

    def heal(self) -> None:
        self.inject(errors=0.0, rate_limits=0.0, drops=0.0, latency_ms=0)

    def send(self, prompt: str | None = None) -> Routed:
        routed = self.router.chat(prompt if prompt is not None else self.prompt.value)
        self.history.append(routed)
        self._refresh()
        return routed

    def _slid(self, name: str, value) -> None:
        if not self._syncing:
            self.inject(**{name: value})

    def _refresh(self) -> None:
        breaker = self.router.breaker.state
        if self.history:
            last = self.history[-1]
            self.status.value = (
                f"<b>answered by</b> {badge(last.served_by)} &nbsp; <b>breaker</b> {breaker}"
                f" &nbsp; <b>latency</b> {last.latency_s * 1000:.0f} ms"
            )
        else:
            self.status.value = f"<b>breaker</b> {breaker}; nothing sent yet"
        rows = "".join(
            f"<tr><td>{badge(r.served_by)}</td><td>{r.latency_s * 1000:.0f} ms</td>"
            f"<td>{r.primary_attempts}</td><td>{escape(r.error)}</td>"
            f"<td>{escape(r.text[:60])}</td></tr>"
            for r in reversed(self.history[-self.log_size :])
        )
        self.log.value = (
            "<table><tr><th>served by</th><th>latency</th><th>primary tries</th>"
            f"<th>errors</th><th>answer</th></tr>{rows}</table>"
        )


def badge(served_by: str) -> str:
    colour = COLOURS.get(served_by, "#000")
    return f"<span style='color:{colour};font-weight:bold'>{served_by}</span>"


# endregion
