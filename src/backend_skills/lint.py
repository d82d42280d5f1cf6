"""`backend-skills lint`: the Agent Skills rules plus the course's own rules.

Agent Skills: frontmatter keys, name, description, body length, cited paths exist,
references one level deep, tables of contents in long references. Course: every item the
seed names exists and is not a stub (pending items are warnings), the decision tree
validates and SKILL.md draws it, no skill file imports the course library; each notebook
passes the rules in notebook_lint.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from backend_skills.course_map import SkillPlan, load_course_map
from backend_skills.findings import Collector, Finding
from backend_skills.notebook_lint import lint_notebook
from backend_skills.paths import notebooks_dir
from backend_skills.trees import TreeError, load_tree, skill_md_tree_block, tree_block

FRONTMATTER_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RESERVED_WORDS = ("claude", "anthropic")
MAX_BODY_LINES = 500
TOC_THRESHOLD_LINES = 100
STUB_MARKERS = re.compile(
    r"\bTODO\b|\bTBD\b|\bFIXME\b|lorem ipsum|left as (an )?exercise|coming soon", re.IGNORECASE
)
MIN_LINES = {"reference": 60, "script": 30, "init": 60}
CITED_PATH = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)|`((?:references|examples|scripts)/[^`\s]+)`")


def lint(skills: list[str] | None = None) -> list[Finding]:
    """Lint the named skills (default: every skill folder present) and their notebooks."""
    course = load_course_map()
    out = Collector()
    names = skills or [plan.name for plan in course.skills.values() if plan.present]
    for name in names:
        plan = course.skill(name)  # KeyError for an unknown skill: the CLI's exit 2
        lint_skill_folder(plan.folder, out, plan)
        for notebook in plan.notebooks():
            lint_notebook(notebook, out)
    if not skills:
        start = notebooks_dir() / "00-start-here.ipynb"
        if start.is_file():
            lint_notebook(start, out)
        else:
            out.error(start, "the course map notebook is missing")
    return out.findings


def lint_skill_folder(folder: Path, out: Collector, plan: SkillPlan | None = None) -> None:
    skill_md = folder / "SKILL.md"
    if not skill_md.is_file():
        out.error(skill_md, "missing")
        return
    text = skill_md.read_text(encoding="utf-8")
    frontmatter, body = _split_frontmatter(text, skill_md, out)
    if frontmatter is not None:
        _check_frontmatter(frontmatter, folder.name, skill_md, out)
    if len(body.splitlines()) >= MAX_BODY_LINES:
        out.error(skill_md, f"body has {len(body.splitlines())} lines (must be < {MAX_BODY_LINES})")
    _check_cited_paths(body, folder, skill_md, out)
    _check_tree(folder, text, out)
    for reference in sorted((folder / "references").glob("**/*.md")):
        _check_toc(reference, out)
    _check_no_course_imports(folder, out)
    if plan is not None:
        _check_seed_items(folder, plan, out)


def _split_frontmatter(text: str, path: Path, out: Collector) -> tuple[dict | None, str]:
    match = re.match(r"^---\n(.*?)\n---\n?(.*)$", text, re.DOTALL)
    if not match:
        out.error(path, "no YAML frontmatter between --- lines at the top")
        return None, text
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        out.error(path, f"frontmatter is not valid YAML ({exc.__class__.__name__})")
        return None, match.group(2)
    if not isinstance(data, dict):
        out.error(path, "frontmatter must be a mapping")
        return None, match.group(2)
    return data, match.group(2)


def _check_frontmatter(data: dict, folder_name: str, path: Path, out: Collector) -> None:
    unknown = sorted(set(data) - FRONTMATTER_KEYS)
    if unknown:
        out.error(path, f"frontmatter key(s) not allowed: {', '.join(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        out.error(path, "frontmatter needs a name")
    else:
        if name != folder_name:
            out.error(path, f"name {name!r} must equal the folder name {folder_name!r}")
        if not NAME_PATTERN.match(name) or len(name) > 64:
            out.error(path, f"name {name!r} must match {NAME_PATTERN.pattern} and be <= 64 chars")
        if any(word in name for word in RESERVED_WORDS):
            out.error(path, f"name {name!r} must not contain {' or '.join(RESERVED_WORDS)}")
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        out.error(path, "frontmatter needs a description")
        return
    if "\n" in description.strip():
        out.error(path, "description must be one line")
    if len(description) > 1024:
        out.error(path, f"description has {len(description)} chars (at most 1024)")
    if "<" in description or ">" in description:
        out.error(path, "description must not contain < or >")
    if "use when" not in description.lower():
        out.error(path, "description should say when to use the skill ('Use when ...')")


def _check_cited_paths(body: str, folder: Path, path: Path, out: Collector) -> None:
    for match in CITED_PATH.finditer(body):
        cited = match.group(1) or match.group(2)
        if re.match(r"^[a-z]+:", cited):  # http:, https:, mailto:
            continue
        if not (folder / cited).exists():
            out.error(path, f"cites {cited!r}, which does not exist")
        parts = Path(cited).parts
        if parts and parts[0] == "references" and len(parts) > 2:
            out.error(path, f"reference {cited!r} is nested; keep references one level deep")


def _check_tree(folder: Path, skill_md_text: str, out: Collector) -> None:
    tree_path = folder / "decision-tree.yaml"
    if not tree_path.is_file():
        out.error(tree_path, "missing")
        return
    try:
        tree = load_tree(tree_path)
    except TreeError as exc:
        for message in exc.errors:
            out.error(tree_path, message.split(": ", 1)[-1])
        return
    current = skill_md_tree_block(skill_md_text)
    if current is None:
        out.error(folder / "SKILL.md", "has no generated decision-tree block")
    elif current != tree_block(tree):
        out.error(
            folder / "SKILL.md",
            "decision-tree block differs from decision-tree.yaml "
            "(run: backend-skills decide SKILL --sync)",
        )


def _check_toc(reference: Path, out: Collector) -> None:
    lines = reference.read_text(encoding="utf-8").splitlines()
    if len(lines) > TOC_THRESHOLD_LINES and not any(
        re.match(r"^#{2,3}\s+(table of )?contents\s*$", line, re.IGNORECASE) for line in lines
    ):
        out.error(reference, f"{len(lines)} lines and no table of contents ('## Contents')")


def _check_no_course_imports(folder: Path, out: Collector) -> None:
    for source in sorted(folder.rglob("*.py")):
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"))
        except SyntaxError as exc:
            out.error(source, f"does not parse: {exc.msg} (line {exc.lineno})")
            continue
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            if any(m == "backend_skills" or m.startswith("backend_skills.") for m in modules):
                out.error(
                    source,
                    f"imports backend_skills (line {node.lineno}); a skill "
                    "folder must work alone when copied out",
                )


def _check_seed_items(folder: Path, plan: SkillPlan, out: Collector) -> None:
    items = [("init.md", "init")]
    items += [(f"references/{name}", "reference") for name in plan.references]
    items += [(f"examples/{name}", "example") for name in plan.examples]
    items += [(f"scripts/{name}", "script") for name in plan.scripts]
    for relative, kind in items:
        target = folder / relative
        if relative in plan.pending:
            if not target.exists():
                out.warning(target, "pending: named by the seed, planned for a later issue")
                continue
        problem = _stub_problem(target, kind)
        if problem:
            out.error(target, problem)


def _stub_problem(target: Path, kind: str) -> str | None:
    if kind == "example":
        if not target.is_dir():
            return "missing (the seed names this example)"
        files = [p for p in target.rglob("*") if p.is_file() and "node_modules" not in p.parts]
        if not (target / "README.md").is_file():
            return "example has no README.md"
        if not any(
            p.name.startswith("test")
            or p.name.endswith(("_test.go", ".test.ts"))
            or "tests" in p.parts
            for p in files
        ):
            return "example has no tests"
        return None
    if not target.is_file():
        return f"missing (the seed names this {kind})"
    text = target.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < MIN_LINES[kind]:
        return f"looks like a stub: {len(lines)} non-blank lines (want >= {MIN_LINES[kind]})"
    marker = STUB_MARKERS.search(text)
    if marker:
        return f"looks like a stub: contains {marker.group(0)!r}"
    return None
