"""The tools against a real directory: paths stay inside, errors read clearly, commands are bounded."""

from __future__ import annotations

import json
import os
import select
from pathlib import Path

import pytest

from agentdeck.agent.tools import Toolbox, ToolContext


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    root = tmp_path / "worktree"
    root.mkdir()
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(
        "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
    )
    (root / "README.md").write_text("# Demo\n\nline two\nline three\n")
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.txt").write_text("do not read me\n")
    return secret


def ctx(worktree: Path, **kw) -> ToolContext:
    return ToolContext(worktree=worktree, **kw)


async def call(worktree: Path, name: str, **arguments):
    return await Toolbox().call(ctx(worktree), name, json.dumps(arguments))


@pytest.mark.parametrize("path", ["../outside/secret.txt", "src/../../outside/secret.txt"])
async def test_read_refuses_dotdot_escape(worktree: Path, outside: Path, path: str) -> None:
    result = await call(worktree, "read", path=path)
    assert not result.ok
    assert "outside the worktree" in result.output
    assert "do not read me" not in result.output


async def test_absolute_path_outside_is_refused_inside_is_allowed(worktree: Path, outside: Path) -> None:
    refused = await call(worktree, "read", path=str(outside / "secret.txt"))
    assert not refused.ok and "outside the worktree" in refused.output
    allowed = await call(worktree, "read", path=str(worktree / "README.md"))
    assert allowed.ok and "# Demo" in allowed.output


async def test_symlinks_that_lead_out_are_refused_for_read_and_write(worktree: Path, outside: Path) -> None:
    (worktree / "link-file").symlink_to(outside / "secret.txt")
    (worktree / "link-dir").symlink_to(outside)
    read = await call(worktree, "read", path="link-file")
    assert not read.ok and "outside the worktree" in read.output
    overwrite = await call(worktree, "write", path="link-file", content="pwned")
    through_dir = await call(worktree, "write", path="link-dir/new.txt", content="pwned")
    edit = await call(worktree, "edit", path="link-dir/secret.txt", old_text="do", new_text="did")
    assert not overwrite.ok and not through_dir.ok and not edit.ok
    assert (outside / "secret.txt").read_text() == "do not read me\n"
    assert sorted(os.listdir(outside)) == ["secret.txt"]


async def test_write_outside_via_dotdot_writes_nothing(worktree: Path, tmp_path: Path) -> None:
    result = await call(worktree, "write", path="../escaped.txt", content="x")
    assert not result.ok
    assert not (tmp_path / "escaped.txt").exists()


async def test_git_directory_is_off_limits(worktree: Path) -> None:
    (worktree / ".git").mkdir()
    result = await call(worktree, "write", path=".git/config", content="x")
    assert not result.ok and ".git" in result.output


async def test_edit_missing_text_is_a_clear_error(worktree: Path) -> None:
    result = await call(worktree, "edit", path="src/app.py", old_text="return a * b", new_text="x")
    assert not result.ok
    assert "not found" in result.output


async def test_edit_ambiguous_text_is_a_clear_error_and_changes_nothing(worktree: Path) -> None:
    before = (worktree / "src" / "app.py").read_text()
    result = await call(worktree, "edit", path="src/app.py", old_text="(a, b):", new_text="(x, y):")
    assert not result.ok
    assert "appears 2 times" in result.output
    assert (worktree / "src" / "app.py").read_text() == before


async def test_edit_replaces_exactly_one_occurrence(worktree: Path) -> None:
    result = await call(
        worktree, "edit", path="src/app.py", old_text="return a - b", new_text="return a - b  # checked"
    )
    assert result.ok and result.may_change_files
    assert "return a - b  # checked" in (worktree / "src" / "app.py").read_text()


async def test_read_shows_numbered_line_range(worktree: Path) -> None:
    result = await call(worktree, "read", path="README.md", start_line=3, end_line=4)
    assert result.ok
    assert "    3| line two" in result.output and "    4| line three" in result.output
    assert "# Demo" not in result.output


async def test_list_and_search_find_files_and_lines(worktree: Path) -> None:
    listing = await call(worktree, "list", pattern="*.py")
    assert listing.output.splitlines() == ["src/app.py"]
    hits = await call(worktree, "search", pattern=r"def \w+\(", glob="*.py")
    assert hits.output.splitlines() == ["src/app.py:1: def add(a, b):", "src/app.py:5: def sub(a, b):"]
    bad = await call(worktree, "search", pattern="(")
    assert not bad.ok and "invalid regular expression" in bad.output


async def test_bad_arguments_are_a_tool_error_not_an_exception(worktree: Path) -> None:
    toolbox = Toolbox()
    missing = await toolbox.call(ctx(worktree), "read", "{}")
    assert not missing.ok and "path" in missing.output
    garbled = await toolbox.call(ctx(worktree), "read", "{not json")
    assert not garbled.ok and "not valid JSON" in garbled.output
    unknown = await toolbox.call(ctx(worktree), "teleport", "{}")
    assert not unknown.ok and "unknown tool" in unknown.output


async def test_run_reports_exit_code_and_caps_output(worktree: Path) -> None:
    toolbox = Toolbox()
    result = await toolbox.call(
        ctx(worktree, output_cap_bytes=1000), "run", json.dumps({"command": "seq 1 5000; exit 3"})
    )
    assert not result.ok
    assert result.output.splitlines()[1].startswith("exit code 3")  # line 1: [unconfined: ...]
    assert "bytes omitted" in result.output
    assert len(result.output.encode()) < 1200
    assert result.output.rstrip().endswith("5000")


async def test_run_starts_in_the_worktree(worktree: Path) -> None:
    result = await call(worktree, "run", command="pwd")
    assert os.path.realpath(result.output.splitlines()[-1]) == os.path.realpath(worktree)


async def test_run_timeout_kills_the_command_and_its_children(worktree: Path) -> None:
    toolbox = Toolbox()
    result = await toolbox.call(
        ctx(worktree, run_timeout_s=0.3),
        "run",
        json.dumps({"command": "sleep 30 & echo $! > child.pid; wait"}),
    )
    assert not result.ok and "timed out" in result.output
    child = int((worktree / "child.pid").read_text())
    assert not _running(child)


def _running(pid: int, within_s: float = 5.0) -> bool:
    """Still alive after waiting up to `within_s` for it to exit (a pidfd wakes us on exit).

    A killed process is torn down asynchronously by the kernel, and in a container nobody
    may reap it: exited (a zombie) counts as gone.
    """
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        readable, _, _ = select.select([fd], [], [], within_s)
    finally:
        os.close(fd)
    if readable:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


async def test_run_keeps_memory_bounded_whatever_the_command_prints(worktree: Path) -> None:
    from agentdeck.agent.tools.shell import CappedOutput

    capped = CappedOutput(1000)
    for _ in range(10_000):
        capped.feed(b"x" * 1000)
    assert len(capped.head) + capped.tail_size < 3000
    text = capped.text()
    assert "[... " in text and len(text) < 1200
    result = await Toolbox().call(
        ctx(worktree, output_cap_bytes=1000),
        "run",
        json.dumps({"command": "head -c 50000000 /dev/zero | tr '\\\\0' y; echo END"}),
    )
    assert result.ok and result.output.rstrip().endswith("END") and "bytes omitted" in result.output


async def test_run_leaves_no_background_job_behind(worktree: Path) -> None:
    result = await call(worktree, "run", command="sleep 300 >/dev/null 2>&1 & echo $! > bg.pid")
    assert result.ok
    assert not _running(int((worktree / "bg.pid").read_text()))


async def test_run_kills_a_command_that_ignores_sigterm(worktree: Path) -> None:
    toolbox = Toolbox()
    command = "trap '' TERM; echo $$ > stubborn.pid; sleep 60"
    result = await toolbox.call(ctx(worktree, run_timeout_s=0.3), "run", json.dumps({"command": command}))
    assert not result.ok and "timed out" in result.output
    assert not _running(int((worktree / "stubborn.pid").read_text()))


async def test_run_does_not_pass_git_location_variables(worktree: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/somewhere/else/.git")
    monkeypatch.setenv("GIT_WORK_TREE", "/somewhere/else")
    result = await call(worktree, "run", command="echo dir=${GIT_DIR:-unset} tree=${GIT_WORK_TREE:-unset}")
    assert "dir=unset tree=unset" in result.output


async def test_search_does_not_follow_symlinks_out_of_the_worktree(worktree: Path, outside: Path) -> None:
    (outside / "secret.txt").write_text("TOPSECRET token\n")
    (worktree / "link").symlink_to(outside / "secret.txt")
    (worktree / "linkdir").symlink_to(outside)
    (worktree / "inside-link").symlink_to(worktree / "README.md")
    hits = await call(worktree, "search", pattern="TOPSECRET|line two")
    assert "TOPSECRET" not in hits.output
    assert "README.md:3: line two" in hits.output
    listing = await call(worktree, "list")
    assert "link" not in listing.output.split()


async def test_edit_refuses_a_file_that_is_not_utf8(worktree: Path) -> None:
    (worktree / "latin1.txt").write_bytes(b"caf\xe9\n")
    result = await call(worktree, "edit", path="latin1.txt", old_text="caf", new_text="bar")
    assert not result.ok and "UTF-8" in result.output
    assert (worktree / "latin1.txt").read_bytes() == b"caf\xe9\n"


async def test_write_of_unencodable_text_is_a_tool_error_and_keeps_the_file(worktree: Path) -> None:
    result = await call(worktree, "write", path="README.md", content="bad \ud800 surrogate")
    assert not result.ok
    assert (worktree / "README.md").read_text().startswith("# Demo")


async def test_read_with_an_inverted_range_is_an_error(worktree: Path) -> None:
    result = await call(worktree, "read", path="README.md", start_line=3, end_line=1)
    assert not result.ok and "end_line" in result.output
