"""`backend-skills package`: a zip per skill for upload, only from a folder that lints clean."""

from __future__ import annotations

import zipfile
from pathlib import Path

from backend_skills.course_map import load_course_map
from backend_skills.findings import Collector
from backend_skills.lint import lint_skill_folder

# Build and test leftovers that are not part of a skill.
EXCLUDED_PARTS = {"__pycache__", "node_modules", ".pytest_cache", "target", ".venv", "dist"}


class PackageError(ValueError):
    """A skill that cannot be packaged; the message names the first problem."""


def package_skill(name: str, out_dir: Path) -> Path:
    plan = load_course_map().skill(name)
    if not plan.present:
        raise PackageError(f"{name}: no skill folder yet")
    findings = Collector()
    lint_skill_folder(plan.folder, findings, plan)
    errors = [f for f in findings.findings if f.severity == "error"]
    if errors:
        raise PackageError(f"{name} does not lint clean: {errors[0]}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.zip"
    files = sorted(
        p
        for p in plan.folder.rglob("*")
        if p.is_file()
        and not EXCLUDED_PARTS.intersection(p.relative_to(plan.folder).parts)
        and p.suffix not in {".pyc", ".db"}
    )
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            # A fixed timestamp: the same folder gives the same zip, byte for byte.
            info = zipfile.ZipInfo(
                f"{name}/{file.relative_to(plan.folder).as_posix()}",
                date_time=(2026, 1, 1, 0, 0, 0),
            )
            info.external_attr = (0o755 if file.stat().st_mode & 0o100 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    with zipfile.ZipFile(target) as archive:
        if f"{name}/SKILL.md" not in archive.namelist() or archive.testzip() is not None:
            raise PackageError(f"{target}: the archive is not valid")
    return target
