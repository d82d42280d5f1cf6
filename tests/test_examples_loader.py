"""backend_skills.examples: every example's app.py loads under a name of its own."""

from __future__ import annotations

import sys

import pytest

from backend_skills import examples
from backend_skills.paths import repo_root


@pytest.fixture
def course_root(tmp_path, monkeypatch):
    """A throwaway checkout (skills/ and notebooks/) that repo_root() resolves to."""
    monkeypatch.setenv("BACKEND_SKILLS_ROOT", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    repo_root.cache_clear()
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("bsl_example_skill_")]:
        del sys.modules[name]
    repo_root.cache_clear()


def _make_example(root, skill, name, body):
    folder = root / "skills" / skill / "examples" / name
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(body)
    return folder


def test_two_app_py_files_do_not_share_a_module(course_root):
    _make_example(course_root, "skill-a", "one", "NAME = 'one'\n")
    _make_example(course_root, "skill-b", "two", "NAME = 'two'\n")
    one = examples.load_example_module("skill-a", "one")
    two = examples.load_example_module("skill-b", "two")
    assert (one.NAME, two.NAME) == ("one", "two")
    assert examples.load_example_module("skill-a", "one") is one  # imported once
    assert "app" not in sys.modules or sys.modules["app"] not in (one, two)
    assert examples.api_examples() == [("skill-a", "one"), ("skill-b", "two")]


def test_a_failed_import_is_not_cached_and_missing_files_are_named(course_root):
    _make_example(course_root, "skill-c", "broken", "raise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom"):
        examples.load_example_module("skill-c", "broken")
    assert not [n for n in sys.modules if n.startswith("bsl_example_skill_c")]
    with pytest.raises(FileNotFoundError, match="contract.py"):
        examples.load_example_module("skill-c", "broken", "contract")
    with pytest.raises(FileNotFoundError, match="no example 'nope'"):
        examples.example_dir("skill-c", "nope")
