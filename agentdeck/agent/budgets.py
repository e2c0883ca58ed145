"""Budgets: steps, cost and wall time, measured as the agent works and enforced before each step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    max_steps: int = 50
    max_cost_usd: float = 5.0
    max_wall_seconds: float = 1800.0


class BudgetMeter:
    """What the agent has spent. Wall time counts working time only, not time spent waiting for a human."""

    def __init__(self, budget: Budget, clock: Callable[[], float]) -> None:
        self.budget = budget
        self._clock = clock
        self.steps = 0
        self.cost_usd = 0.0
        self._worked_s = 0.0
        self._since: float | None = None
        self._active = 0

    # The meter is shared by a task's agent and its sub-agents: the clock runs while at
    # least one of them works, and stops while all of them wait (or a parent waits for
    # its sub-agents, which count on their own).

    def start(self) -> None:
        self.resume()

    def pause(self) -> None:
        self._active = max(0, self._active - 1)
        if self._active == 0 and self._since is not None:
            self._worked_s += self._clock() - self._since
            self._since = None

    def resume(self) -> None:
        self._active += 1
        if self._since is None:
            self._since = self._clock()

    def add_cost(self, cost_usd: float | None) -> None:
        if cost_usd:
            self.cost_usd += cost_usd

    @property
    def wall_seconds(self) -> float:
        running = self._clock() - self._since if self._since is not None else 0.0
        return self._worked_s + running

    def wall_remaining(self) -> float:
        return max(0.0, self.budget.max_wall_seconds - self.wall_seconds)

    def exceeded(self) -> str | None:
        """Why the agent must stop now, or None."""
        b = self.budget
        if self.steps >= b.max_steps:
            return f"step budget reached: {self.steps} of {b.max_steps} steps (raise budgets.max_steps or pass --max-steps)"
        if self.cost_usd >= b.max_cost_usd:
            return f"cost budget reached: ${self.cost_usd:.4f} of ${b.max_cost_usd:.2f} (raise budgets.max_cost_usd)"
        if self.wall_remaining() <= 0:
            return self.wall_time_up()
        return None

    def wall_time_up(self) -> str:
        return (
            f"wall-time budget reached: {self.wall_seconds:.1f} s of {self.budget.max_wall_seconds:g} s "
            "(raise budgets.max_wall_seconds)"
        )
