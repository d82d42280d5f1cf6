"""The `backend-skills` command: walk, run, check and extend the course.

Commands: list, decide, run, execute, estimate, lint, new, ask, package, sync-examples,
doctor.

Exit codes: 0 ok, 1 findings or failures, 2 bad input (a one-line error, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from backend_skills.course_map import load_course_map
from backend_skills.trees import (
    TreeError,
    UnknownChoice,
    load_skill_tree,
    parse_path,
    render_ascii,
    sync_skill_md,
)


class BadInput(Exception):
    """Input the user can fix; printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + error
        raise BadInput(message)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        return args.handler(args)
    except BadInput as exc:
        print(f"backend-skills: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("backend-skills: interrupted", file=sys.stderr)
        return 130


def _build_parser() -> _Parser:
    parser = _Parser(prog="backend-skills", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="the skills, in course order")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)

    decide = commands.add_parser("decide", help="walk a skill's decision tree")
    decide.add_argument("skill")
    decide.add_argument("--path", help='labels joined by " > ", e.g. "Rapid prototyping > Python"')
    decide.add_argument("--json", action="store_true", help="print the leaf as JSON")
    decide.add_argument("--tree", action="store_true", help="print the whole tree")
    decide.add_argument(
        "--sync",
        action="store_true",
        help="rewrite the tree block in the skill's SKILL.md from the YAML",
    )
    decide.set_defaults(handler=cmd_decide)

    run = commands.add_parser("run", help="execute notebooks headless and write a report")
    run.add_argument("skills", nargs="*", help="skills to run (default: the whole course)")
    run.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a notebook parameter (value parsed as YAML)",
    )
    run.add_argument("--build", default="build", help="output folder (default: build)")
    run.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default: 1)")
    run.set_defaults(handler=cmd_run)

    execute = commands.add_parser(
        "execute", help="re-run notebooks in place so their stored outputs are fresh"
    )
    execute.add_argument("notebooks", nargs="*", help="notebook files (default: all)")
    execute.set_defaults(handler=cmd_execute)

    estimate = commands.add_parser(
        "estimate", help="each notebook's time estimate by the course's rule, and the totals"
    )
    estimate.add_argument("notebooks", nargs="*", help="notebook files (default: all)")
    estimate.add_argument(
        "--write",
        action="store_true",
        help="put the figures in each first cell, 00-start-here and README",
    )
    estimate.set_defaults(handler=cmd_estimate)

    new = commands.add_parser(
        "new", help="start a skill: its folder and notebook series from the course map"
    )
    new.add_argument("skill", help="a planned skill of course.yaml, or a new name")
    new.add_argument("--phase", help="for a skill not in course.yaml: its phase (default: last)")
    new.add_argument("--purpose", help="for a skill not in course.yaml: one line on what it is for")
    new.add_argument("--seed", type=Path, help="the founding research (default: ../shared/seed)")
    new.add_argument(
        "--no-execute", action="store_true", help="do not run the new notebook (lint will say so)"
    )
    new.set_defaults(handler=cmd_new)

    lint = commands.add_parser("lint", help="check skill folders and notebooks")
    lint.add_argument("skills", nargs="*")
    lint.add_argument("--json", action="store_true")
    lint.set_defaults(handler=cmd_lint)

    sync = commands.add_parser(
        "sync-examples", help="rewrite example files that drifted from their canonical copy"
    )
    sync.set_defaults(handler=cmd_sync_examples)

    ask = commands.add_parser(
        "ask", help="search the skills library (BM25 and embeddings, fused by rank)"
    )
    ask.add_argument("question")
    ask.add_argument("--skill", help="only this skill")
    ask.add_argument("--limit", type=int, default=5)
    ask.add_argument(
        "--method",
        choices=("hybrid", "bm25", "dense"),
        default="hybrid",
        help="hybrid: full text and embeddings fused (default); bm25 or dense: one alone",
    )
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(handler=cmd_ask)

    package = commands.add_parser("package", help="zip skill folders for upload (lint first)")
    package.add_argument("skills", nargs="*", help="skills to package (default: all present)")
    package.add_argument("--out", default="build/skills", help="output folder")
    package.set_defaults(handler=cmd_package)

    doctor = commands.add_parser("doctor", help="check this environment for the course")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(handler=cmd_doctor)
    return parser


def _known_skill(name: str) -> None:
    skills = load_course_map().skills
    if name not in skills:
        raise BadInput(f"unknown skill {name!r} (known: {', '.join(skills)})")


def cmd_list(args) -> int:
    course = load_course_map()
    rows = [
        {
            "number": p.number,
            "skill": p.name,
            "phase": p.phase,
            "purpose": p.purpose,
            "present": p.present,
            "notebooks": len(p.notebooks()),
        }
        for p in sorted(course.skills.values(), key=lambda p: p.number)
    ]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for row in rows:
        state = f"{row['notebooks']} notebooks" if row["present"] else "not built yet"
        print(f"{row['number']:02d} {row['skill']:<22} {row['purpose']:<22} {state}")
    return 0


def _load_tree(skill: str):
    _known_skill(skill)
    try:
        return load_skill_tree(skill)
    except (FileNotFoundError, TreeError) as exc:
        raise BadInput(str(exc)) from None


def cmd_decide(args) -> int:
    tree = _load_tree(args.skill)
    if args.sync:
        skill_md = tree.source.parent / "SKILL.md"
        try:
            skill_md.write_text(sync_skill_md(skill_md.read_text(encoding="utf-8"), tree))
        except (OSError, TreeError) as exc:
            raise BadInput(f"{skill_md}: {exc}") from None
        print(f"updated {skill_md}")
        return 0
    if args.tree:
        print(render_ascii(tree))
        return 0
    try:
        if args.path is not None:
            labels = parse_path(args.path)
            leaf = tree.leaf(labels)
        else:
            labels, leaf = _ask(tree)
    except UnknownChoice as exc:
        raise BadInput(str(exc)) from None
    if args.json:
        print(
            json.dumps(
                {
                    "skill": tree.skill,
                    "path": [tree.walk(labels[: i + 1]).label for i in range(len(labels))],
                    "recommend": list(leaf.recommend),
                    "why": leaf.why,
                    "notes": list(leaf.notes),
                    "references": [f"skills/{tree.skill}/{ref}" for ref in leaf.references],
                    "notebook": leaf.notebook,
                },
                indent=1,
            )
        )
        return 0
    print(f"Recommendation: {' or '.join(leaf.recommend)}")
    print(f"Why: {leaf.why}")
    for note in leaf.notes:
        print(f"  - {note}")
    for ref in leaf.references:
        print(f"Read: skills/{tree.skill}/{ref}")
    if leaf.notebook:
        print(f"Notebook: {leaf.notebook}")
    return 0


def _ask(tree):
    """Ask each question in the terminal; numbers or labels are accepted."""
    labels: list[str] = []
    node = tree.root
    while not node.is_leaf:
        print(node.question, file=sys.stderr)
        for number, child in enumerate(node.options, start=1):
            print(f"  {number}. {child.label}", file=sys.stderr)
        while True:
            try:
                answer = input("> ").strip()
            except EOFError:
                raise BadInput(
                    "no answer (input closed); pass --path to walk without prompts"
                ) from None
            if answer.isdigit() and 1 <= int(answer) <= len(node.options):
                child = node.options[int(answer) - 1]
                break
            try:
                child = node.option(answer)
                break
            except UnknownChoice:
                print(f"  choose 1-{len(node.options)} or type a label", file=sys.stderr)
        labels.append(child.label)
        node = child
    return labels, node


def _parameters(pairs: list[str]) -> dict:
    parameters = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.isidentifier():
            raise BadInput(f"-p {pair!r}: expected NAME=VALUE")
        try:
            parameters[name] = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            raise BadInput(f"-p {pair!r}: the value is not valid YAML") from None
    return parameters


def cmd_run(args) -> int:
    from papermill.inspection import inspect_notebook

    from backend_skills.runner import check_parameters, discover, run_course, write_report

    for skill in args.skills:
        _known_skill(skill)
    if args.jobs < 1:
        raise BadInput(f"--jobs {args.jobs}: must be at least 1")
    parameters = _parameters(args.parameter)
    notebooks = discover(args.skills or None)
    if not notebooks:
        raise BadInput(f"no notebooks for {', '.join(args.skills) or 'the course'} yet")
    declared = set().union(*(inspect_notebook(str(nb)).keys() for nb in notebooks))
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise BadInput(
            f"unknown parameter(s) {', '.join(unknown)} "
            f"(these notebooks declare: {', '.join(sorted(declared))})"
        )
    build = Path(args.build)
    if parameters:  # a bad value fails at validation: find it before running anything in full
        build.mkdir(parents=True, exist_ok=True)
        checked = check_parameters(notebooks, build, parameters)
        bad = [run for run in checked if run.error_name == "ParameterError"]
        if bad:
            write_report(checked, build)
            print(f"report: {build / 'report.md'}")
            raise BadInput(f"{bad[0].notebook}: {bad[0].error}")
    runs = run_course(notebooks, build, parameters, jobs=args.jobs)
    for run in runs:
        mark = "pass" if run.passed else "FAIL"
        print(
            f"{mark} {run.notebook}  {run.seconds:.1f} s  {run.peak_rss_mb:.0f} MB"
            + (f"  {run.error}" if run.error else "")
        )
    print(f"report: {build / 'report.md'}")
    bad = [run for run in runs if run.error_name == "ParameterError"]
    if bad:
        raise BadInput(f"{bad[0].notebook}: {bad[0].error}")
    failed = [run for run in runs if not run.passed or not run.within_budget]
    return 1 if failed else 0


def cmd_execute(args) -> int:
    from backend_skills.runner import discover, execute_in_place

    notebooks = [Path(n) for n in args.notebooks] or discover()
    for notebook in notebooks:
        if notebook.suffix != ".ipynb" or not notebook.is_file():
            raise BadInput(f"{notebook}: not a notebook file")
    failed = 0
    for notebook in notebooks:
        try:
            execute_in_place(notebook)
            print(f"executed {notebook}")
        except Exception as exc:  # report every notebook, then fail
            failed += 1
            name = getattr(exc, "ename", type(exc).__name__)
            value = getattr(exc, "evalue", str(exc).splitlines()[0])
            print(f"FAIL {notebook}: {name}: {value}")
    return 1 if failed else 0


def cmd_estimate(args) -> int:
    import nbformat

    from backend_skills import estimates
    from backend_skills.paths import notebooks_dir, repo_root, shown_path
    from backend_skills.runner import discover

    chosen = [Path(n) for n in args.notebooks]
    for notebook in chosen:
        if notebook.suffix != ".ipynb" or not notebook.is_file():
            raise BadInput(f"{notebook}: not a notebook file")
    for notebook in chosen or discover():
        if args.write:
            try:
                estimates.write_stated_minutes(notebook)
            except ValueError as exc:
                raise BadInput(str(exc)) from None
        nb = nbformat.read(notebook, as_version=4)
        figure = estimates.estimate(nb)
        print(
            f"{figure.minutes:>4} min  {shown_path(notebook)}  ({figure.words} words, "
            f"{figure.code_lines} code lines, {figure.exercises} exercises; "
            f"first cell says {estimates.stated_minutes(nb)})"
        )
    series = estimates.series_of(discover())
    if args.write:
        start_here, readme = notebooks_dir() / "00-start-here.ipynb", repo_root() / "README.md"
        try:
            for changed in estimates.write_totals(series, start_here, readme):
                print(f"wrote {shown_path(changed)}")
        except ValueError as exc:
            raise BadInput(str(exc)) from None
    print(estimates.totals_markdown(series))
    return 0


def cmd_new(args) -> int:
    from backend_skills.paths import shown_path
    from backend_skills.scaffold import NotebookFailed, ScaffoldError, new_skill

    try:
        written = new_skill(
            args.skill,
            phase=args.phase,
            purpose=args.purpose,
            seed=args.seed,
            execute=not args.no_execute,
        )
    except ScaffoldError as exc:
        raise BadInput(str(exc)) from None
    except NotebookFailed as exc:
        print(f"backend-skills: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {shown_path(path)}")
    print(f"next: backend-skills lint {args.skill} (each skeleton is a pending warning)")
    return 0


def cmd_lint(args) -> int:
    from backend_skills.lint import lint

    for skill in args.skills:
        _known_skill(skill)
    findings = lint(args.skills or None)
    errors = [f for f in findings if f.severity == "error"]
    if args.json:
        print(json.dumps([f.__dict__ for f in findings], indent=1))
    else:
        for finding in findings:
            print(finding)
        print(f"{len(errors)} errors, {len(findings) - len(errors)} warnings")
    return 1 if errors else 0


def cmd_sync_examples(args) -> int:
    from backend_skills.example_copies import sync
    from backend_skills.paths import shown_path

    written = sync()
    for path in written:
        print(f"rewrote {shown_path(path)}")
    print(f"{len(written)} example file(s) rewritten from their canonical copies")
    return 0


def cmd_ask(args) -> int:
    from backend_skills.ask import ask

    if args.skill:
        _known_skill(args.skill)
    if not 1 <= args.limit <= 50:
        raise BadInput(f"--limit {args.limit}: must be 1..50")
    try:
        hits = ask(args.question, limit=args.limit, skill=args.skill, method=args.method)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "skill": h.section.skill,
                        "section": h.section.heading,
                        "link": h.link,
                        "score": round(h.score, 4),
                        "snippet": h.snippet,
                    }
                    for h in hits
                ],
                indent=1,
            )
        )
    else:
        for hit in hits:
            print(f"{hit.link}\n    {hit.section.heading}: {hit.snippet}")
        if not hits:
            print("no section matches", file=sys.stderr)
    return 0 if hits else 1


def cmd_package(args) -> int:
    from backend_skills.package import PackageError, package_skill

    for skill in args.skills:
        _known_skill(skill)
    names = args.skills or [p.name for p in load_course_map().skills.values() if p.present]
    for name in names:
        try:
            print(package_skill(name, Path(args.out)))
        except PackageError as exc:
            raise BadInput(str(exc)) from None
    return 0


def cmd_doctor(args) -> int:
    from backend_skills.doctor import as_json, render, run_checks

    checks = run_checks()
    print(as_json(checks) if args.json else render(checks))
    return 0 if all(check.ok for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
