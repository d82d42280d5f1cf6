"""A pipeline console: run the ingestion, edit or break a document, see what the run did (05-03).

The buttons call ``run()``, ``edit_document()``, ``break_document()`` and ``repair()``,
the methods a headless run calls, so the notebook checks the same logic the buttons run.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets
import pandas as pd
from embedding_pipeline import Pipeline, RunStats, one_chunk_edit

LATIN_1_LINE = "\n\nCaf\u00e9 au lait, saved by an editor set to Latin-1.\n"


class PipelineConsole:
    """Buttons over a Pipeline and a status table of its last run."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.last: RunStats | None = None
        self.broken: dict[str, bytes] = {}  # path -> its bytes before it was broken
        self.events: list[str] = []
        buttons = {
            "Run": self.run,
            "Edit a document": self.edit_document,
            "Break a document": self.break_document,
            "Repair": self.repair,
        }
        row = []
        for label, action in buttons.items():
            button = widgets.Button(description=label)
            button.on_click(lambda _button, action=action: action())
            row.append(button)
        self.status = widgets.HTML()
        self.view = widgets.VBox([widgets.HBox(row), self.status])
        self.render()

    def run(self) -> RunStats:
        self.last = self.pipeline.run()
        self.events.append(
            f"run: {self.last.embedded} embedded, {self.last.dead_letters} dead letters"
        )
        self.render()
        return self.last

    def edit_document(self) -> str:
        """Change one sentence of the first document where that changes one chunk."""
        p = self.pipeline
        for path in p.paths():
            if path in self.broken:
                continue
            text = (p.docs_dir / path).read_text(encoding="utf-8")
            edit = one_chunk_edit(text, p.chunker, p.size, p.overlap)
            if edit is not None:
                (p.docs_dir / path).write_text(text.replace(*edit), encoding="utf-8")
                self.events.append(f"edited one sentence of {path}")
                self.render()
                return path
        raise LookupError("no document has a sentence whose edit changes a single chunk")

    def break_document(self) -> str:
        """Append a Latin-1 line to the first intact document: it is no longer UTF-8."""
        path = next(path for path in self.pipeline.paths() if path not in self.broken)
        file = self.pipeline.docs_dir / path
        self.broken[path] = file.read_bytes()
        file.write_bytes(self.broken[path] + LATIN_1_LINE.encode("latin-1"))
        self.events.append(f"broke {path} (a Latin-1 byte)")
        self.render()
        return path

    def repair(self) -> list[str]:
        """Put every broken document's bytes back as they were."""
        repaired = sorted(self.broken)
        for path in repaired:
            (self.pipeline.docs_dir / path).write_bytes(self.broken.pop(path))
        self.events.append(f"repaired {len(repaired)} document(s)")
        self.render()
        return repaired

    def render(self) -> None:
        counts = self.last.counts() if self.last else {}
        table = pd.DataFrame([counts]).to_html(index=False) if counts else "<p>No run yet.</p>"
        letters = "".join(
            f"<li><code>{escape(path)}</code> ({stage}, tries: {attempts}): {escape(reason)}</li>"
            for path, stage, reason, attempts in self.pipeline.dead_letters()
        )
        recent = "".join(f"<li>{escape(event)}</li>" for event in self.events[-4:])
        self.status.value = (
            f"<b>Last run</b>{table}<b>Dead letters</b><ul>{letters or '<li>none</li>'}</ul>"
            f"<b>Recent</b><ul>{recent}</ul>"
        )
