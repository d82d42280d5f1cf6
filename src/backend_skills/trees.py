"""Decision trees: the one source of each skill's `decision-tree.yaml`.

Load and validate a tree (errors name the file and the path inside the tree), walk it by
labels (case-insensitive), and render the ASCII tree that SKILL.md shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from backend_skills.paths import repo_root, skills_dir

ROOT_KEYS = {"skill", "question", "options"}
INNER_KEYS = {"label", "question", "options", "why", "notes"}
LEAF_KEYS = {"label", "recommend", "why", "notes", "references", "notebook"}
PATH_SEPARATOR = ">"

TREE_BLOCK_BEGIN = "<!-- decision-tree: generated from decision-tree.yaml; do not edit -->"
TREE_BLOCK_END = "<!-- end decision-tree -->"


class TreeError(ValueError):
    """A decision tree file that does not follow the schema; `errors` lists every problem."""

    def __init__(self, errors: Sequence[str]):
        self.errors = list(errors)
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(self.errors[0] + more)


class UnknownChoice(LookupError):
    """A label that is not an option at this point of the walk."""


@dataclass(frozen=True)
class Node:
    """An inner node (question + options) or a leaf (recommend + why); the root has no label."""

    label: str | None
    question: str | None = None
    options: tuple[Node, ...] = ()
    recommend: tuple[str, ...] = ()
    why: str | None = None
    notes: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    notebook: str | None = None

    @property
    def is_leaf(self) -> bool:
        return not self.options

    def option(self, label: str) -> Node:
        wanted = " ".join(label.split()).casefold()
        for child in self.options:
            if child.label.casefold() == wanted:
                return child
        known = "; ".join(child.label for child in self.options)
        raise UnknownChoice(f"{label!r} is not an option of {self.question!r} (options: {known})")

    def leaves(self) -> Iterable[tuple[tuple[str, ...], Node]]:
        """Every leaf with the labels that lead to it."""
        for child in self.options:
            if child.is_leaf:
                yield (child.label,), child
            else:
                for path, leaf in child.leaves():
                    yield (child.label, *path), leaf


@dataclass(frozen=True)
class DecisionTree:
    skill: str
    root: Node
    source: Path

    @property
    def question(self) -> str:
        return self.root.question or ""

    def walk(self, labels: Sequence[str]) -> Node:
        node = self.root
        for label in labels:
            if node.is_leaf:
                raise UnknownChoice(f"{label!r}: the walk already ended at {node.label!r}")
            node = node.option(label)
        return node

    def leaf(self, labels: Sequence[str]) -> Node:
        node = self.walk(labels)
        if not node.is_leaf:
            raise UnknownChoice(
                f"the path stops at a question: {node.question!r} "
                f"(options: {'; '.join(c.label for c in node.options)})"
            )
        return node


def parse_path(text: str) -> list[str]:
    """'Rapid prototyping > Python' -> ['Rapid prototyping', 'Python']."""
    parts = [part.strip() for part in text.split(PATH_SEPARATOR)]
    if not text.strip() or any(not part for part in parts):
        raise UnknownChoice(f"empty step in path {text!r}; write labels joined by ' > '")
    return parts


def tree_file(skill: str) -> Path:
    return skills_dir() / skill / "decision-tree.yaml"


def load_skill_tree(skill: str) -> DecisionTree:
    path = tree_file(skill)
    if not path.is_file():
        raise FileNotFoundError(f"no decision tree for skill {skill!r} ({path} is missing)")
    return load_tree(path)


def load_tree(path: Path) -> DecisionTree:
    """Parse and validate one decision-tree.yaml; raise TreeError listing every problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise TreeError(
            [f"{path}:{where} not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from None
    checker = _Checker(path)
    root = checker.root(raw)
    if checker.errors:
        raise TreeError(checker.errors)
    return DecisionTree(skill=raw["skill"], root=root, source=path)


class _Checker:
    def __init__(self, path: Path):
        self.path = path
        self.skill_dir = path.parent
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{self.path}: {where}: {message}")

    def root(self, raw: object) -> Node:
        if not isinstance(raw, dict):
            self.error("(top)", "the file must hold a mapping with skill, question, options")
            return Node(label=None)
        self.unknown_keys("(top)", raw, ROOT_KEYS)
        skill = raw.get("skill")
        if skill != self.skill_dir.name:
            self.error("skill", f"{skill!r} must equal the folder name {self.skill_dir.name!r}")
        question = self.text("(top)", raw, "question", required=True)
        options = self.options("(top)", raw.get("options"))
        return Node(label=None, question=question, options=options)

    def options(self, where: str, raw: object) -> tuple[Node, ...]:
        if not isinstance(raw, list) or not raw:
            self.error(where, "options must be a non-empty list")
            return ()
        nodes, seen = [], {}
        for index, item in enumerate(raw):
            label = item.get("label") if isinstance(item, dict) else None
            here = f"options[{index}]" if where == "(top)" else f"{where} > options[{index}]"
            if isinstance(label, str):
                here += f" {label!r}"
                key = " ".join(label.split()).casefold()
                if key in seen:
                    self.error(here, f"duplicate label (same as options[{seen[key]}])")
                seen[key] = index
            nodes.append(self.node(here, item))
        return tuple(nodes)

    def node(self, where: str, raw: object) -> Node:
        if not isinstance(raw, dict):
            self.error(where, "an option must be a mapping")
            return Node(label="?")
        label = self.text(where, raw, "label", required=True) or "?"
        if PATH_SEPARATOR in label:
            self.error(
                where, f"a label cannot contain {PATH_SEPARATOR!r} (it separates path steps)"
            )
        has_options, has_recommend = "options" in raw, "recommend" in raw
        if has_options and has_recommend:
            self.error(
                where, "a node has either recommend (a leaf) or options (a question), not both"
            )
        if has_options:
            self.unknown_keys(where, raw, INNER_KEYS)
            return Node(
                label=label,
                question=self.text(where, raw, "question", required=True),
                options=self.options(where, raw.get("options")),
                why=self.text(where, raw, "why"),
                notes=self.strings(where, raw, "notes"),
            )
        if not has_recommend:
            self.error(where, "a node needs recommend (a leaf) or question + options")
        self.unknown_keys(where, raw, LEAF_KEYS)
        recommend = self.strings(where, raw, "recommend")
        if has_recommend and not recommend:
            self.error(where, "recommend must list at least one technology")
        references = self.strings(where, raw, "references")
        for ref in references:
            if not (self.skill_dir / ref).is_file():
                self.error(where, f"reference {ref!r} does not exist in {self.skill_dir.name}/")
        notebook = self.text(where, raw, "notebook")
        if notebook and not (_course_root(self.skill_dir) / notebook).is_file():
            self.error(where, f"notebook {notebook!r} does not exist")
        return Node(
            label=label,
            recommend=recommend,
            why=self.text(where, raw, "why", required=True),
            notes=self.strings(where, raw, "notes"),
            references=references,
            notebook=notebook,
        )

    def unknown_keys(self, where: str, raw: dict, allowed: set[str]) -> None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            self.error(
                where,
                f"unknown key(s) {', '.join(map(str, unknown))} "
                f"(allowed: {', '.join(sorted(allowed))})",
            )

    def text(self, where: str, raw: dict, key: str, *, required: bool = False) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.error(where, f"missing {key}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(where, f"{key} must be a non-empty string")
            return None
        return value.strip()

    def strings(self, where: str, raw: dict, key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(where, f"{key} must be a list of non-empty strings")
            return ()
        return tuple(v.strip() for v in value)


def _course_root(skill_dir: Path) -> Path:
    """Notebook paths are relative to the course checkout (skills/<skill>/.. /..)."""
    candidate = skill_dir.parent.parent
    return candidate if (candidate / "notebooks").is_dir() else repo_root()


def render_ascii(tree: DecisionTree) -> str:
    """The tree as SKILL.md shows it, in the seed's drawing style."""
    lines = [f"START: {tree.question}", ""]
    _render_options(tree.root.options, "", lines)
    return "\n".join(line.rstrip() for line in lines)


def _render_options(options: Sequence[Node], indent: str, lines: list[str]) -> None:
    for index, node in enumerate(options):
        last = index == len(options) - 1
        lines.append(f"{indent}{'└─→' if last else '├─→'} {node.label}")
        child_indent = indent + ("    " if last else "│   ")
        if node.is_leaf:
            lines.append(f"{child_indent}└─ {' or '.join(node.recommend)}")
            for note in node.notes:
                lines.append(f"{child_indent}   · {note}")
        else:
            lines.append(f"{child_indent}└─ {node.question}")
            _render_options(node.options, child_indent + "    ", lines)
        if not last and indent == "":
            lines.append("│")


def tree_block(tree: DecisionTree) -> str:
    """The fenced block, with its markers, that SKILL.md must contain verbatim."""
    return f"{TREE_BLOCK_BEGIN}\n```text\n{render_ascii(tree)}\n```\n{TREE_BLOCK_END}"


def skill_md_tree_block(skill_md: str) -> str | None:
    """The generated block found in a SKILL.md text, or None when the markers are missing."""
    match = re.search(
        re.escape(TREE_BLOCK_BEGIN) + r".*?" + re.escape(TREE_BLOCK_END), skill_md, re.DOTALL
    )
    return match.group(0) if match else None


def sync_skill_md(skill_md: str, tree: DecisionTree) -> str:
    """SKILL.md text with its tree block replaced by the one rendered from the YAML."""
    current = skill_md_tree_block(skill_md)
    if current is None:
        raise TreeError(
            [f"SKILL.md has no block between {TREE_BLOCK_BEGIN!r} and {TREE_BLOCK_END!r}"]
        )
    return skill_md.replace(current, tree_block(tree))
