"""The inbox: a Markdown file dropped into the inbox folder becomes a background task.

Optional front matter between `---` lines, `key: value` per line (priority, after, model, role,
skills: names separated by commas, or `[a, b]`);
the rest is the task text. A queued file moves to `done/`; a file that cannot be queued
moves to `rejected/` with a `<name>.error` note beside it saying why — never silently
dropped. Files whose name starts with `.` or does not end in `.md` are left alone (editors'
temporary files); write the file elsewhere and move it in to drop it atomically.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentdeck.events import InboxRejected

FRONT_MATTER_KEYS = ("priority", "after", "model", "skills", "role")


class InboxError(Exception):
    """Why a file could not become a task; one line."""


@dataclass
class InboxTask:
    task: str
    priority: int = 0
    after: str | None = None
    model: str | None = None
    skills: list[str] = field(default_factory=list[str])
    role: str | None = None


def parse_inbox_text(text: str) -> InboxTask:
    """Front matter (optional) and body of one inbox file."""
    lines = text.splitlines()
    fields: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        try:
            end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
        except StopIteration:
            raise InboxError(
                "front matter opened with --- on the first line is never closed with ---"
            ) from None
        for number, line in enumerate(lines[1:end], 2):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition(":")
            key = key.strip().lower()
            if not sep:
                raise InboxError(
                    f"line {number}: expected `key: value` in the front matter, got {line.strip()!r}"
                )
            if key not in FRONT_MATTER_KEYS:
                raise InboxError(
                    f"line {number}: unknown front matter key {key!r} (known: {', '.join(FRONT_MATTER_KEYS)})"
                )
            fields[key] = value.strip().strip("\"'")
        lines = lines[end + 1 :]
    body = "\n".join(lines).strip()
    if not body:
        raise InboxError("the file has no task text (write what the agent should do below the front matter)")
    priority = 0
    if fields.get("priority"):
        try:
            priority = int(fields["priority"])
        except ValueError:
            raise InboxError(f"priority must be a whole number, got {fields['priority']!r}") from None
    skills = [name.strip().strip("\"'") for name in fields.get("skills", "").strip("[]").split(",")]
    return InboxTask(
        task=body,
        priority=priority,
        after=fields.get("after") or None,
        model=fields.get("model") or None,
        skills=[name for name in skills if name],
        role=fields.get("role") or None,
    )


def is_inbox_file(path: Path, inbox: Path) -> bool:
    return path.parent == inbox and path.suffix == ".md" and not path.name.startswith(".")


class Inbox:
    """Turns files in `directory` into tasks through `enqueue`, at start and as they arrive."""

    def __init__(
        self,
        directory: Path,
        enqueue: Callable[[InboxTask], Awaitable[str]],
        publish: Callable[[InboxRejected], object],
    ) -> None:
        self.directory = directory
        self._enqueue = enqueue
        self._publish = publish

    def prepare(self) -> None:
        for sub in ("", "done", "rejected"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)

    async def scan(self) -> None:
        """Queue every file already waiting in the inbox, oldest first."""
        files = [p for p in self.directory.iterdir() if p.is_file() and is_inbox_file(p, self.directory)]
        for path in sorted(files, key=lambda p: p.stat().st_mtime):
            await self.process(path)

    async def watch(self, stop: asyncio.Event) -> None:
        # awatch's stop_event also names a trio Event, and trio is not installed, so that one
        # parameter's type is unknown to the type checker; this call passes an asyncio Event.
        from watchfiles import Change, awatch  # pyright: ignore[reportUnknownVariableType]

        async for changes in awatch(self.directory, stop_event=stop, recursive=False, debounce=200, step=50):
            paths = {Path(p) for change, p in changes if change != Change.deleted}
            for path in sorted(paths):
                if path.is_file() and is_inbox_file(path, self.directory):
                    await self.process(path)

    async def process(self, path: Path) -> None:
        from agentdeck.runtime.command_error import CommandError

        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return  # taken away again before we got to it
        except (OSError, UnicodeDecodeError) as exc:
            self._reject(path, f"cannot be read as UTF-8 text: {exc}")
            return
        try:
            task_id = await self._enqueue(parse_inbox_text(text))
        except (InboxError, CommandError) as exc:
            self._reject(path, str(exc))
            return
        _move(path, self.directory / "done", f"{task_id}-")

    def _reject(self, path: Path, reason: str) -> None:
        target = _move(path, self.directory / "rejected")
        note = target.with_name(target.name + ".error")
        note.write_text(
            f"{reason}\n\nFix the file and move it back into {self.directory} to queue it.\n",
            encoding="utf-8",
        )
        self._publish(InboxRejected(path=str(path), moved_to=str(target), reason=reason))


def _move(path: Path, folder: Path, prefix: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{prefix}{path.name}"
    if target.exists():
        target = folder / f"{prefix}{path.stem}-{int(time.time() * 1000)}{path.suffix}"
    path.replace(target)
    return target
