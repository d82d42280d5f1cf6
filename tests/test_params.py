"""Notebook parameter checks: one-line errors, fresh work directories, URLs."""

from __future__ import annotations

import pytest

from backend_skills.params import ParameterError, choice, database_url, fresh_work_dir, integer


def test_parameter_error_renders_as_one_line():
    error = ParameterError("PAGE_SIZE: 0 is out of range (1..500)")
    assert error._render_traceback_() == ["ParameterError: PAGE_SIZE: 0 is out of range (1..500)"]


def test_each_run_gets_a_new_empty_work_dir(tmp_path):
    first, second = fresh_work_dir(tmp_path, "x"), fresh_work_dir(tmp_path, "x")
    assert first != second and not any(first.iterdir()) and first.parent == tmp_path
    assert fresh_work_dir("", "x").name.startswith("bsl-x-")
    (tmp_path / "file").write_text("")
    with pytest.raises(ParameterError, match="WORK_DIR"):
        fresh_work_dir(tmp_path / "file", "x")


def test_database_url(tmp_path):
    assert database_url("", tmp_path).database == str(tmp_path / "course.db")
    assert (
        database_url("postgresql+psycopg://u@localhost/db", tmp_path).get_backend_name()
        == "postgresql"
    )
    with pytest.raises(ParameterError, match="unknown engine 'oracle'"):
        database_url("oracle://scott@db/x", tmp_path)
    with pytest.raises(ParameterError, match="not a database URL"):
        database_url("not a url", tmp_path)


def test_integer_and_choice():
    assert integer("N", 5, minimum=1, maximum=10) == 5
    for bad in [0, 11, "5", True, 2.5]:
        with pytest.raises(ParameterError, match="^N: "):
            integer("N", bad, minimum=1, maximum=10)
    assert choice("MODE", "a", ["a", "b"]) == "a"
    with pytest.raises(ParameterError, match="MODE: 'c' is not one of 'a', 'b'"):
        choice("MODE", "c", ["a", "b"])
