"""`backend-skills ask` (hybrid retrieval over the skills library) and `package` (validated
zips)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import pytest

from backend_skills import ask as ask_module
from backend_skills import netguard
from backend_skills.ask import ask, cache_dir, to_match_query
from backend_skills.cli import main
from backend_skills.embeddings import default_embedder
from backend_skills.hybrid_retrieval import METHODS, first_sentences
from backend_skills.package import PackageError, package_skill


@pytest.fixture(scope="module", autouse=True)
def ask_cache(tmp_path_factory):
    """One index of the live library for this module, kept out of the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("ask-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BACKEND_SKILLS_CACHE", str(folder))
        yield folder


class CountingEmbedder:
    """The default embedder, recording how many texts each call embeds."""

    def __init__(self) -> None:
        self.inner = default_embedder()
        self.name, self.dimensions = self.inner.name, self.inner.dimensions
        self.batches: list[int] = []

    def embed(self, texts: list[str]):
        self.batches.append(len(texts))
        return self.inner.embed(texts)


def write_library(root, queues: str = "Workers claim jobs with SKIP LOCKED.") -> None:
    skill = root / "demo-skill"
    skill.mkdir(parents=True, exist_ok=True)
    (skill / "SKILL.md").write_text(
        "# Demo skill\n\nA skill about background work.\n\n"
        f"## Job queues\n\n{queues}\n\n"
        "## Passwords\n\nHash passwords with argon2id.\n\n"
        "## Passwords\n\nA second section under the same heading: salts.\n",
        encoding="utf-8",
    )


def test_ask_ranks_the_section_that_answers():
    hits = ask("enable WAL journal mode busy_timeout", limit=3)
    assert hits and hits[0].section.path.endswith("references/sqlite.md")
    assert hits[0].score >= hits[-1].score
    assert "#" in hits[0].section.anchor and hits[0].link == hits[0].section.anchor


@pytest.mark.parametrize("method", METHODS)
def test_every_method_answers_a_paraphrase_with_snippets_by_its_rule(method):
    hits = ask("two workers must never take the same background job", limit=5, method=method)
    assert "references/postgresql.md#job-queues-with-skip-locked" in [
        h.link.split("skills/databases-relational/", 1)[-1] for h in hits
    ]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:  # FTS5's highlights where a word matched, else the opening sentences
        assert "[" in hit.snippet or hit.snippet == first_sentences(hit.section.body)


def test_ask_filters_by_skill_and_survives_fts_syntax():
    for method in METHODS:
        hits = ask("keyset pagination cursor", skill="databases-relational", method=method)
        assert hits and all(h.section.skill == "databases-relational" for h in hits)
    ask('") OR body MATCH "x', limit=2)  # quoted per word: never FTS5 syntax
    assert to_match_query('say "hi"') == '"say" OR "hi"'
    with pytest.raises(ValueError):
        to_match_query("?? !")
    with pytest.raises(ValueError, match="unknown method"):
        ask("keyset pagination", method="vector")


def test_ask_cli_exit_codes(run_main):
    def run(*args):
        return run_main(main, "ask", *args)

    assert run("alembic autogenerate").returncode == 0
    assert run("zzzqqqxxyy").returncode == 1  # no word of it in the library, by any method
    assert run("zzzqqqxxyy", "--method", "dense").returncode == 1
    for bad in (["..."], ["alembic", "--method", "vector"], ["alembic", "--limit", "0"]):
        result = run(*bad)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, bad
        assert "Traceback" not in result.stderr


def test_ask_cli_json_keeps_its_fields_for_every_method(run_main):
    for method in METHODS:
        result = run_main(main, "ask", "rotate refresh tokens", "--json", "--method", method)
        rows = json.loads(result.stdout)
        assert result.returncode == 0 and len(rows) == 5
        assert all(set(r) == {"skill", "section", "link", "score", "snippet"} for r in rows)
        assert rows[0]["skill"] == "auth-security"


def test_the_index_is_reused_until_a_section_changes(tmp_path, monkeypatch):
    library, cache = tmp_path / "skills", tmp_path / "cache"
    write_library(library)
    monkeypatch.setenv("BACKEND_SKILLS_CACHE", str(cache))
    embedder = CountingEmbedder()
    monkeypatch.setattr(ask_module, "default_embedder", lambda: embedder)

    first = ask("two workers taking one job", root=library, method="bm25")
    assert embedder.batches == [4]  # the four sections; BM25 embeds no question
    assert first[0].section.heading == "Job queues"
    again = ask("two workers taking one job", root=library)
    assert embedder.batches == [4, 1]  # reopened from the cache: only the question
    assert again[0].section.heading == "Job queues"
    assert len(list(cache.iterdir())) == 1

    write_library(library, queues="Workers lease jobs and renew the lease.")
    changed = ask("lease renewal for workers", root=library)
    assert embedder.batches == [4, 1, 4, 1]  # a changed section: embedded again
    assert "[lease]" in changed[0].snippet.lower()
    assert len(list(cache.iterdir())) == 1  # the stale index was removed


def test_repeated_headings_get_githubs_numbered_anchors(tmp_path):
    write_library(tmp_path / "skills")
    links = [h.link for h in ask("passwords argon2id salts", root=tmp_path / "skills")]
    assert sorted(link.rsplit("#", 1)[1] for link in links if "#passwords" in link) == [
        "passwords",
        "passwords-1",
    ]


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKEND_SKILLS_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("BACKEND_SKILLS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "backend-skills" / "ask"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "backend-skills" / "ask"


def test_the_ask_entry_point_exits_1_when_nothing_matches(ask_cache):
    command = [sys.executable, "-m", "backend_skills.cli", "ask", "zzzqqqxxyy"]
    environment = {**os.environ, "BACKEND_SKILLS_CACHE": str(ask_cache)}
    assert subprocess.run(command, capture_output=True, text=True, env=environment).returncode == 1


def test_building_the_index_and_asking_stay_offline(tmp_path):
    """A fresh cache: the model loads, every section is embedded, and no socket leaves."""
    log = tmp_path / "netguard.log"
    code = textwrap.dedent("""
        import sys
        from backend_skills import netguard
        netguard.install()
        from backend_skills.cli import main
        sys.exit(main(["ask", "store vectors next to rows", "--json"]))
    """)
    environment = {
        **os.environ,
        "BACKEND_SKILLS_CACHE": str(tmp_path / "cache"),
        netguard.LOG_ENV: str(log),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 5
    assert list((tmp_path / "cache").glob("hybrid-index-*.npz"))
    assert not log.exists() or log.read_text() == ""


def test_package_makes_a_reproducible_zip_of_the_skill(tmp_path):
    first = package_skill("databases-relational", tmp_path / "a")
    second = package_skill("databases-relational", tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "databases-relational/SKILL.md" in names
    assert "databases-relational/decision-tree.yaml" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_package_refuses_a_skill_that_is_not_built():
    with pytest.raises(PackageError, match="no skill folder"):
        package_skill("databases-graph", __import__("pathlib").Path("/tmp/unused"))
