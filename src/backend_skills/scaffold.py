"""`backend-skills new SKILL`: a skill folder and its notebook series, from the course map.

What it makes, each from a template in ``templates/``:

- ``skills/SKILL/``: ``SKILL.md`` (frontmatter from the seed's "SKILL.md Frontmatter" for
  the skill when the founding research is readable, else a description to write), the
  tree block drawn from a one-leaf ``decision-tree.yaml`` (the seed's tree is copied into
  it as comments, to transcribe), ``init.md`` (the seed's master plan summary, to rewrite)
  and every reference course.yaml names, as a headed skeleton;
- ``notebooks/NN-SKILL/01-choosing-SKILL.ipynb`` in the course's anatomy (title,
  objectives, time, prerequisites; a ``parameters`` cell and its validation; the walker; a
  section with a self-check; an exercise with its check; a summary linking SKILL.md and the
  references), executed so its stored outputs are a real run, with its time estimate
  computed, and ``solutions/01-choosing-SKILL.py``;
- the course map: a course.yaml entry when the skill is new (the next free number, the
  phase given or the last one), and the skill's ``pending`` list, which names every
  skeleton made (``notebooks`` for the series); the README course-map row and the time
  totals, with ``notebooks/00-start-here.ipynb`` re-executed (its stored course map names
  the series).

So lint passes with no error straight away, and reports each skeleton as a pending warning
until it is written (a stub marker or too few lines) and taken off the pending list.

The course map is the ``course.yaml`` that the running package reads, so ``new`` refuses
to run unless that file is inside the checkout it writes to (BACKEND_SKILLS_ROOT): run the
checkout's own package (``PYTHONPATH=CHECKOUT/src`` or its editable install).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

import nbformat
import yaml

from backend_skills.course_map import SkillPlan, load_course_map
from backend_skills.lint import NAME_PATTERN, readme_map_rows, readme_row
from backend_skills.paths import notebooks_dir, repo_root, shown_path, skills_dir
from backend_skills.trees import load_tree, tree_block

# DESIGN.md numbers the cross-skill capstones 13 (notebooks/13-capstones), after the twelve.
RESERVED_NUMBERS = {13: "capstones"}
PLACEHOLDER_DESCRIPTION = (
    "TODO say what {skill} covers and which technologies, in the third person. "
    "Use when TODO (the requests that should load this skill)."
)


class ScaffoldError(ValueError):
    """A skill `new` cannot make, or a checkout it must not touch; one line."""


class NotebookFailed(RuntimeError):
    """The new notebook did not run green (its files are written, for a look)."""


@dataclass(frozen=True)
class SeedSkill:
    """What the founding research says about one skill (each part may be missing)."""

    section: str | None = None
    description: str | None = None
    tree: str | None = None
    question: str | None = None


def default_seed_path() -> Path:
    return repo_root().parent / "shared" / "seed" / "backend-skills-research.md"


def read_seed(path: Path | None, skill: str) -> SeedSkill:
    """The skill's section of the seed, its frontmatter description and its drawn tree."""
    try:
        text = (path or default_seed_path()).read_text(encoding="utf-8")
    except OSError:
        return SeedSkill()
    match = re.search(
        rf"^## NEW SKILL #\d+: {re.escape(skill)}\s*\n(.*?)(?=^## |\Z)", text, re.M | re.S
    )
    if not match:
        return SeedSkill()
    section = match.group(1).strip().removesuffix("---").strip()
    return SeedSkill(
        section=section,
        description=_seed_description(section),
        tree=_fenced_after(section, "**Decision Tree:**"),
        question=_start_question(section),
    )


def _fenced_after(section: str, marker: str) -> str | None:
    start = section.find(marker)
    match = re.compile(r"```[a-z]*\n(.*?)```", re.S).search(section, start) if start >= 0 else None
    return match.group(1).rstrip() if match else None


def _seed_description(section: str) -> str | None:
    block = _fenced_after(section, "**SKILL.md Frontmatter:**")
    # Read as text: the seed's descriptions hold ": " ("requests to: implement RAG"), which
    # a plain YAML scalar cannot, so its block does not parse as YAML.
    match = re.search(r"^description:\s*(.+)$", block or "", re.M)
    if match is None:
        return None
    description = " ".join(match.group(1).split())
    # Only a description that passes lint's frontmatter rules; else the contributor writes one.
    if len(description) > 1024 or "<" in description or ">" in description:
        return None
    return description if "use when" in description.lower() else None


def _start_question(section: str) -> str | None:
    match = re.search(r"^START:\s*(.+?)\s*$", section, re.M)
    return match.group(1) if match else None


def course_yaml_path() -> Path:
    """The course.yaml that load_course_map reads: the checkout's own (see course_map)."""
    path = repo_root() / "src" / "backend_skills" / "course.yaml"
    if not path.is_file():
        raise ScaffoldError(f"no course map in the checkout {repo_root()} (src/backend_skills)")
    return path


def new_skill(
    name: str,
    *,
    phase: str | None = None,
    purpose: str | None = None,
    seed: Path | None = None,
    execute: bool = True,
) -> list[Path]:
    """Make skill NAME's folder and series (see the module docstring); the paths written."""
    if not NAME_PATTERN.match(name) or len(name) > 64:
        raise ScaffoldError(f"{name!r}: a skill name is lower-case words joined by '-'")
    course = load_course_map()
    plan = course.skills.get(name)
    if plan is not None and (phase is not None or purpose is not None):
        raise ScaffoldError(
            f"{name} is in course.yaml already ({plan.phase}): drop --phase/--purpose"
        )
    course_yaml = course_yaml_path()
    folder = skills_dir() / name
    number = plan.number if plan else _next_number(course)
    series = notebooks_dir() / f"{number:02d}-{name}"
    for path in (folder, series):
        if path.exists():
            raise ScaffoldError(f"{shown_path(path)} exists already")
    info = read_seed(seed, name)
    if plan is None:
        plan = _add_to_course_yaml(course_yaml, name, number, _phase(course, phase), purpose)
    written = _write_skill_folder(plan, info)
    notebook = _write_notebook(plan, info)
    written += [notebook, _solutions_path(notebook)]
    pending = [
        "init.md",
        "SKILL.md",
        "decision-tree.yaml",
        *(f"references/{r}" for r in plan.references),
        *(f"examples/{e}" for e in plan.examples),
        *(f"scripts/{s}" for s in plan.scripts),
        "notebooks",
    ]
    _set_pending(course_yaml, name, pending)
    written.append(course_yaml)
    if execute:
        _execute(notebook)
    from backend_skills import estimates

    estimates.write_stated_minutes(notebook)
    written += _update_readme(load_course_map().skill(name))
    start_here = notebooks_dir() / "00-start-here.ipynb"
    if execute and start_here in written:
        # Its stored course map and time totals now name the new series: re-run it, or
        # nbval fails on the outputs it kept.
        _execute(start_here)
    return written


def _execute(notebook: Path) -> None:
    from backend_skills.runner import execute_in_place

    try:
        execute_in_place(notebook)
    except Exception as exc:  # the kernel's error, whatever it is, in one line
        name = getattr(exc, "ename", type(exc).__name__)
        value = getattr(exc, "evalue", str(exc).splitlines()[0] if str(exc) else "")
        raise NotebookFailed(f"{shown_path(notebook)} did not run: {name}: {value}") from None


def _phase(course, phase: str | None) -> str:
    names = [name for name, _skills in course.phases]
    if phase is None:
        return names[-1]
    for name in names:
        if phase == name or re.fullmatch(rf"(Phase )?{re.escape(phase)}(:.*)?", name):
            return name
    raise ScaffoldError(f"--phase {phase!r}: not a phase (known: {'; '.join(names)})")


def _next_number(course) -> int:
    taken = {plan.number for plan in course.skills.values()} | set(RESERVED_NUMBERS)
    return max(taken) + 1


def _add_to_course_yaml(
    path: Path, name: str, number: int, phase: str, purpose: str | None
) -> SkillPlan:
    """Append the skill to its phase and to `skills:`, as text, so the comments stay."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    phase_line = next(i for i, line in enumerate(lines) if line.strip() == f'- name: "{phase}"')
    skills_line = phase_line + 1
    match = re.fullmatch(r"(\s*skills: \[)(.*)\]", lines[skills_line])
    if not match:
        raise ScaffoldError(f"{path}: cannot read the skills of {phase!r}")
    lines[skills_line] = f"{match.group(1)}{match.group(2)}, {name}]"
    end = next(i for i, line in enumerate(lines) if line.startswith("frontends:"))
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    purpose_text = _yaml_scalar(" ".join((purpose or "TODO - what the skill is for").split()))
    lines[end:end] = [f"  {name}:", f"    number: {number}", f"    purpose: {purpose_text}"]
    _write_course_yaml(path, "\n".join(lines) + "\n")
    return load_course_map().skill(name)


def _set_pending(path: Path, name: str, items: list[str]) -> None:
    """Put ITEMS on the skill's pending list (after any already there), in block style."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"  {name}:")
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines)
    )
    block = lines[start + 1 : end]
    existing: list[str] = []
    kept = []
    index = 0
    while index < len(block):
        line = block[index]
        if line.startswith("    pending:"):
            listed = yaml.safe_load(line.split(":", 1)[1]) or []
            index += 1
            while index < len(block) and block[index].startswith("      - "):
                listed.append(block[index].removeprefix("      - ").strip())
                index += 1
            existing += listed
            continue
        if not line.lstrip().startswith("# Named by the seed, built by a later issue"):
            kept.append(line)
        index += 1
    merged = existing + [item for item in items if item not in existing]
    new_block = [*kept, "    # Skeletons and seed items still to write; lint warns on each."]
    new_block += ["    pending:", *(f"      - {item}" for item in merged)]
    lines[start + 1 : end] = new_block
    _write_course_yaml(path, "\n".join(lines) + "\n")
    if list(load_course_map().skill(name).pending) != merged:
        raise ScaffoldError(f"{path}: the pending list of {name} did not read back")


def _write_course_yaml(path: Path, text: str) -> None:
    yaml.safe_load(text)  # never leave a course map that does not parse
    path.write_text(text, encoding="utf-8")
    load_course_map.cache_clear()


def _template(name: str) -> Template:
    return Template(resources.files("backend_skills").joinpath("templates", name).read_text())


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _reference_title(file_name: str) -> str:
    words = Path(file_name).stem.replace("-", " ")
    return words[:1].upper() + words[1:]


def _write_skill_folder(plan: SkillPlan, info: SeedSkill) -> list[Path]:
    folder = plan.folder
    question = info.question or "TODO - the tree's first question"
    seed_tree = (
        "\n".join(f"#   {line}".rstrip() for line in info.tree.splitlines())
        if info.tree
        else "#   (the founding research draws no tree for this skill)"
    )
    tree_path = _write(
        folder / "decision-tree.yaml",
        _template("decision-tree.yaml.tmpl").substitute(
            skill=plan.name, question=json.dumps(question), seed_tree=seed_tree
        ),
    )
    tree = load_tree(tree_path)  # the skeleton must validate, or new is broken
    references = [
        f"- [{r}](references/{r}): load when TODO (what this reference answers)."
        for r in plan.references
    ]
    examples = [f"- {e} (named by the founding research, still to build)." for e in plan.examples]
    written = [tree_path]
    written.append(
        _write(
            folder / "SKILL.md",
            _template("SKILL.md.tmpl").substitute(
                skill=plan.name,
                description=_yaml_scalar(
                    info.description or PLACEHOLDER_DESCRIPTION.format(skill=plan.name)
                ),
                purpose=plan.purpose,
                tree_block=tree_block(tree),
                references="\n".join(references) or "None named by the founding research yet.",
                examples="\n".join(examples) or "None yet.",
                frontends=_frontend_table(plan.name),
            ),
        )
    )
    files = [f"- `references/`: {', '.join(plan.references)}."] if plan.references else []
    if plan.examples:
        files.append(f"- `examples/`: {', '.join(plan.examples)}.")
    if plan.scripts:
        files.append(f"- `scripts/`: {', '.join(plan.scripts)}.")
    written.append(
        _write(
            folder / "init.md",
            _template("init.md.tmpl").substitute(
                skill=plan.name,
                purpose=plan.purpose,
                files="\n".join(files),
                series=plan.notebook_folder.name,
                notebook=_notebook_name(plan),
                seed_section=info.section or "The founding research has no section for it.",
            ),
        )
    )
    for reference in plan.references:
        written.append(
            _write(
                folder / "references" / reference,
                _template("reference.md.tmpl").substitute(title=_reference_title(reference)),
            )
        )
    return written


def _yaml_scalar(text: str) -> str:
    """TEXT as one YAML line: plain when it can be, quoted when it holds ': ' or '#'."""
    return yaml.safe_dump(text, width=10**6, default_style=None).removesuffix("\n...\n").strip()


def _frontend_table(skill: str) -> str:
    rows = [
        f"| {frontend} | {kind} | TODO: what {skill} gives this frontend |"
        for frontend, spec in load_course_map().frontends.items()
        for kind in ("primary", "secondary")
        if skill in spec.get(kind, ())
    ]
    if not rows:
        return "No frontend skill lists this skill in the course map (course.yaml)."
    return "\n".join(["| Frontend skill | as | Pattern |", "|---|---|---|", *rows])


def _notebook_name(plan: SkillPlan) -> str:
    return f"01-choosing-{plan.name}.ipynb"


def _solutions_path(notebook: Path) -> Path:
    return notebook.parent / "solutions" / f"{notebook.stem}.py"


def _write_notebook(plan: SkillPlan, info: SeedSkill) -> Path:
    tree = load_tree(plan.folder / "decision-tree.yaml")
    paths = [path for path, _leaf in tree.root.leaves()]
    earlier = [
        p
        for p in sorted(load_course_map().skills.values(), key=lambda p: p.number)
        if p.number < plan.number and p.notebooks()
    ]
    if earlier:
        first = earlier[-1].notebooks()[0]
        prerequisites = f"[{first.stem}](../{first.parent.name}/{first.name})"
    else:
        prerequisites = "none"
    links = [f"[SKILL.md](../../skills/{plan.name}/SKILL.md)"] + [
        f"[{r}](../../skills/{plan.name}/references/{r})" for r in plan.references
    ]
    values = {
        "skill": plan.name,
        "purpose": plan.purpose,
        "prerequisites": prerequisites,
        "decision": " > ".join(paths[0]),
        "question": tree.question,
        "read_next": ", ".join(links),
        "notebook": _notebook_name(plan),
    }
    source = _template("choosing-notebook.tmpl").substitute(values)
    nb = nbformat.v4.new_notebook()
    nb.cells = _cells(source)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["backend_skills"] = {
        "second_parameters": {"DECISION": " > ".join(paths[-1])},
        "bad_parameters": {"DECISION": "No such branch"},
        "bad_parameters_error": "DECISION",
    }
    path = plan.notebook_folder / _notebook_name(plan)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    _write(_solutions_path(path), _template("solutions.py.tmpl").substitute(values))
    return path


def _cells(source: str) -> list[nbformat.NotebookNode]:
    """Cells of a template: `# %% [markdown]` or `# %%` (code) headers, `tags=[...]` JSON."""
    cells = []
    for block in re.split(r"^(?=# %%)", source, flags=re.M):
        header, _, body = block.partition("\n")
        if not header.startswith("# %%"):
            continue  # the template's own comment, before the first cell
        tags = re.search(r"tags=(\[.*\])", header)
        metadata = {"tags": json.loads(tags.group(1))} if tags else {}
        make = (
            nbformat.v4.new_markdown_cell if "[markdown]" in header else nbformat.v4.new_code_cell
        )
        cells.append(make(body.strip("\n"), metadata=metadata))
    return cells


def _update_readme(plan: SkillPlan) -> list[Path]:
    """The skill's course-map row, and the time totals in the README and 00-start-here."""
    readme = repo_root() / "README.md"
    if not readme.is_file():
        return []
    text = readme.read_text(encoding="utf-8")
    rows = readme_map_rows(text)
    row = readme_row(plan)
    if plan.name in rows:
        text = text.replace(rows[plan.name], row, 1)
    elif rows:
        lines = text.splitlines()
        table = [lines.index(r) for r in rows.values()]
        after = [i for i in table if int(lines[i].split("|")[1]) > plan.number]
        at = min(after) if after else max(table) + 1
        lines.insert(at, row)
        text = "\n".join(lines) + "\n"
    readme.write_text(text, encoding="utf-8")
    written = [readme]
    from backend_skills import estimates
    from backend_skills.runner import discover

    start_here = notebooks_dir() / "00-start-here.ipynb"
    if start_here.is_file() and estimates.README_START in text:
        written += estimates.write_totals(estimates.series_of(discover()), start_here, readme)
    return sorted(set(written))
