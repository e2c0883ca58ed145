"""File tools: list, read, search, write, edit. Every path is resolved inside the worktree."""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from agentdeck.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult, cap_text
from agentdeck.agent.tools.paths import ToolError, display, resolve_inside

# Directories no agent wants listed or searched: VCS data, caches, installed packages.
SKIPPED_DIRS = frozenset(
    {".git", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache", ".tox"}
)


def walk_files(worktree: Path, root: Path) -> Iterator[Path]:
    """Files below root, sorted, skipping SKIPPED_DIRS and symlinks that lead out of the worktree.

    os.walk does not descend into symlinked directories; a symlinked file is kept only
    when it resolves inside the worktree, like every path a tool is given.
    """
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            if name == ".git":  # a linked worktree's .git is a file pointing at the repository
                continue
            path = Path(dirpath) / name
            if path.is_symlink():
                try:
                    resolve_inside(worktree, str(path))
                except ToolError:
                    continue
            yield path


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ToolError(f"{path.name} is a directory; use list to see what it holds") from None
    except FileNotFoundError:
        raise ToolError(f"file not found: {path.name}") from None
    if b"\x00" in data[:8192]:
        raise ToolError("binary file; not shown")
    return data.decode("utf-8", "replace")


class ListArgs(ToolArgs):
    path: str = Field(default=".", description="Directory to list, relative to the worktree root.")
    pattern: str | None = Field(
        default=None, description="Optional glob on the relative path, e.g. '*.py' or 'src/**/test_*.py'."
    )
    max_entries: int = Field(default=200, ge=1, le=2000, description="At most this many files are listed.")


async def list_files(ctx: ToolContext, args: ListArgs) -> ToolResult:
    root = resolve_inside(ctx.worktree, args.path)
    if not root.is_dir():
        raise ToolError(f"{args.path!r} is not a directory")
    listed: list[str] = []
    more = 0
    for path in walk_files(ctx.worktree, root):
        relative = display(ctx.worktree, path)
        if args.pattern and not (
            fnmatch.fnmatch(relative, args.pattern) or fnmatch.fnmatch(path.name, args.pattern)
        ):
            continue
        if len(listed) < args.max_entries:
            listed.append(relative)
        else:
            more += 1
    if not listed:
        return ToolResult("no files match" if args.pattern else "the directory is empty")
    if more:
        listed.append(f"[... {more} more files; narrow with path or pattern]")
    return ToolResult(cap_text("\n".join(listed), ctx.output_cap_bytes))


class ReadArgs(ToolArgs):
    path: str = Field(description="File to read, relative to the worktree root.")
    start_line: int = Field(default=1, ge=1, description="First line to show (1-based).")
    end_line: int | None = Field(default=None, ge=1, description="Last line to show; default: to the end.")


async def read_file(ctx: ToolContext, args: ReadArgs) -> ToolResult:
    path = resolve_inside(ctx.worktree, args.path)
    lines = _read_text(path).splitlines()
    end = len(lines) if args.end_line is None else min(args.end_line, len(lines))
    if args.end_line is not None and args.end_line < args.start_line:
        raise ToolError(f"end_line {args.end_line} is before start_line {args.start_line}")
    if args.start_line > max(len(lines), 1):
        raise ToolError(f"start_line {args.start_line} is past the end ({len(lines)} lines)")
    shown = [f"{n:>5}| {lines[n - 1]}" for n in range(args.start_line, end + 1)]
    header = f"{display(ctx.worktree, path)} (lines {args.start_line}-{end} of {len(lines)})"
    return ToolResult(cap_text("\n".join([header, *shown]), ctx.output_cap_bytes))


class SearchArgs(ToolArgs):
    pattern: str = Field(description="Regular expression (Python syntax) to look for.")
    path: str = Field(default=".", description="Directory or file to search in.")
    glob: str | None = Field(default=None, description="Only files whose name matches, e.g. '*.py'.")
    ignore_case: bool = False
    max_results: int = Field(default=100, ge=1, le=1000)


def _search(ctx: ToolContext, args: SearchArgs) -> ToolResult:
    try:
        regex = re.compile(args.pattern, re.IGNORECASE if args.ignore_case else 0)
    except re.error as exc:
        raise ToolError(f"invalid regular expression: {exc}") from None
    root = resolve_inside(ctx.worktree, args.path)
    files = [root] if root.is_file() else walk_files(ctx.worktree, root)
    hits: list[str] = []
    for path in files:
        if args.glob and not fnmatch.fnmatch(path.name, args.glob):
            continue
        try:
            text = _read_text(path)
        except ToolError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if regex.search(line):
                hits.append(f"{display(ctx.worktree, path)}:{number}: {line.strip()[:300]}")
                if len(hits) >= args.max_results:
                    hits.append(f"[stopped at {args.max_results} results; narrow the search]")
                    return ToolResult(cap_text("\n".join(hits), ctx.output_cap_bytes))
    return ToolResult(cap_text("\n".join(hits), ctx.output_cap_bytes) if hits else "no matches")


async def search_files(ctx: ToolContext, args: SearchArgs) -> ToolResult:
    # A large tree takes a while to scan: keep the event loop (and interrupts) responsive.
    return await asyncio.to_thread(_search, ctx, args)


class WriteArgs(ToolArgs):
    path: str = Field(description="File to create or overwrite, relative to the worktree root.")
    content: str = Field(description="The whole new content of the file.")


async def write_file(ctx: ToolContext, args: WriteArgs) -> ToolResult:
    path = resolve_inside(ctx.worktree, args.path)
    if path.is_dir():
        raise ToolError(f"{args.path!r} is a directory")
    try:
        # Encoded before the file is opened, so a bad write never truncates a good file.
        data = args.content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ToolError(f"content is not valid text ({exc.reason} at position {exc.start})") from None
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    verb = "overwrote" if existed else "created"
    lines = args.content.count("\n") + (0 if args.content.endswith("\n") or not args.content else 1)
    return ToolResult(f"{verb} {display(ctx.worktree, path)} ({lines} lines)", may_change_files=True)


class EditArgs(ToolArgs):
    path: str = Field(description="File to edit, relative to the worktree root.")
    old_text: str = Field(description="Exact text to replace; must appear exactly once in the file.")
    new_text: str = Field(description="Text to put in its place.")


async def edit_file(ctx: ToolContext, args: EditArgs) -> ToolResult:
    path = resolve_inside(ctx.worktree, args.path)
    _read_text(path)  # exists, is a file, is text
    try:
        # Strict here: writing back text decoded with replacements would corrupt the file.
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(
            f"{args.path} is not UTF-8 text, which edit cannot change without corrupting it"
        ) from None
    if not args.old_text:
        raise ToolError("old_text is empty; to create or replace a whole file use write")
    count = text.count(args.old_text)
    if count == 0:
        raise ToolError(
            f"old_text was not found in {args.path}; read the file and copy the exact text "
            "(whitespace and indentation matter)"
        )
    if count > 1:
        raise ToolError(
            f"old_text appears {count} times in {args.path}; include more surrounding lines "
            "so that it matches exactly once"
        )
    try:
        new = text.replace(args.old_text, args.new_text, 1).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ToolError(f"new_text is not valid text ({exc.reason})") from None
    path.write_bytes(new)
    return ToolResult(f"edited {display(ctx.worktree, path)}", may_change_files=True)


FILE_TOOLS = (
    Tool(
        "list",
        "List files below a directory of the worktree, optionally filtered by a glob.",
        ListArgs,
        list_files,
    ),
    Tool(
        "read",
        "Read a text file, with line numbers; use start_line/end_line for long files.",
        ReadArgs,
        read_file,
    ),
    Tool(
        "search", "Search files for a regular expression; returns path:line: text.", SearchArgs, search_files
    ),
    Tool("write", "Create a file or replace its whole content.", WriteArgs, write_file),
    Tool("edit", "Replace one exact, unique piece of text in a file.", EditArgs, edit_file),
)
