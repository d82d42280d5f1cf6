"""A model card with a "try it" box over onnxruntime sessions (notebook 06-05).

Pick a model (fp32, dynamic int8, static int8): its card shows what was measured about it.
Pick a test digit, press Predict: the chosen session runs on that one row and the panel
shows the label, the ten probabilities and how long the call took. ``choose``, ``pick``
and ``predict`` are what the buttons run, so a headless run exercises the same logic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import onnxruntime as ort


@dataclass(frozen=True)
class Prediction:
    model: str
    index: int  # the test row
    label: int
    probabilities: tuple[float, ...]  # one per digit 0..9
    latency_ms: float  # this one call, wall clock


# region panel
class ModelCardPanel:
    """SESSIONS by name; CARDS: name -> facts to show; ROWS/TRUTH: the test digits."""

    def __init__(
        self,
        sessions: dict[str, ort.InferenceSession],
        cards: dict[str, dict[str, str]],
        rows: np.ndarray,
        truth: np.ndarray,
    ) -> None:
        self.sessions, self.cards, self.rows, self.truth = sessions, cards, rows, truth
        self.last: Prediction | None = None
        self._model = widgets.ToggleButtons(options=list(sessions), description="Model")
        self._index = widgets.IntSlider(0, min=0, max=len(rows) - 1, description="Test digit")
        self._go = widgets.Button(description="Predict", button_style="primary")
        self._card, self._digit, self._result = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self._model.observe(lambda _: self._show_card(), names="value")
        self._index.observe(lambda _: self._show_digit(), names="value")
        self._go.on_click(lambda _: self.predict())
        self._show_card()
        self._show_digit()
        self.view = widgets.VBox(
            [
                self._model,
                self._card,
                widgets.HBox([self._index, self._go]),
                widgets.HBox([self._digit, self._result]),
            ]
        )

    def choose(self, model: str) -> None:
        if model not in self.sessions:
            raise ValueError(f"unknown model {model!r} (known: {', '.join(self.sessions)})")
        self._model.value = model

    def pick(self, index: int) -> None:
        self._index.value = index

    def predict(self, index: int | None = None) -> Prediction:
        """Run the chosen model on test row INDEX (default: the slider's)."""
        if index is not None:
            self.pick(index)
        session = self.sessions[self._model.value]
        row = self.rows[self._index.value : self._index.value + 1]  # a batch of one
        started = time.perf_counter()
        label, probabilities = session.run(None, {session.get_inputs()[0].name: row})
        elapsed = time.perf_counter() - started
        self.last = Prediction(
            self._model.value,
            self._index.value,
            int(label[0]),
            tuple(float(p) for p in probabilities[0]),
            elapsed * 1e3,
        )
        self._result.value = self._render(self.last, int(self.truth[self._index.value]))
        return self.last

    # endregion

    def _show_card(self) -> None:
        facts = "".join(
            f"<tr><td>{key}</td><td><b>{value}</b></td></tr>"
            for key, value in self.cards[self._model.value].items()
        )
        self._card.value = f"<table>{facts}</table>"
        self._result.value = ""

    def _show_digit(self) -> None:
        pixels = self.rows[self._index.value].reshape(8, 8)
        cells = "".join(
            "<tr>"
            + "".join(
                f'<td style="width:14px;height:14px;padding:0;'
                f'background:rgb({255 - int(255 * v)},{255 - int(255 * v)},{255 - int(255 * v)})">'
                "</td>"
                for v in line
            )
            + "</tr>"
            for line in pixels
        )
        self._digit.value = f'<table style="border-collapse:collapse">{cells}</table>'
        self._result.value = ""

    @staticmethod
    def _render(prediction: Prediction, truth: int) -> str:
        verdict = "right" if prediction.label == truth else f"wrong (it is a {truth})"
        bars = "".join(
            f"<div>{digit} "
            f'<span style="display:inline-block;height:9px;width:{int(150 * p)}px;'
            f'background:{"#1f77b4" if digit == prediction.label else "#aaa"}"></span>'
            f" {p:.3f}</div>"
            for digit, p in enumerate(prediction.probabilities)
        )
        return (
            f"<div style='margin-left:16px'><b>{prediction.label}</b>, {verdict}; "
            f"{prediction.latency_ms:.3f} ms ({prediction.model})<br>{bars}</div>"
        )
