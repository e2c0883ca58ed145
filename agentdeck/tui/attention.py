"""Telling a person that an agent needs them: once, in the cockpit, with the bell, and on the desktop.

Calls close together go out as one (`AttentionBatcher`, no Textual: the app gives it a
timer and says the batch). The desktop notification goes through the platform's own tool
(notify-send on Linux with a display, osascript on macOS) in the background; where there
is none, nothing happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from agentdeck.task_state import TaskState
from agentdeck.text import one_line

# Attention calls closer together than this go out as one notification.
ATTENTION_WINDOW_S = 3.0
# A task that comes to wait this soon after you interrupted it is waiting because of you.
OWN_INTERRUPT_S = 30.0
# A batch names at most this many tasks; the rest are counted.
ATTENTION_LINES = 6


class Attention(NamedTuple):
    """One task that needs a person, as things were when it was called."""

    task_id: str
    why: str
    state: str
    task: str
    reason: str


class AttentionMessage(NamedTuple):
    """What a batch of calls says: in the cockpit (title, detail, severity) and on the desktop."""

    severity: str
    title: str
    detail: str
    desktop_body: str


def attention_message(batch: list[Attention]) -> AttentionMessage:
    """One toast for a batch: the task and its reason for one call, a list of tasks for more."""
    states = {call.state for call in batch}
    severity = (
        "error" if "failed" in states else "warning" if states & {"waiting", "stalled"} else "information"
    )
    if len(batch) == 1:
        call = batch[0]
        detail = one_line(call.task, 60) + (
            f"\n{one_line(call.reason, 120)}" if call.reason and call.state != TaskState.FINISHED else ""
        )
        return AttentionMessage(severity, f"{call.task_id} {call.why}", detail, one_line(call.task, 100))
    lines = [f"{call.task_id} {call.why}" for call in batch[:ATTENTION_LINES]]
    if len(batch) > ATTENTION_LINES:
        lines.append(f"… and {len(batch) - ATTENTION_LINES} more (the queue shows them)")
    return AttentionMessage(severity, f"{len(batch)} tasks need you", "\n".join(lines), "; ".join(lines[:3]))


class AttentionBatcher:
    """The first call goes out at once; calls within ATTENTION_WINDOW_S of the last batch wait
    for the window's end and go out together. Fifty agents finishing in a minute stay readable
    (and a screen full of toasts would slow every frame).

    `schedule(delay, callback)` runs the callback later (the app's `set_timer`); `say(batch)`
    tells the person."""

    def __init__(
        self,
        say: Callable[[list[Attention]], None],
        schedule: Callable[[float, Callable[[], None]], Any],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._say = say
        self._schedule = schedule
        self._clock = clock
        self._waiting: list[Attention] = []
        self._timer: Any = None
        self._last = float("-inf")

    def add(self, call: Attention) -> None:
        self._waiting.append(call)
        if self._timer is not None:
            return
        wait = self._last + ATTENTION_WINDOW_S - self._clock()
        if wait <= 0:
            self.flush()
        else:
            self._timer = self._schedule(wait, self.flush)

    def flush(self) -> None:
        """Say what is waiting now (the window's timer calls this)."""
        self._timer = None
        batch, self._waiting = self._waiting, []
        if batch:
            self._last = self._clock()
            self._say(batch)


def desktop_notifier() -> list[str] | None:
    """The command that shows a desktop notification here, or None when this machine has no desktop."""
    if sys.platform == "darwin" and shutil.which("osascript"):
        return ["osascript", "-e"]
    if (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and shutil.which("notify-send"):
        return ["notify-send", "--app-name=agentdeck"]
    return None


def notify_desktop(title: str, message: str) -> bool:
    """Show a desktop notification without waiting for it; False when there is no desktop."""
    command = desktop_notifier()
    if command is None:
        return False
    if command[0] == "osascript":
        script = f"display notification {_applescript(message)} with title {_applescript(title)}"
        args = [*command, script]
    else:
        args = [*command, title, message]
    try:
        subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    return True


def _applescript(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
