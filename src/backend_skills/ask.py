"""`backend-skills ask`: full-text retrieval over the skills library.

Every SKILL.md, init.md and reference is split at its headings; the sections go into an
in-memory SQLite FTS5 index (Porter stemming) and are ranked with FTS5's BM25.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from backend_skills.paths import shown_path, skills_dir

HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$", re.MULTILINE)
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+.-]*")
# Question words that match everywhere and rank nothing.
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from how i if in is it my of on or should "
    "the this to use what when where which who why with you your".split()
)


@dataclass(frozen=True)
class Section:
    skill: str
    path: str
    heading: str
    body: str

    @property
    def anchor(self) -> str:
        """GitHub-style anchor of the heading, so a result links to its section."""
        slug = re.sub(r"[^\w\- ]", "", self.heading.lower()).strip().replace(" ", "-")
        return f"{self.path}#{slug}"


@dataclass(frozen=True)
class Hit:
    section: Section
    score: float
    snippet: str


def sections(root: Path | None = None) -> list[Section]:
    root = root or skills_dir()
    found = []
    for skill_dir in sorted(p for p in root.iterdir() if (p / "SKILL.md").is_file()):
        files = [
            skill_dir / "SKILL.md",
            skill_dir / "init.md",
            *sorted((skill_dir / "references").glob("*.md")),
        ]
        for file in (f for f in files if f.is_file()):
            found += split_sections(skill_dir.name, file)
    return found


def split_sections(skill: str, file: Path) -> list[Section]:
    text = file.read_text(encoding="utf-8")
    text = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.DOTALL)  # frontmatter
    shown = shown_path(file)
    marks = list(HEADING.finditer(text))
    if not marks:
        return [Section(skill, shown, file.stem, text)]
    result = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        body = text[mark.end() : end].strip()
        if body:
            result.append(Section(skill, shown, mark.group(2), body))
    return result


def build_index(found: list[Section]) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE sections USING fts5("
        "skill UNINDEXED, path UNINDEXED, heading, body, tokenize='porter unicode61')"
    )
    connection.executemany(
        "INSERT INTO sections (skill, path, heading, body) VALUES (?, ?, ?, ?)",
        [(s.skill, s.path, s.heading, s.body) for s in found],
    )
    return connection


def to_match_query(question: str) -> str:
    """Each word quoted as an FTS5 string, OR-ed: a question can never be FTS5 syntax."""
    words = [w.strip(".-") for w in WORD.findall(question)]
    words = [w for w in words if len(w) > 1 and w.lower() not in STOPWORDS]
    if not words:
        raise ValueError(f"no searchable words in {question!r}")
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def ask(question: str, *, limit: int = 5, skill: str | None = None) -> list[Hit]:
    found = sections()
    connection = build_index(found)
    sql = (
        "SELECT rowid, bm25(sections, 4.0, 1.0) AS score, "
        "snippet(sections, 3, '[', ']', ' … ', 16) FROM sections WHERE sections MATCH ? "
        + ("AND skill = ? " if skill else "")
        + "ORDER BY score LIMIT ?"
    )
    arguments = [to_match_query(question), *([skill] if skill else []), limit]
    rows = connection.execute(sql, arguments).fetchall()
    connection.close()
    # rowids are 1-based insertion order; bm25 is lower-is-better, so flip its sign.
    return [
        Hit(found[rowid - 1], -score, " ".join(snippet.split())) for rowid, score, snippet in rows
    ]
