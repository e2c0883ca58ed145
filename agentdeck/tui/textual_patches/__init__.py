"""Every place agentdeck mends or reaches into Textual, together, each with its guard test.

Textual is pinned exactly (pyproject.toml), and each module here names the version it was
written against, what it mends and the test that fails when an upgrade changes what it
relies on; docs/architecture.md has the table (with when each can go). `install()` applies
the patches that replace Textual's own methods; it is idempotent. The others are helpers
called where they are needed: `footer_watchers`, `initial_theme`, `keymap`, `stylesheet`.
"""

from __future__ import annotations


def install() -> None:
    """Apply the patches to Textual's classes (once per process; later calls do nothing)."""
    from agentdeck.tui.textual_patches import cycles, frame_pacing, toast_holders

    cycles.install()
    frame_pacing.install()
    toast_holders.install()
