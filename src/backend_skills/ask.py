"""`backend-skills ask`: hybrid retrieval over the skills library.

Every SKILL.md, init.md and reference is split at its headings, and each section is a
document of the course's retrieval pipeline (``hybrid_retrieval``): SQLite FTS5 BM25
(Porter stemming, the heading weighted twice), the default embedder's vectors, and the two
rankings fused with reciprocal rank fusion; ``method="bm25"`` or ``"dense"`` ranks by one
alone.

The index is built on first use and saved in ``cache_dir()`` under the content hash of
the sections and the embedder: a changed library builds a new one, an unchanged one is
reopened without embedding anything but the question.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from backend_skills.embeddings import default_embedder
from backend_skills.hybrid_retrieval import Document, HybridIndex, to_match_query
from backend_skills.paths import shown_path, skills_dir

HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$", re.MULTILINE)


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
    link: str  # the section's anchor, made unique in its file as GitHub does (-1, -2)
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


def cache_dir() -> Path:
    """Where the index is kept: $BACKEND_SKILLS_CACHE, else the XDG cache folder."""
    override = os.environ.get("BACKEND_SKILLS_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "backend-skills" / "ask"


def documents(found: list[Section]) -> list[Document]:
    """FOUND as retrieval documents, ids their links: a heading repeated in one file gets
    -1, -2 appended, as GitHub numbers the anchors of repeated headings."""
    seen: Counter[str] = Counter()
    result = []
    for section in found:
        anchor = section.anchor
        link = f"{anchor}-{seen[anchor]}" if seen[anchor] else anchor
        seen[anchor] += 1
        metadata = {"skill": section.skill, "path": section.path}
        result.append(Document(link, section.body, section.heading, metadata))
    return result


def ask(
    question: str,
    *,
    limit: int = 5,
    skill: str | None = None,
    method: str = "hybrid",
    root: Path | None = None,
) -> list[Hit]:
    """The LIMIT sections of the library under ROOT (the skills folder) that best answer
    QUESTION, by METHOD, within SKILL when given; ValueError for a question with no
    searchable word or an unknown method."""
    to_match_query(question)  # a question with no searchable word fails before any work
    found = sections(root)
    library = documents(found)
    index = HybridIndex.cached(library, default_embedder(), cache_dir())
    section_of = {document.id: section for document, section in zip(library, found, strict=True)}
    where = {"skill": skill} if skill else None
    return [
        Hit(section_of[r.id], r.id, r.score, index.snippet(question, r.id))
        for r in index.search(question, k=limit, method=method, where=where)
    ]
