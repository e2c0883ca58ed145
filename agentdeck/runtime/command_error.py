"""The error every session command may raise, in-process or over the socket.

Its own module so the cockpit can catch it without importing the command models
(session_api.py): the cockpit paints before it sends a command.
"""

from __future__ import annotations

from typing import Literal

ErrorCode = Literal["usage", "failed"]


class CommandError(Exception):
    """A command the session refused; `str()` is one line, `code` maps to the exit status."""

    def __init__(self, message: str, code: ErrorCode = "usage") -> None:
        super().__init__(message)
        self.code = code
