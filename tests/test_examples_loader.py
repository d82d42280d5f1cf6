"""backend_skills.examples: every example's app.py loads under a name of its own, and only
examples whose contract.py opts in are listed for the API contract suite."""

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


def _make_example(root, skill, name, body, contract=None):
    folder = root / "skills" / skill / "examples" / name
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(body)
    if contract is not None:
        (folder / "contract.py").write_text(contract)
    return folder


OPTED_IN = 'API_CONTRACT = "bearer-jwt-v1"\n\n\ndef make_app(work_dir):\n    return None\n'


def test_two_app_py_files_do_not_share_a_module(course_root):
    _make_example(course_root, "skill-a", "one", "NAME = 'one'\n", OPTED_IN)
    _make_example(course_root, "skill-b", "two", "NAME = 'two'\n", OPTED_IN)
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


def test_an_app_py_without_the_contract_marker_is_not_attacked(course_root):
    _make_example(course_root, "skill-d", "opted-in", "", OPTED_IN)
    # An HTTP app with hooks, but no marker: a public API the bearer-token attacks do not fit.
    _make_example(course_root, "skill-d", "public", "", "def make_app(work_dir):\n    pass\n")
    _make_example(course_root, "skill-d", "no-hooks", "app = object()\n")
    _make_example(
        course_root, "skill-d", "marker-in-a-comment", "", "# API_CONTRACT = 'bearer-jwt-v1'\n"
    )
    _make_example(course_root, "skill-d", "does-not-parse", "", "API_CONTRACT = (\n")
    assert examples.api_examples() == [("skill-d", "opted-in")]
    # The OpenAPI checks still cover every example whose contract.py can build its app.
    assert examples.openapi_examples() == [("skill-d", "opted-in"), ("skill-d", "public")]
    with pytest.raises(ValueError, match="unknown API contract 'other'"):
        examples.api_examples("other")


def test_the_six_python_api_examples_opt_in():
    """The real tree: the examples built to keep the contract declare it."""
    assert {
        ("api-patterns", "python-fastapi"),
        ("auth-security", "authorization"),
        ("auth-security", "jwt-refresh-tokens"),
        ("auth-security", "oauth2-pkce"),
        ("auth-security", "passkeys-webauthn"),
        ("auth-security", "passwords-argon2"),
    } <= set(examples.api_examples())


def test_an_example_package_imports_under_its_own_name(course_root, monkeypatch):
    folder = _make_example(course_root, "skill-d", "ingest", "")
    (folder / "bsl_test_ingest_pkg").mkdir()
    (folder / "bsl_test_ingest_pkg" / "__init__.py").write_text("NAME = 'ingest'\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    package = examples.import_example_package("skill-d", "ingest", "bsl_test_ingest_pkg")
    assert package.NAME == "ingest" and str(folder) in sys.path
    del sys.modules["bsl_test_ingest_pkg"]
    with pytest.raises(FileNotFoundError, match="no package 'missing'"):
        examples.import_example_package("skill-d", "ingest", "missing")
