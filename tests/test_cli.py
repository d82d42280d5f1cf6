"""The backend-skills command: answers, exit codes, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backend_skills.cli import main


@pytest.fixture
def run_cli(run_main):
    """backend-skills ARGS, called in-process (test_the_entry_point_* runs the real one)."""
    return lambda *args, stdin=None: run_main(main, *args, stdin=stdin or "")


def test_the_entry_point_answers_and_exits_2_on_bad_input():
    command = [sys.executable, "-m", "backend_skills.cli"]
    ok = subprocess.run([*command, "list", "--json"], capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout), ok.stderr
    bad = subprocess.run([*command, "frobnicate"], capture_output=True, text=True)
    assert bad.returncode == 2 and "backend-skills: error: " in bad.stderr
    assert "Traceback" not in bad.stderr


def test_decide_by_path_recommends_sqlmodel_as_json(run_cli):
    result = run_cli(
        "decide", "databases-relational", "--path", "Rapid prototyping > Python", "--json"
    )
    assert result.returncode == 0, result.stderr
    leaf = json.loads(result.stdout)
    assert leaf["recommend"] == ["SQLModel"]
    assert leaf["path"] == ["Rapid prototyping", "Python"]
    assert all(
        ref.startswith("skills/databases-relational/references/") for ref in leaf["references"]
    )


def test_decide_asks_in_the_terminal(run_cli):
    result = run_cli("decide", "databases-relational", stdin="5\nrust\n")
    assert result.returncode == 0, result.stderr
    assert "Recommendation: SQLx" in result.stdout
    assert "What's your primary concern?" in result.stderr and "Which language?" in result.stderr


def test_decide_prints_the_tree(capsys):
    assert main(["decide", "databases-relational", "--tree"]) == 0
    assert capsys.readouterr().out.startswith("START: What's your primary concern?")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["decide", "no-such-skill"], None, "unknown skill 'no-such-skill'"),
        (
            ["decide", "databases-relational", "--path", "Rapid prototyping > Cobol"],
            None,
            "'Cobol' is not an option",
        ),
        (
            ["decide", "databases-relational", "--path", "Rapid prototyping"],
            None,
            "stops at a question",
        ),
        (["decide", "databases-relational"], "", "no answer (input closed)"),
        (["lint", "no-such-skill"], None, "unknown skill"),
        (["run", "no-such-skill"], None, "unknown skill"),
        (
            ["run", "databases-relational", "-p", "NO_SUCH_PARAMETER=1"],
            None,
            "unknown parameter(s) NO_SUCH_PARAMETER",
        ),
        (["run", "-p", "oops"], None, "expected NAME=VALUE"),
        (["frobnicate"], None, "invalid choice"),
        ([], None, "required"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, stdin, message, run_cli):
    result = run_cli(*args, stdin=stdin)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("backend-skills: error: ") and message in lines[-1], result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in lines if "error" in line]) == 1


def test_list_shows_all_twelve_skills(run_cli):
    result = run_cli("list", "--json")
    skills = json.loads(result.stdout)
    assert [s["number"] for s in skills] == list(range(1, 13))
    assert skills[0]["skill"] == "databases-relational" and skills[0]["present"]


def test_lint_is_clean_for_the_whole_course(run_cli):
    result = run_cli("lint")
    assert result.returncode == 0, result.stdout


@pytest.mark.notebook
def test_run_with_an_unknown_engine_url_is_a_one_line_error(tmp_path, run_cli):
    result = run_cli(
        "run",
        "databases-relational",
        "-p",
        "DATABASE_URL=oracle://scott@db/x",
        "--build",
        str(tmp_path),
        "--jobs",
        "2",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "ParameterError: DATABASE_URL: unknown engine 'oracle'" in last
    assert "Traceback" not in result.stderr
    assert (tmp_path / "report.md").is_file()
