"""Execute the Python code blocks of every skill reference guide.

Every fenced block whose info string is exactly ``python`` in
``skills/*/references/*.md`` is run. The blocks of one file run in order, in one
shared namespace, in a fresh subprocess whose working directory is a fresh
``tmp_path``, so a later block may use names from an earlier one and nothing leaks
between files. Blocks with further words in the info string (``python requires-server``)
are shown to readers but not run; those are compiled, so that code a reader copies
for a server or a key at least parses.

Each block is compiled with the filename ``<skill/file.md:block N (line L)>`` and padded
so that line numbers in a traceback are line numbers of the Markdown file. A
DeprecationWarning raised on behalf of reference code (attributed to ``__main__``) is an
error: the guides must teach the current API of the installed versions.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 60

# CommonMark fences: up to three spaces of indent, three or more backticks or tildes.
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Block:
    info: str  # the info string, stripped ("python", "python requires-server", "sql", "")
    line: int  # 1-based line number of the first line of code (the line after the fence)
    source: str


class MalformedFence(ValueError):
    """An opening fence with no closing fence before the end of the file."""


def parse_blocks(text: str) -> list[Block]:
    """Return every fenced code block of a Markdown text, in order.

    Raises MalformedFence when a fence is opened and never closed: a reader's renderer
    would swallow the rest of the file into one code block, and the runner would
    silently skip or mangle code.
    """
    blocks: list[Block] = []
    lines = text.splitlines()
    open_fence: tuple[str, str, int, str] | None = None  # (char, fence, line, info)
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        match = FENCE.match(line)
        if open_fence is None:
            if match is None:
                continue
            fence, info = match["fence"], match["info"].strip()
            if fence[0] == "`" and "`" in info:
                continue  # not a fence: inline code such as ```x``` on one line
            open_fence = (fence[0], fence, number, info)
            body = []
            continue
        char, fence, start, info = open_fence
        closes = (
            match is not None
            and match["fence"][0] == char
            and len(match["fence"]) >= len(fence)
            and not match["info"].strip()
        )
        if closes:
            blocks.append(Block(info=info, line=start + 1, source="\n".join(body) + "\n"))
            open_fence = None
        else:
            body.append(line)
    if open_fence is not None:
        char, fence, start, info = open_fence
        raise MalformedFence(f"line {start}: fence {fence}{info} is never closed")
    return blocks


def python_blocks(text: str) -> list[Block]:
    """The executable blocks: info string exactly 'python'."""
    return [block for block in parse_blocks(text) if block.info == "python"]


PYTHON_LANGUAGES = {"python", "py", "python3"}


def shown_python_blocks(text: str) -> list[Block]:
    """The Python blocks shown but not run: 'python requires-server', 'py', ..."""
    shown = []
    for block in parse_blocks(text):
        language = block.info.split()[0] if block.info else ""
        if language in PYTHON_LANGUAGES and block.info != "python":
            shown.append(block)
    return shown


def syntax_errors(label: str, blocks: list[Block]) -> list[str]:
    """Compile each block alone (nothing runs); one line per block that does not parse.

    Padded like the runner's blocks, so the reported line is the Markdown file's line.
    """
    errors = []
    for index, block in enumerate(blocks, start=1):
        filename = f"<{label}:shown block {index} (line {block.line})>"
        padded = "\n" * (block.line - 1) + block.source
        try:
            compile(padded, filename, "exec", dont_inherit=True)
        except SyntaxError as error:
            errors.append(f"{filename}: line {error.lineno}: {error.msg}")
    return errors


def reference_files() -> list[Path]:
    """Each skill's references and its SKILL.md: code shown to a reader is code under test."""
    return sorted([*ROOT.glob("skills/*/references/*.md"), *ROOT.glob("skills/*/SKILL.md")])


def file_id(path: Path) -> str:
    skill = path.parent if path.name == "SKILL.md" else path.parent.parent
    return f"{skill.name}/{path.name}"


# The runner executes in the subprocess. It reads the blocks from a JSON file and
# exec()s them in one module namespace registered as __main__ (so classes defined in
# blocks get a real module, which pydantic/SQLModel need to resolve annotations).
RUNNER = textwrap.dedent(
    """
    import json, linecache, sys, traceback, types, warnings

    # A deprecated API used by the reference itself (warning attributed to __main__) fails.
    warnings.filterwarnings("error", category=DeprecationWarning, module=r"__main__\\Z")
    blocks = json.load(open(sys.argv[1], encoding="utf-8"))
    module = types.ModuleType("__main__")
    module.__file__ = sys.argv[1]
    sys.modules["__main__"] = module
    for block in blocks:
        filename = block["filename"]
        padded = "\\n" * (block["line"] - 1) + block["source"]
        linecache.cache[filename] = (len(padded), None, padded.splitlines(True), filename)
        try:
            code = compile(padded, filename, "exec")
            exec(code, module.__dict__)
        except BaseException:
            sys.stdout.flush()
            print(f"REFERENCE BLOCK FAILED: {filename}", file=sys.stderr)
            traceback.print_exc()
            sys.stderr.flush()
            sys.exit(1)
        print(f"ok {filename}", flush=True)
    """
)


def run_blocks(label: str, blocks: list[Block], workdir: Path) -> subprocess.CompletedProcess:
    """Run the blocks of one reference in a fresh interpreter with cwd=workdir."""
    payload = [
        {
            "filename": f"<{label}:block {index} (line {block.line})>",
            "line": block.line,
            "source": block.source,
        }
        for index, block in enumerate(blocks, start=1)
    ]
    runner = workdir / "_run_reference_blocks.py"
    data = workdir / "_reference_blocks.json"
    runner.write_text(RUNNER, encoding="utf-8")
    data.write_text(json.dumps(payload), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(runner), str(data)],
        cwd=workdir,
        stdin=subprocess.DEVNULL,  # a block waiting for input fails instead of hanging
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )


def _text(output: str | bytes | None) -> str:
    # TimeoutExpired carries bytes even when the run was started with text=True.
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


def _files_with_python() -> list[Path]:
    found = []
    for path in reference_files():
        try:
            if python_blocks(path.read_text(encoding="utf-8")):
                found.append(path)
        except MalformedFence:
            found.append(path)  # let the test report it rather than hiding the file
    return found


@pytest.mark.parametrize("path", _files_with_python(), ids=file_id)
def test_reference_python_blocks_run(path: Path, tmp_path: Path) -> None:
    label = file_id(path)
    try:
        blocks = python_blocks(path.read_text(encoding="utf-8"))
    except MalformedFence as error:
        pytest.fail(f"{label}: {error}", pytrace=False)
    try:
        result = run_blocks(label, blocks, tmp_path)
    except subprocess.TimeoutExpired as error:
        pytest.fail(
            f"{label}: blocks did not finish within {TIMEOUT_SECONDS} s\n"
            f"--- stdout ---\n{_text(error.stdout)}\n--- stderr ---\n{_text(error.stderr)}",
            pytrace=False,
        )
    if result.returncode != 0:
        failed = re.search(r"REFERENCE BLOCK FAILED: (.*)", result.stderr)
        where = failed.group(1) if failed else "(interpreter exited before a block finished)"
        pytest.fail(
            f"{label}: {where}\n--- stderr ---\n{result.stderr}\n--- stdout ---\n{result.stdout}",
            pytrace=False,
        )
    finished = [line for line in result.stdout.splitlines() if line.startswith("ok <")]
    assert len(finished) == len(blocks), result.stdout


def _files_with_shown_python() -> list[Path]:
    found = []
    for path in reference_files():
        try:
            if shown_python_blocks(path.read_text(encoding="utf-8")):
                found.append(path)
        except MalformedFence:
            pass  # test_reference_fences_are_closed reports it
    return found


@pytest.mark.parametrize("path", _files_with_shown_python(), ids=file_id)
def test_reference_shown_python_blocks_compile(path: Path) -> None:
    label = file_id(path)
    errors = syntax_errors(label, shown_python_blocks(path.read_text(encoding="utf-8")))
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("path", reference_files(), ids=file_id)
def test_reference_fences_are_closed(path: Path) -> None:
    try:
        parse_blocks(path.read_text(encoding="utf-8"))
    except MalformedFence as error:
        pytest.fail(f"{file_id(path)}: {error}", pytrace=False)


# Self-checks: the machinery above must be able to fail.


def test_parser_rejects_unclosed_python_fence() -> None:
    text = "# Title\n\n```python\nx = 1\n```\n\nprose\n\n```python\ny = 2\n"
    with pytest.raises(MalformedFence, match="line 9"):
        parse_blocks(text)


def test_parser_selects_only_plain_python_blocks() -> None:
    text = textwrap.dedent(
        """\
        ```python
        a = 1
        ```
        ```python requires-server
        import psycopg
        ```
        ````markdown
        ```python
        not_code = True
        ```
        ````
        ```sql
        SELECT 1;
        ```
        """
    )
    blocks = python_blocks(text)
    assert [(b.line, b.source) for b in blocks] == [(2, "a = 1\n")]


def test_runner_reports_failing_block_and_line(tmp_path: Path) -> None:
    text = "# T\n\n```python\nvalue = 41\n```\n\n```python\nvalue += 1\nassert value == 43\n```\n"
    result = run_blocks("demo/broken.md", python_blocks(text), tmp_path)
    assert result.returncode == 1
    assert "REFERENCE BLOCK FAILED: <demo/broken.md:block 2 (line 8)>" in result.stderr
    assert 'File "<demo/broken.md:block 2 (line 8)>", line 9' in result.stderr
    assert "AssertionError" in result.stderr
    assert "ok <demo/broken.md:block 1 (line 4)>" in result.stdout


def test_runner_fails_on_deprecated_api_used_by_reference(tmp_path: Path) -> None:
    text = "```python\nimport warnings\nwarnings.warn('old API', DeprecationWarning)\n```\n"
    result = run_blocks("demo/deprecated.md", python_blocks(text), tmp_path)
    assert result.returncode == 1
    assert "DeprecationWarning: old API" in result.stderr


def test_shown_blocks_are_the_non_executed_python_ones() -> None:
    text = textwrap.dedent(
        """\
        ```python
        ran = True
        ```
        ```python requires-server
        import psycopg
        ```
        ```py
        shown = True
        ```
        ```sql
        SELECT 1;
        ```
        ```pythonic
        not python
        ```
        ```
        no language
        ```
        """
    )
    assert [b.source for b in shown_python_blocks(text)] == ["import psycopg\n", "shown = True\n"]


def test_syntax_errors_names_the_broken_block_and_its_markdown_line() -> None:
    text = (
        "# T\n\n```python requires-server\nclient = connect()\n```\n\n"
        "```python requires-server\nfor hit in client.search(:\n    print(hit)\n```\n"
    )
    errors = syntax_errors("demo/broken.md", shown_python_blocks(text))
    assert len(errors) == 1
    assert errors[0].startswith("<demo/broken.md:shown block 2 (line 8)>: line 8: ")
    # Nothing is run: a missing package or a failure at run time is no syntax error.
    runtime_only = "```python requires-server\nimport not_installed_anywhere\n1 / 0\n```\n"
    assert syntax_errors("demo/runtime.md", shown_python_blocks(runtime_only)) == []
