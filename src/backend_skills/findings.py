"""What the linters report: a finding (path, severity, message) and the list they fill."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backend_skills.paths import shown_path


@dataclass(frozen=True)
class Finding:
    path: str
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.severity}: {self.message}"


class Collector:
    def __init__(self):
        self.findings: list[Finding] = []

    def error(self, path: Path | str, message: str) -> None:
        self.findings.append(Finding(shown_path(path), "error", message))

    def warning(self, path: Path | str, message: str) -> None:
        self.findings.append(Finding(shown_path(path), "warning", message))
