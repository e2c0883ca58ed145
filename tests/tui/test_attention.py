"""Attention calls close together go out as one, on a fake clock (no Textual, no sleeps)."""

from __future__ import annotations

from agentdeck.tui.attention import (
    ATTENTION_LINES,
    ATTENTION_WINDOW_S,
    Attention,
    AttentionBatcher,
    attention_message,
)


class Timers:
    def __init__(self) -> None:
        self.now = 100.0
        self.due: list[tuple[float, object]] = []

    def schedule(self, delay: float, callback) -> object:
        self.due.append((self.now + delay, callback))
        return callback

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for when, callback in [d for d in self.due if d[0] <= self.now]:
            self.due.remove((when, callback))
            callback()


def call(n: int, state: str = "finished", reason: str = "") -> Attention:
    return Attention(
        f"task-{n}", "finished" if state == "finished" else f"is {state}", state, f"task {n}", reason
    )


def test_the_first_call_goes_out_at_once_and_the_next_ones_together_after_the_window() -> None:
    timers, said = Timers(), []
    batcher = AttentionBatcher(said.append, timers.schedule, clock=lambda: timers.now)
    batcher.add(call(0))
    assert [[c.task_id for c in batch] for batch in said] == [["task-0"]]
    batcher.add(call(1))
    batcher.add(call(2))
    timers.advance(ATTENTION_WINDOW_S - 0.1)
    assert len(said) == 1  # still inside the window
    timers.advance(0.2)
    assert [[c.task_id for c in batch] for batch in said] == [["task-0"], ["task-1", "task-2"]]
    timers.advance(ATTENTION_WINDOW_S)
    batcher.add(call(3))  # a quiet window later: at once again
    assert [c.task_id for c in said[-1]] == ["task-3"]


def test_a_batch_names_its_tasks_counts_the_rest_and_takes_the_worst_severity() -> None:
    one = attention_message([call(0, "waiting", "asks which currency")])
    assert (one.title, one.severity) == ("task-0 is waiting", "warning")
    assert one.detail == "task 0\nasks which currency"
    many = attention_message([call(n) for n in range(ATTENTION_LINES + 2)] + [call(99, "failed")])
    assert many.severity == "error" and many.title == f"{ATTENTION_LINES + 3} tasks need you"
    assert many.detail.splitlines()[-1] == "… and 3 more (the queue shows them)"
