"""What every command ends with: its exit status, and how it says what went wrong.

Exit status: 0 finished, 1 failed, 2 usage or configuration error, 130 interrupted.
"""

from __future__ import annotations

import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def error(message: str) -> None:
    print(f"agentdeck: error: {message}", file=sys.stderr)


def notice(message: str) -> None:
    """Side remarks go to stderr, so that stdout stays clean for --json."""
    print(f"agentdeck: {message}", file=sys.stderr)
