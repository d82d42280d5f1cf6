"""The course map follows the seed: phases, named references/examples/scripts, mapping."""

from __future__ import annotations

import re

import pytest

from backend_skills.course_map import load_course_map
from backend_skills.paths import repo_root

SEED = repo_root().parent / "shared" / "seed" / "backend-skills-research.md"


def test_frontend_mapping_names_known_skills():
    course = load_course_map()
    assert len(course.skills) == 12
    assert [p.number for p in sorted(course.skills.values(), key=lambda p: p.number)] == list(
        range(1, 13)
    )
    for mapping in course.frontends.values():
        for skill in (*mapping["primary"], *mapping["secondary"]):
            assert skill in course.skills


@pytest.mark.skipif(not SEED.is_file(), reason="the seed is in ../shared, beside the checkout")
def test_manifest_matches_the_seed():
    seed = SEED.read_text(encoding="utf-8")
    course = load_course_map()
    tree = seed.split("## Proposed Backend Skill Directory Structure", 1)[1].split("\n---", 1)[0]
    blocks = re.split(r"\n├── (?=[a-z-]+/\n)|\n└── (?=[a-z-]+/\n)", tree)
    named = {}
    for block in blocks[1:]:
        name = block.split("/", 1)[0]
        sections = {"references": [], "examples": [], "scripts": []}
        current = None
        for line in block.splitlines()[1:]:
            item = re.sub(r"^[│ ]*[├└]── ", "", line).strip()
            if item.rstrip("/") in sections:
                current = item.rstrip("/")
            elif current and re.match(r"^[│ ]{5,}[├└]── ", line):
                sections[current].append(item.rstrip("/"))
        named[name] = sections
    assert set(named) == set(course.skills)
    for name, sections in named.items():
        plan = course.skill(name)
        assert list(plan.references) == sections["references"], name
        assert list(plan.examples) == sections["examples"], name
        assert list(plan.scripts) == sections["scripts"], name
    for phase, skills in course.phases:
        assert phase.split(":")[0] in seed
        for skill in skills:
            assert f"**{skill}**" in seed
    for frontend, mapping in course.frontends.items():
        row = next(line for line in seed.splitlines() if line.startswith(f"| **{frontend}**"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert [s.strip() for s in cells[1].split(",")] == list(mapping["primary"]), frontend
        assert [s.strip() for s in cells[2].split(",")] == list(mapping["secondary"]), frontend
