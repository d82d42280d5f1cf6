"""The record-form widget the flow notebooks share, and its adapter for a REST endpoint.

The form keeps its logic in plain methods (`fill()`, `submit()`) that the buttons call, so
a headless run drives the same code a learner clicks. It is given a callable that submits
the values; `http_submitter` builds that callable for a JSON endpoint. The server is the
authority on validity: its 422 or problem-details body is shown next to the fields.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

import httpx
import ipywidgets as widgets
from pydantic import BaseModel, SecretStr

from backend_skills.paged_table import close_widget_tree
from backend_skills.problem_details import field_errors, response_body

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
        return SubmitResult(response.status_code, response_body(response))

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
        close_widget_tree(self.view)

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
