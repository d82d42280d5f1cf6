"""`backend-skills new`: a skill folder and series that lint clean (skeletons as pending
warnings) and whose notebook runs green, in a copy of the checkout, never the real tree.

Each test copies skills/, notebooks/, README.md and the package (src/backend_skills, whose
course.yaml `new` edits) into tmp_path, and runs the copy's package (PYTHONPATH) against the
copy (BACKEND_SKILLS_ROOT), in a subprocess and in the notebook kernels it starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from backend_skills.course_map import load_course_map
from backend_skills.exercises import with_solutions
from backend_skills.paths import repo_root
from backend_skills.runner import CourseKernel, execute, harness, run_until_validated
from backend_skills.scaffold import ScaffoldError, _phase, read_seed

REAL = repo_root()
SEED = REAL.parent / "shared" / "seed" / "backend-skills-research.md"
needs_seed = pytest.mark.skipif(not SEED.is_file(), reason="the founding research is not here")


@pytest.fixture
def checkout(tmp_path) -> Path:
    root = tmp_path / "course"
    ignore = shutil.ignore_patterns("node_modules", "__pycache__", "*.egg-info")
    for name in ("skills", "notebooks", "src"):
        shutil.copytree(REAL / name, root / name, ignore=ignore)
    shutil.copy(REAL / "README.md", root / "README.md")
    return root


def environment(root: Path, *, own_package: bool = True) -> dict[str, str]:
    env = {**os.environ, "BACKEND_SKILLS_ROOT": str(root)}
    env.pop("PYTHONPATH", None)
    if own_package:
        env["PYTHONPATH"] = str(root / "src")
    return env


def cli(root: Path, *args: str, own_package: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backend_skills.cli", *args],
        cwd=root,
        env=environment(root, own_package=own_package),
        capture_output=True,
        text=True,
        timeout=300,
    )


def lint_findings(root: Path) -> list[dict]:
    result = cli(root, "lint", "--json")
    return json.loads(result.stdout)


def own_errors(findings: list[dict], skill: str, series: str) -> list[dict]:
    """Errors about what `new` wrote (other errors belong to work in progress elsewhere),
    and any finding on the new series but its pending note (the notebook rules: time, cell
    size, exercises, outputs, plots)."""
    mine = (f"skills/{skill}", f"notebooks/{series}", "README.md", "notebooks/00-start-here")
    return [
        f
        for f in findings
        if (f["severity"] == "error" and f["path"].startswith(mine))
        or (f["path"].startswith(f"notebooks/{series}") and not f["message"].startswith("pending"))
    ]


def course_yaml(root: Path) -> dict:
    return yaml.safe_load((root / "src" / "backend_skills" / "course.yaml").read_text())


def runs_green(root: Path, notebook: Path, tmp_path: Path) -> None:
    """The second parameter set with the solutions in passes; the bad set stops at once."""
    env = {"BACKEND_SKILLS_ROOT": str(root), "PYTHONPATH": str(root / "src")}
    meta = harness(notebook)
    solved = execute(
        notebook,
        tmp_path / "solved.ipynb",
        meta["second_parameters"],
        source=with_solutions(notebook),
        env={**env, "BSL_EXERCISES": "solved"},
    )
    assert solved.passed, solved.error or solved.offline_violations
    out = nbformat.read(tmp_path / "solved.ipynb", as_version=4)
    assert "Exercise 1: correct." in json.dumps(out.cells[-2].outputs)
    # As the suite checks every notebook's bad set: only up to its validation cell.
    kernel = CourseKernel(tmp_path / "guard", notebook.parent, env)
    try:
        bad = run_until_validated(
            notebook, tmp_path / "bad.ipynb", meta["bad_parameters"], kernel=kernel
        )
    finally:
        kernel.close()
    assert bad.error_name == "ParameterError" and meta["bad_parameters_error"] in bad.error


@needs_seed
def test_new_planned_skill_lints_clean_and_runs_green(checkout, tmp_path):
    result = cli(checkout, "new", "message-queues", "--seed", str(SEED))
    assert result.returncode == 0, result.stderr
    folder = checkout / "skills" / "message-queues"
    notebook = checkout / "notebooks" / "08-message-queues" / "01-choosing-message-queues.ipynb"
    assert f"wrote {notebook.relative_to(checkout)}" in result.stdout

    # The seed's frontmatter, question and tree; every named reference as a skeleton.
    skill_md = (folder / "SKILL.md").read_text()
    frontmatter = yaml.safe_load(skill_md.split("---")[1])
    assert frontmatter["description"] == read_seed(SEED, "message-queues").description
    assert frontmatter["description"].startswith("Async communication patterns")
    tree = (folder / "decision-tree.yaml").read_text()
    assert "#   ├─→ EVENT STREAMING / LOG AGGREGATION" in tree
    assert yaml.safe_load(tree)["question"] == "What's your messaging need?"
    for name in load_course_map().skill("message-queues").references:
        assert (folder / "references" / name).read_text().startswith("# ")
        assert f"](references/{name})" in skill_md
    assert "| feedback | primary |" in skill_md  # the course map's frontend mapping
    assert "## NEW SKILL" not in (folder / "init.md").read_text()
    assert "**Component Taxonomy:**" in (folder / "init.md").read_text()

    # The course map: every skeleton pending, and the README row says the skill exists.
    pending = course_yaml(checkout)["skills"]["message-queues"]["pending"]
    assert pending[:3] == ["init.md", "SKILL.md", "decision-tree.yaml"]
    assert "references/kafka.md" in pending and pending[-1] == "notebooks"
    readme = (checkout / "README.md").read_text()
    assert (
        "| 08 | message-queues | 3 Advanced | [skills/message-queues]"
        "(skills/message-queues/SKILL.md) | "
        "[08-message-queues](notebooks/08-message-queues) |"
    ) in readme
    assert "| 08-message-queues | 1 |" in readme  # the time totals include the series
    start_here = nbformat.read(checkout / "notebooks" / "00-start-here.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in start_here.cells for o in c.get("outputs", []))
    built = next(line for line in printed.splitlines() if "built so far: " in line)
    assert built.endswith(", message-queues")  # 00 was re-run: its stored map names the series

    findings = lint_findings(checkout)
    assert own_errors(findings, "message-queues", "08-message-queues") == []
    warned = {f["path"] for f in findings if f["message"].startswith("pending")}
    assert {
        "skills/message-queues/SKILL.md",
        "skills/message-queues/init.md",
        "skills/message-queues/decision-tree.yaml",
        "skills/message-queues/references/kafka.md",
        str(notebook.relative_to(checkout)),
    } <= warned

    validator = Path(sys.executable).parent / "agentskills"
    checked = subprocess.run(
        [str(validator), "validate", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    runs_green(checkout, notebook, tmp_path)


def test_new_skill_is_added_to_course_yaml_and_the_readme(checkout, tmp_path):
    purpose = "Demonstrations: of the scaffold"  # ': ' needs quoting in YAML
    result = cli(checkout, "new", "demo-skill", "--purpose", purpose)
    assert result.returncode == 0, result.stderr
    raw = course_yaml(checkout)
    # 13 is DESIGN.md's capstones: the next free number is 14.
    assert raw["skills"]["demo-skill"] == {
        "number": 14,
        "purpose": purpose,
        "pending": ["init.md", "SKILL.md", "decision-tree.yaml", "notebooks"],
    }
    # The last phase by default, so notebook numbers still follow the phases (00 checks it).
    phase = next(p for p in raw["phases"] if p["name"] == "Phase 4: Specialized")
    assert phase["skills"][-1] == "demo-skill"
    assert (
        "# Frontend skill -> backend skills"
        in (checkout / "src" / "backend_skills" / "course.yaml").read_text()
    )  # the comments stay

    lines = (checkout / "README.md").read_text().splitlines()
    row = lines.index(
        "| 14 | demo-skill | 4 Specialized | [skills/demo-skill](skills/demo-skill/SKILL.md) "
        "| [14-demo-skill](notebooks/14-demo-skill) |"
    )
    assert lines[row - 1].startswith("| 13 | capstones |")

    # No seed section for it: a description to write, flagged (as pending) by lint.
    skill_md = (checkout / "skills" / "demo-skill" / "SKILL.md").read_text()
    assert yaml.safe_load(skill_md.split("---")[1])["description"].startswith("TODO say what")
    findings = lint_findings(checkout)
    assert own_errors(findings, "demo-skill", "14-demo-skill") == []
    # What make lint runs over the new files, with the course's ruff settings.
    shutil.copy(REAL / "pyproject.toml", checkout / "pyproject.toml")
    ruff = Path(sys.executable).parent / "ruff"
    written = ["skills/demo-skill", "notebooks/14-demo-skill"]
    for command in (["check"], ["format", "--check"]):
        style = subprocess.run(
            [str(ruff), *command, *written], cwd=checkout, capture_output=True, text=True
        )
        assert style.returncode == 0, style.stdout + style.stderr
    assert any(
        f["path"] == "skills/demo-skill/SKILL.md"
        and f["message"] == "pending: looks like a stub: contains 'TODO'"
        for f in findings
    )
    runs_green(
        checkout, checkout / "notebooks/14-demo-skill/01-choosing-demo-skill.ipynb", tmp_path
    )


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["auth-security"], "skills/auth-security exists already"),
        (["Demo_Skill"], "'Demo_Skill': a skill name is lower-case words joined by '-'"),
        (["demo-skill", "--phase", "9"], "--phase '9': not a phase"),
        (["model-serving", "--phase", "2"], "model-serving is in course.yaml already"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(checkout, args, message):
    before = _tree_digest(checkout)
    result = cli(checkout, "new", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]
    assert message in result.stderr
    assert _tree_digest(checkout) == before


def test_new_edits_the_checkouts_course_map_whichever_package_runs(checkout):
    """Run by the real checkout's package, `new` still reads and edits the copy's course.yaml
    (BACKEND_SKILLS_ROOT), never the real one."""
    real_map = REAL / "src" / "backend_skills" / "course.yaml"
    before = real_map.read_bytes()
    result = cli(checkout, "new", "message-queues", own_package=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert real_map.read_bytes() == before
    assert (checkout / "skills" / "message-queues" / "SKILL.md").is_file()
    assert "pending" in course_yaml(checkout)["skills"]["message-queues"]


def test_pending_items_already_listed_are_kept(checkout):
    """databases-relational lists pending examples already: new entries go after them."""
    code = (
        "from pathlib import Path; from backend_skills import scaffold; "
        "scaffold._set_pending(scaffold.course_yaml_path(), 'databases-relational', "
        "['init.md', 'examples/rust-sqlx'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment(checkout), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert course_yaml(checkout)["skills"]["databases-relational"]["pending"] == [
        "examples/rust-sqlx",
        "examples/go-sqlc",
        "examples/typescript-drizzle",
        "init.md",
    ]


def test_phase_is_named_by_number_or_name_and_defaults_to_the_last():
    course = load_course_map()
    assert _phase(course, None) == "Phase 4: Specialized"
    assert _phase(course, "2") == _phase(course, "Phase 2: AI-Native") == "Phase 2: AI-Native"
    with pytest.raises(ScaffoldError, match="not a phase"):
        _phase(course, "AI")


@needs_seed
def test_the_seed_gives_what_it_has_and_nothing_it_lacks():
    vector = read_seed(SEED, "databases-vector")
    assert vector.question == "What's your scale and requirements?"
    assert "LanceDB" in vector.tree and "Use when" in vector.description
    assert read_seed(SEED, "databases-graph").section is None  # the seed has no section
    assert read_seed(SEED.with_name("missing.md"), "databases-vector").description is None
