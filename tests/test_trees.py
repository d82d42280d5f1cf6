"""Decision trees: schema validation, walking, rendering, and the seed's branches."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from backend_skills.trees import (
    TreeError,
    UnknownChoice,
    load_skill_tree,
    load_tree,
    parse_path,
    render_ascii,
    sync_skill_md,
    tree_block,
)


def write_tree(tmp_path: Path, body: str, skill: str = "demo-skill") -> Path:
    folder = tmp_path / "skills" / skill
    (folder / "references").mkdir(parents=True)
    (folder / "references" / "a.md").write_text("# A\n")
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    path = folder / "decision-tree.yaml"
    path.write_text(textwrap.dedent(body))
    return path


GOOD = """
    skill: demo-skill
    question: Which way?
    options:
      - label: Left
        recommend: [Alpha]
        why: Because.
        references: [references/a.md]
      - label: Right
        question: How far?
        options:
          - label: Near
            recommend: [Beta, Gamma]
            why: Close by.
            notes: [mind the gap]
"""


def test_loads_walks_case_insensitively_and_renders(tmp_path):
    tree = load_tree(write_tree(tmp_path, GOOD))
    assert tree.leaf(["right", "  NEAR "]).recommend == ("Beta", "Gamma")
    assert tree.walk([]).question == "Which way?"
    drawing = render_ascii(tree)
    assert drawing.splitlines()[0] == "START: Which way?"
    assert "├─→ Left" in drawing and "└─ Beta or Gamma" in drawing and "· mind the gap" in drawing
    assert [path for path, _leaf in tree.root.leaves()] == [("Left",), ("Right", "Near")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            GOOD.replace("why: Because.", "why: Because.\n        colour: red"),
            "options[0] 'Left': unknown key(s) colour",
        ),
        (
            GOOD.replace("question: How far?", "question: How far?\n        recommend: [X]"),
            "options[1] 'Right': a node has either recommend (a leaf) or options",
        ),
        (
            GOOD.replace("references/a.md", "references/missing.md"),
            "options[0] 'Left': reference 'references/missing.md' does not exist",
        ),
        (
            GOOD.replace("label: Right", "label: left"),
            "options[1] 'left': duplicate label (same as options[0])",
        ),
        (
            GOOD.replace("skill: demo-skill", "skill: other"),
            "skill: 'other' must equal the folder name 'demo-skill'",
        ),
        (
            GOOD.replace("label: Near", "label: Near > Far"),
            "options[1] 'Right' > options[0] 'Near > Far': a label cannot contain '>'",
        ),
        (
            GOOD.replace("            why: Close by.\n", ""),
            "options[1] 'Right' > options[0] 'Near': missing why",
        ),
        (
            GOOD.replace("        recommend: [Alpha]\n", ""),
            "options[0] 'Left': a node needs recommend (a leaf) or question + options",
        ),
    ],
)
def test_errors_name_the_file_and_the_path_inside_the_tree(tmp_path, body, expected):
    path = write_tree(tmp_path, body)
    with pytest.raises(TreeError) as caught:
        load_tree(path)
    assert any(str(path) in e and expected in e for e in caught.value.errors), caught.value.errors


def test_invalid_yaml_names_the_line(tmp_path):
    path = write_tree(tmp_path, "skill: demo-skill\nquestion: [unclosed\n")
    with pytest.raises(TreeError, match=r"line \d+"):
        load_tree(path)


def test_unknown_choice_lists_the_options(tmp_path):
    tree = load_tree(write_tree(tmp_path, GOOD))
    with pytest.raises(UnknownChoice, match="options: Left; Right"):
        tree.walk(["Up"])
    with pytest.raises(UnknownChoice, match="stops at a question"):
        tree.leaf(["Right"])
    with pytest.raises(UnknownChoice, match="already ended"):
        tree.walk(["Left", "Near"])


def test_parse_path():
    assert parse_path("Rapid prototyping > Python") == ["Rapid prototyping", "Python"]
    for bad in ["", " > Python", "A >> B"]:
        with pytest.raises(UnknownChoice):
            parse_path(bad)


def test_sync_replaces_only_the_block(tmp_path):
    tree = load_tree(write_tree(tmp_path, GOOD))
    stale = "intro\n" + tree_block(tree).replace("Alpha", "Omega") + "\noutro\n"
    synced = sync_skill_md(stale, tree)
    assert synced == "intro\n" + tree_block(tree) + "\noutro\n"
    with pytest.raises(TreeError):
        sync_skill_md("no markers here", tree)


# The seed's tree for databases-relational, branch by branch.
RELATIONAL_SEED_BRANCHES = {
    ("Maximum flexibility & extensions",): "PostgreSQL",
    ("Embedded / edge deployment",): "SQLite",
    ("Legacy system / MySQL required",): "MySQL",
    ("Rapid prototyping", "TypeScript"): "Prisma",
    ("Rapid prototyping", "Python"): "SQLModel",
    ("Rapid prototyping", "Go"): "sqlc",
    ("Maximum performance (compiled queries)", "Rust"): "SQLx",
    ("Maximum performance (compiled queries)", "Go"): "sqlc",
}


def test_relational_tree_matches_the_seed():
    tree = load_skill_tree("databases-relational")
    assert tree.question == "What's your primary concern?"
    leaves = dict(tree.root.leaves())
    assert set(leaves) == set(RELATIONAL_SEED_BRANCHES)
    for path, expected in RELATIONAL_SEED_BRANCHES.items():
        assert expected in " ".join(leaves[path].recommend), path
    assert "Drizzle ORM" in leaves[("Rapid prototyping", "TypeScript")].recommend
    assert "Turso (libSQL)" in leaves[("Embedded / edge deployment",)].recommend
