"""The decision-tree walker widget: one question at a time, back, reset, a leaf card.

Its methods (`choose`, `back`, `reset`) and `recommendation` are what a click calls, so a
headless run (nbval, papermill, a test) exercises the same logic a learner does.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import ipywidgets as widgets

from backend_skills.trees import DecisionTree, Node, load_skill_tree


class DecisionTreeWalker:
    """Walk a skill's decision tree. `link_base` is the path from the notebook to the repo root."""

    def __init__(self, tree: DecisionTree | str, *, link_base: str = "../../"):
        self.tree = load_skill_tree(tree) if isinstance(tree, str) else tree
        self.link_base = link_base
        self.path: list[str] = []
        self._breadcrumb = widgets.HTML()
        self._question = widgets.HTML()
        self._choices = widgets.VBox()
        self._card = widgets.HTML()
        self._back_button = widgets.Button(description="Back", icon="arrow-left")
        self._reset_button = widgets.Button(description="Start over", icon="refresh")
        self._back_button.on_click(lambda _button: self.back())
        self._reset_button.on_click(lambda _button: self.reset())
        self.view = widgets.VBox(
            [
                self._breadcrumb,
                self._question,
                self._choices,
                self._card,
                widgets.HBox([self._back_button, self._reset_button]),
            ],
            layout=widgets.Layout(border="1px solid #ddd", padding="8px"),
        )
        self._refresh()

    # The logic a click runs.
    @property
    def node(self) -> Node:
        return self.tree.walk(self.path)

    @property
    def options(self) -> list[str]:
        return [child.label for child in self.node.options]

    @property
    def recommendation(self) -> Node | None:
        """The leaf reached, or None while a question is still open."""
        node = self.node
        return node if node.is_leaf else None

    def choose(self, label: str) -> DecisionTreeWalker:
        chosen = self.node.option(label)  # raises UnknownChoice naming the options
        self.path.append(chosen.label)
        self._refresh()
        return self

    def walk(self, labels: Sequence[str]) -> DecisionTreeWalker:
        for label in labels:
            self.choose(label)
        return self

    def back(self) -> DecisionTreeWalker:
        if self.path:
            self.path.pop()
        self._refresh()
        return self

    def reset(self) -> DecisionTreeWalker:
        self.path.clear()
        self._refresh()
        return self

    # The view.
    def _refresh(self) -> None:
        node = self.node
        crumbs = " › ".join(escape(label) for label in ["Start", *self.path])
        self._breadcrumb.value = f"<small>{crumbs}</small>"
        self._back_button.disabled = not self.path
        if node.is_leaf:
            self._question.value = ""
            self._choices.children = ()
            self._card.value = self.card_html(node)
            return
        self._question.value = f"<b>{escape(node.question or '')}</b>"
        buttons = []
        for child in node.options:
            button = widgets.Button(
                description=child.label, layout=widgets.Layout(width="auto", min_width="320px")
            )
            button.on_click(lambda _button, label=child.label: self.choose(label))
            buttons.append(button)
        self._choices.children = tuple(buttons)
        self._card.value = ""

    def card_html(self, leaf: Node) -> str:
        items = "".join(f"<li>{escape(note)}</li>" for note in leaf.notes)
        skill_base = f"{self.link_base}skills/{self.tree.skill}"
        links = [
            f'<a href="{skill_base}/{ref}" target="_blank">{escape(ref)}</a>'
            for ref in leaf.references
        ]
        if leaf.notebook:
            links.append(
                f'<a href="{self.link_base}{leaf.notebook}" target="_blank">notebook: '
                f"{escape(leaf.notebook.rsplit('/', 1)[-1])}</a>"
            )
        return (
            '<div style="border-left:4px solid #2a9d8f;padding:4px 12px">'
            f"<div>Recommendation: <b>{escape(' or '.join(leaf.recommend))}</b></div>"
            f"<p>{escape(leaf.why or '')}</p>"
            + (f"<ul>{items}</ul>" if items else "")
            + (f"<div>Read next: {' · '.join(links)}</div>" if links else "")
            + "</div>"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
