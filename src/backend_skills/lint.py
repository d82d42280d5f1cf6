"""`backend-skills lint`: the Agent Skills rules plus the course's own rules.

Agent Skills: frontmatter keys, name, description, body length, cited paths exist,
references one level deep, tables of contents in long references. Course: every item the
seed names exists and is not a stub (pending items are warnings), the decision tree
validates and SKILL.md draws it, no skill file imports the course library; each notebook
passes the rules in notebook_lint.py.

The traps a contributor meets when copying a skill to start the next (see CONTRIBUTING.md):
a skill folder without its notebook series, or one course.yaml does not know; two examples
whose packages (or test files) share a name, which shadow each other on sys.path; a test
importing `conftest`; a reference or example that neither the seed nor SKILL.md names; a
README course-map row out of step with course.yaml.

Pending: course.yaml lists, per skill, the items still to be written (`backend-skills new`
lists every skeleton it makes; `notebooks` stands for the series). A pending item that is
missing or still a stub is a warning; one that is written is a warning to take it off.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from pathlib import Path

import yaml

from backend_skills import example_copies
from backend_skills.course_map import SkillPlan, load_course_map
from backend_skills.findings import Collector, Finding
from backend_skills.notebook_lint import lint_course_totals, lint_notebook
from backend_skills.paths import notebooks_dir, repo_root, skills_dir
from backend_skills.runner import discover
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
# Top-level files of an example that are never imported by their own name: the course loads
# app.py and contract.py under unique names, and pytest's importlib mode does the same for
# conftest.py. Every other top-level module or package shares sys.path with all examples.
UNIQUELY_LOADED = {"app.py", "contract.py", "conftest.py"}
PENDING_SERIES = "notebooks"  # a pending entry for the skill's notebook series
# README rows that are not skills of course.yaml (DESIGN.md's cross-skill capstones).
README_NOT_SKILLS = {"capstones"}


def lint(skills: list[str] | None = None) -> list[Finding]:
    """Lint the named skills (default: every skill folder present) and their notebooks."""
    course = load_course_map()
    out = Collector()
    names = skills or [plan.name for plan in course.skills.values() if plan.present]
    for name in names:
        plan = course.skill(name)  # KeyError for an unknown skill: the CLI's exit 2
        lint_skill_folder(plan.folder, out, plan)
        _check_notebook_series(plan, out)
        for notebook in plan.notebooks():
            lint_notebook(notebook, out)
    _check_example_names(out, only=set(names))
    if not skills or example_copies.owning_skills() & set(names):
        example_copies.check(out)
    if not skills:
        start = notebooks_dir() / "00-start-here.ipynb"
        if start.is_file():
            lint_notebook(start, out)
        else:
            out.error(start, "the course map notebook is missing")
        _check_unknown_skill_folders(course.skills, out)
        _check_readme_course_map(course, out)
        lint_course_totals(discover(), out)
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
    pending = plan.pending if plan is not None else ()
    _check_stub_markers(skill_md, text, "SKILL.md" in pending, out)
    tree = folder / "decision-tree.yaml"
    if tree.is_file():
        tree_text = tree.read_text(encoding="utf-8")
        _check_stub_markers(tree, tree_text, "decision-tree.yaml" in pending, out)
    _check_tree(folder, text, out)
    for reference in sorted((folder / "references").glob("**/*.md")):
        _check_toc(reference, out)
    _check_no_course_imports(folder, out)
    if plan is not None:
        _check_seed_items(folder, plan, out)
        _check_unnamed_items(folder, plan, body, out)


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
            if "conftest" in modules:
                out.error(
                    source,
                    f"imports conftest (line {node.lineno}); every example has a conftest.py "
                    "and one wins sys.modules['conftest']: use a fixture",
                )
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
        problem = _stub_problem(target, kind)
        if relative in plan.pending:
            if not target.exists():
                out.warning(target, "pending: named by the seed, planned for a later issue")
            elif problem:
                out.warning(target, f"pending: {problem}")
            else:
                out.warning(target, "written: take it off the skill's pending list in course.yaml")
        elif problem:
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


def _check_stub_markers(path: Path, text: str, pending: bool, out: Collector) -> None:
    marker = STUB_MARKERS.search(text)
    if marker is None:
        if pending:
            out.warning(path, "written: take it off the skill's pending list in course.yaml")
        return
    message = f"looks like a stub: contains {marker.group(0)!r}"
    if pending:
        out.warning(path, f"pending: {message}")
    else:
        out.error(path, message)


def _check_notebook_series(plan: SkillPlan, out: Collector) -> None:
    if not plan.notebooks():
        out.error(
            plan.notebook_folder,
            "the skill has no notebook series (want at least one MM-topic.ipynb here; "
            f"backend-skills new {plan.name} makes a skill folder and its series together)",
        )
        return
    for notebook in plan.notebooks():
        text = "\n".join(_cell_sources(notebook))
        _check_stub_markers(notebook, text, PENDING_SERIES in plan.pending, out)


def _cell_sources(notebook: Path) -> list[str]:
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return []  # lint_notebook reports an unreadable notebook
    return ["".join(cell.get("source", "")) for cell in cells]


def _check_unknown_skill_folders(known: dict[str, SkillPlan], out: Collector) -> None:
    for folder in sorted(p for p in skills_dir().iterdir() if p.is_dir()):
        if folder.name not in known and not folder.name.startswith((".", "_")):
            out.error(
                folder,
                "not a skill of course.yaml, so nothing checks it "
                "(a copied folder? backend-skills new SKILL starts one from the course map)",
            )


def example_import_names(example: Path) -> set[str]:
    """What an example puts on sys.path: its top-level packages and its own modules."""
    names = set()
    for child in example.iterdir():
        if child.is_dir() and (child / "__init__.py").is_file():
            names.add(child.name)
        elif child.suffix == ".py" and child.name not in UNIQUELY_LOADED:
            names.add(child.stem)
    return names


def _identical_modules(name: str, examples: list[Path]) -> bool:
    files = [example / f"{name}.py" for example in examples]
    if not all(f.is_file() for f in files):
        return False
    return len({f.read_bytes() for f in files}) == 1


def _example_test_files(example: Path) -> list[Path]:
    return [p for p in example.rglob("test_*.py") if "node_modules" not in p.parts]


def _check_example_names(out: Collector, only: set[str]) -> None:
    """Two examples with one import name shadow each other when both are on sys.path (the
    course's loader and every example's conftest put their folder there), and pytest runs
    the wrong copy's code without a word. Test files: pytest's importlib mode tolerates two
    test_x.py, but -k, failure lists and editors show them as one; test_<package>_*.py
    makes them unique (CONTRIBUTING.md), so a collision is an error too."""
    packages: dict[str, list[Path]] = defaultdict(list)
    tests: dict[str, list[Path]] = defaultdict(list)
    for example in sorted(p for p in skills_dir().glob("*/examples/*") if p.is_dir()):
        for name in example_import_names(example):
            packages[name].append(example)
        for test in _example_test_files(example):
            tests[test.name].append(test)
    for name, examples in sorted(packages.items()):
        if len(examples) > 1 and any(e.parents[1].name in only for e in examples):
            if _identical_modules(name, examples):
                continue  # a shared file kept byte-identical (example_copies): either will do
            where = ", ".join(str(e.relative_to(skills_dir())) for e in examples)
            for example in examples:
                out.error(
                    example,
                    f"import name {name!r} is also used by another example ({where}): "
                    "on one sys.path one copy shadows the other; give each a unique package",
                )
    for name, files in sorted(tests.items()):
        if len(files) > 1 and any(f.relative_to(skills_dir()).parts[0] in only for f in files):
            for test in files:
                out.error(
                    test,
                    f"test file name {name!r} is used by {len(files)} examples: "
                    "name test files test_<package>_*.py",
                )


def _check_unnamed_items(folder: Path, plan: SkillPlan, body: str, out: Collector) -> None:
    named = {f"references/{r}" for r in plan.references} | {f"examples/{e}" for e in plan.examples}
    for match in CITED_PATH.finditer(body):
        parts = Path(match.group(1) or match.group(2)).parts
        if len(parts) >= 2 and parts[0] in {"references", "examples"}:
            named.add(f"{parts[0]}/{parts[1]}")
    for kind in ("references", "examples"):
        if not (folder / kind).is_dir():
            continue
        for item in sorted((folder / kind).iterdir()):
            if item.name.startswith(".") or item.name == "__pycache__":
                continue
            if f"{kind}/{item.name}" not in named:
                out.error(
                    item,
                    "neither the seed (course.yaml) nor SKILL.md names it: link it from "
                    "SKILL.md, saying when to use it, or remove it",
                )


def readme_phase(phase: str) -> str:
    """'Phase 2: AI-Native' -> '2 AI-native', as the README's course map writes it."""
    number, _, title = phase.removeprefix("Phase ").partition(": ")
    words = re.split(r"([ -])", title)
    kept = [w if i == 0 or w.isupper() else w.lower() for i, w in enumerate(words)]
    return f"{number} {''.join(kept)}"


def readme_row(plan: SkillPlan) -> str:
    """The README course-map row course.yaml and the folders on disk call for."""
    folder = f"[skills/{plan.name}](skills/{plan.name}/SKILL.md)" if plan.present else "planned"
    series = plan.notebook_folder.name
    notebooks = f"[{series}](notebooks/{series})" if plan.notebooks() else "planned"
    cells = [f"{plan.number:02d}", plan.name, readme_phase(plan.phase), folder, notebooks]
    return "| " + " | ".join(cells) + " |"


def readme_map_rows(readme_text: str) -> dict[str, str]:
    """Skill name -> its row in README.md's course-map table (the rows under '## Course map')."""
    section = re.search(r"^## Course map\n(.*?)(?=^## |\Z)", readme_text, re.M | re.S)
    rows: dict[str, str] = {}
    for line in (section.group(1) if section else "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 5 and re.fullmatch(r"\d\d", cells[0]):
            rows.setdefault(cells[1], line.strip())
    return rows


def _check_readme_course_map(course, out: Collector) -> None:
    readme = repo_root() / "README.md"
    if not readme.is_file():
        out.error(readme, "missing (it holds the course map)")
        return
    rows = readme_map_rows(readme.read_text(encoding="utf-8"))
    if not rows:
        out.error(readme, "no course-map table under '## Course map'")
        return
    for plan in sorted(course.skills.values(), key=lambda p: p.number):
        want = readme_row(plan)
        have = rows.get(plan.name)
        if have is None:
            out.error(readme, f"the course map has no row for {plan.name} (want: {want})")
        elif " ".join(have.split()).casefold() != " ".join(want.split()).casefold():
            out.error(readme, f"course-map row differs from course.yaml: {have} (want: {want})")
    for name in sorted(set(rows) - set(course.skills) - README_NOT_SKILLS):
        out.error(readme, f"course-map row {name!r} is not a skill of course.yaml")
