"""The course map: phases, skills, what the seed names in each skill, frontend mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from backend_skills.paths import notebooks_dir, repo_root, skills_dir


@dataclass(frozen=True)
class SkillPlan:
    name: str
    number: int
    phase: str
    purpose: str
    references: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    pending: tuple[str, ...] = field(default=())

    @property
    def folder(self) -> Path:
        return skills_dir() / self.name

    @property
    def notebook_folder(self) -> Path:
        return notebooks_dir() / f"{self.number:02d}-{self.name}"

    @property
    def present(self) -> bool:
        return (self.folder / "SKILL.md").is_file()

    def notebooks(self) -> list[Path]:
        return sorted(self.notebook_folder.glob("[0-9][0-9]-*.ipynb"))


@dataclass(frozen=True)
class CourseMap:
    phases: tuple[tuple[str, tuple[str, ...]], ...]
    skills: dict[str, SkillPlan]
    frontends: dict[str, dict[str, tuple[str, ...]]]

    def skill(self, name: str) -> SkillPlan:
        try:
            return self.skills[name]
        except KeyError:
            raise KeyError(f"unknown skill {name!r} (known: {', '.join(self.skills)})") from None


def course_yaml_text() -> str:
    """The checkout's course.yaml (the one `backend-skills new` edits), else the package's."""
    try:
        checkout = repo_root() / "src" / "backend_skills" / "course.yaml"
    except FileNotFoundError:  # installed without a checkout
        checkout = None
    if checkout is not None and checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    return resources.files("backend_skills").joinpath("course.yaml").read_text(encoding="utf-8")


@cache
def load_course_map() -> CourseMap:
    raw = yaml.safe_load(course_yaml_text())
    phase_of = {s: p["name"] for p in raw["phases"] for s in p["skills"]}
    skills = {
        name: SkillPlan(
            name=name,
            number=spec["number"],
            phase=phase_of[name],
            purpose=spec["purpose"],
            references=tuple(spec.get("references", ())),
            examples=tuple(spec.get("examples", ())),
            scripts=tuple(spec.get("scripts", ())),
            pending=tuple(spec.get("pending", ())),
        )
        for name, spec in raw["skills"].items()
    }
    phases = tuple((p["name"], tuple(p["skills"])) for p in raw["phases"])
    frontends = {
        name: {kind: tuple(v) for kind, v in spec.items()}
        for name, spec in raw["frontends"].items()
    }
    return CourseMap(phases=phases, skills=skills, frontends=frontends)
