"""Telling a person that an agent needs them: once, in the cockpit, with the bell, and on the desktop.

The desktop notification goes through the platform's own tool (notify-send on Linux with
a display, osascript on macOS) in the background; where there is none, nothing happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


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
        subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return False
    return True


def _applescript(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
