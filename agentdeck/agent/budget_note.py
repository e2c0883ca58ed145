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
# Wrap up when this few steps are left (this one included), or this share of the time or cost.
WRAP_UP_STEPS = 2
WRAP_UP_SHARE = 0.10


def budget_note(meter: BudgetMeter, context_fraction: float | None) -> Message:
    """The note for the request about to be sent (its step is meter.steps + 1)."""
    return {"role": "user", "content": budget_line(meter, context_fraction)}


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
