"""What a resumed agent is told: the reviewer's feedback, a retry, or where it was cut off."""

from __future__ import annotations

from agentdeck.runtime.store import TaskRow
from agentdeck.runtime.task_records import FeedbackRecord

RESUME_NOTE = (
    "\n\n(Resumed: an earlier agent worked on this task in this worktree and was cut off: {reason}. "
    "Its work so far is committed on branch {branch} — see `git log`. Continue from there; "
    "do not redo what is already done.)"
)
FEEDBACK_NOTE = (
    "\n\n## Changes requested\n"
    "A reviewer read your earlier result on this task and asks for these changes:\n{feedback}\n\n"
    "Your earlier work is committed on branch {branch} in this worktree (see `git log` and "
    "`git diff {base}`). Change it as asked; do not start over."
)
RETRY_NOTE = (
    "\n\n(Run again at the reviewer's request: your earlier work on this task is committed on branch "
    "{branch} in this worktree — see `git log`. Check it against the task and improve it; do not start over.)"
)


def resume_note(row: TaskRow) -> tuple[str, list[FeedbackRecord] | None]:
    """The note appended to the task's text, and the feedback list to store (None: unchanged)."""
    pending = [entry for entry in row.feedback or [] if not entry.get("delivered")]
    if pending:
        feedback = "\n".join(f"- {entry['text']}" for entry in pending)
        delivered: list[FeedbackRecord] = [{**entry, "delivered": True} for entry in row.feedback or []]
        return FEEDBACK_NOTE.format(
            feedback=feedback, branch=row.branch, base=(row.base_commit or "")[:10]
        ), delivered
    if row.reason == "retried by the user":
        return RETRY_NOTE.format(branch=row.branch), None
    return RESUME_NOTE.format(reason=row.reason or "interrupted", branch=row.branch), None
