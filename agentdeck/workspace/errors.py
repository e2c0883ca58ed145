"""The one exception the workspace package raises."""

from __future__ import annotations


class WorkspaceError(Exception):
    """A git workspace problem; str(e) is one line telling the user what to do."""

    def __init__(self, message: str) -> None:
        # Callers show this in a status line or a CLI error, so it must stay one line even
        # when it embeds a multi-line libgit2 message.
        super().__init__(" ".join(str(message).splitlines()).strip())
