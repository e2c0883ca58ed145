"""The task state's questions, answered once: what a person may do with a task in each state."""

from agentdeck.runtime.store import TaskRow
from agentdeck.task_state import TaskState


def test_a_state_is_its_own_string_and_a_stored_row_gives_the_enum_back():
    row = TaskRow(id="t1", task="x", state="stalled")  # as SQLite hands it back
    assert row.state is TaskState.STALLED
    assert row.state == "stalled" and f"{row.state}" == "stalled"


def test_only_live_agents_hold_a_slot_and_verifying_is_ended():
    assert {s for s in TaskState if s.is_active} == {TaskState.RUNNING, TaskState.WAITING, TaskState.STALLED}
    assert TaskState.VERIFYING.is_ended and not TaskState.QUEUED.is_ended


def test_the_queue_keeps_resumable_tasks_and_drops_decided_ones():
    assert TaskState.INTERRUPTED.in_queue and TaskState.VERIFYING.in_queue
    assert not any(s.in_queue for s in (TaskState.FINISHED, TaskState.MERGED, TaskState.CANCELLED))


def test_decisions_by_state():
    assert TaskState.REJECTED.can_merge and not TaskState.REJECTED.can_reject
    assert TaskState.INTERRUPTED.can_merge and TaskState.INTERRUPTED.can_send_back
    for state in (TaskState.QUEUED, TaskState.RUNNING, TaskState.VERIFYING, TaskState.MERGED):
        assert not (state.can_merge or state.can_reject or state.can_send_back), state
