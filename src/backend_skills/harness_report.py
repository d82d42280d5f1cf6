"""Where the test suite spends its time: test-seconds by kind, read from a junit XML file.

`make bench-harness` runs the suite with `--junitxml=build/junit.xml`, then this report.
Test-seconds (the sum of every test's own time) hardly move when other work loads the
machine less or more, unlike the suite's wall time, so they are what to compare before
and after a change to the harness.

    python -m backend_skills.harness_report build/junit.xml [--slowest N]
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

# First match wins: (kind, test the junit classname). nbval names a notebook's cells after
# its path (notebooks.01-x.02-y.ipynb); pytest names a test module's tests after its path.
KINDS: list[tuple[str, Callable[[str], bool]]] = [
    ("nbval", lambda c: c.startswith("notebooks.") and c.endswith(".ipynb")),
    ("second parameters", lambda c: c == "tests.test_notebook_second_parameters"),
    ("bad parameters", lambda c: c == "tests.test_notebook_bad_parameters"),
    ("PostgreSQL", lambda c: c == "tests.test_notebooks_on_postgresql"),
    ("browser", lambda c: c == "tests.test_lab_in_browser"),
    ("examples", lambda c: c.startswith("skills.") and ".examples." in c),
    ("references", lambda c: c == "tests.test_reference_code"),
    ("library", lambda c: True),
]


def kind_of(classname: str) -> str:
    return next(kind for kind, matches in KINDS if matches(classname))


def read_junit(path: Path) -> tuple[list[tuple[str, str, float]], float | None]:
    """Every test case as (classname, name, seconds), and the suite's wall time if stated."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases = [
        (case.get("classname", ""), case.get("name", ""), float(case.get("time") or 0))
        for suite in suites
        for case in suite.iter("testcase")
    ]
    stated = [float(s.get("time")) for s in suites if s.get("time")]
    return cases, (max(stated) if stated else None)


def report(path: Path, slowest: int = 10) -> str:
    cases, wall = read_junit(path)
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for classname, _name, time_s in cases:
        kind = kind_of(classname)
        seconds[kind] += time_s
        counts[kind] += 1
    total = sum(seconds.values())
    lines = [f"{'kind':<18} {'tests':>6} {'test-s':>9} {'share':>6}"]
    for kind, _ in KINDS:
        if counts[kind]:
            share = seconds[kind] / total if total else 0.0
            lines.append(f"{kind:<18} {counts[kind]:>6} {seconds[kind]:>9.1f} {share:>6.0%}")
    lines.append(f"{'total':<18} {len(cases):>6} {total:>9.1f}")
    if wall is not None:
        lines.append(f"suite wall time (junit): {wall:.1f} s")
    if slowest:
        lines += ["", f"slowest {slowest}:"]
        by_time = sorted(cases, key=lambda case: case[2], reverse=True)[:slowest]
        lines += [f"{t:>8.1f} s  {kind_of(c):<18} {c}::{n}" for c, n, t in by_time]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="harness_report", description="Test-seconds by kind from a pytest junit XML."
    )
    parser.add_argument("junit", type=Path, help="pytest --junitxml output")
    parser.add_argument("--slowest", type=int, default=10, help="list the N slowest tests")
    args = parser.parse_args(argv)
    try:
        print(report(args.junit, max(0, args.slowest)))
    except (OSError, ET.ParseError) as exc:
        print(f"harness_report: cannot read {args.junit}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
