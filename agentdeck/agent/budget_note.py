"""The budget note: one compact line at the end of each request saying what is left of the agent's budgets.

It is sent, never stored: each request carries the note as it stands then, so the transcript
does not grow by a line a turn. Near a budget's end it tells the agent to wrap up, so it
finishes with what it has rather than being stopped half-way through an edit.
"""

from __future__ import annotations

from agentdeck.agent.budgets import BudgetMeter
from agentdeck.llm.types import Message

# The offline demo model recognises the note by this prefix (agentdeck.llm.demo repeats it).
BUDGET_NOTE_PREFIX = "[agentdeck budget]"
WRAP_UP = "Wrap up now"
# Between a user's message and the note joined to it.
NOTE_SEPARATOR = "\n\n"
# Wrap up when this few steps are left (this one included), or this share of the time or cost.
WRAP_UP_STEPS = 2
WRAP_UP_SHARE = 0.10


def with_budget_note(
    messages: list[Message], meter: BudgetMeter, context_fraction: float | None
) -> list[Message]:
    """The request to send: `messages` (untouched) with the note for its step (meter.steps + 1) at the end.

    After a message of the user's (the task, a steer, a nudge) the note joins that message:
    some chat templates (Mistral's, Gemma's) refuse two user messages in a row. After a
    tool result it is a user message of its own, as a steer would be."""
    line = budget_line(meter, context_fraction)
    last = messages[-1] if messages else None
    if last is not None and last.get("role") == "user" and isinstance(last.get("content"), str):
        return [*messages[:-1], {**last, "content": f"{last['content']}{NOTE_SEPARATOR}{line}"}]
    return [*messages, {"role": "user", "content": line}]


def without_budget_note(request: list[Message]) -> tuple[list[Message], str | None]:
    """A request split back into the transcript as stored and its note (None: it has none)."""
    if not request or not isinstance(request[-1].get("content"), str):
        return request, None
    content: str = request[-1]["content"]
    if content.startswith(BUDGET_NOTE_PREFIX):
        return request[:-1], content
    head, separator, note = content.rpartition(NOTE_SEPARATOR)
    if separator and note.startswith(BUDGET_NOTE_PREFIX):
        return [*request[:-1], {**request[-1], "content": head}], note
    return request, None


def budget_line(meter: BudgetMeter, context_fraction: float | None) -> str:
    """'[agentdeck budget] step 3 of 50; 27m10s of 30m00s left; $4.91 of $5.00 left; context 12% full.'"""
    budget = meter.budget
    step = meter.steps + 1
    steps_left = budget.max_steps - meter.steps  # this step included
    time_left = meter.wall_remaining()
    cost_left = max(0.0, budget.max_cost_usd - meter.cost_usd)
    parts = [
        f"step {step} of {budget.max_steps}",
        f"{_duration(time_left)} of {_duration(budget.max_wall_seconds)} left",
        f"${cost_left:.2f} of ${budget.max_cost_usd:.2f} left",
    ]
    if context_fraction is not None:
        parts.append(f"context {context_fraction:.0%} full")
    line = f"{BUDGET_NOTE_PREFIX} " + "; ".join(parts) + "."
    if steps_left <= 1:
        return f"{line} {WRAP_UP}: this is your last step; call finish with what is done and what is left."
    short = [
        name
        for name, low in (
            ("steps", steps_left <= WRAP_UP_STEPS),
            ("time", time_left <= WRAP_UP_SHARE * budget.max_wall_seconds),
            ("cost", cost_left <= WRAP_UP_SHARE * budget.max_cost_usd),
        )
        if low
    ]
    if short:
        return (
            f"{line} {WRAP_UP} ({' and '.join(short)} nearly spent): complete the edit in hand, start nothing "
            "new, and call finish with what is done and what is left."
        )
    return line


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
