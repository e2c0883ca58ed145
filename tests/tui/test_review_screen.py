"""The review screen with a pilot, on a live in-process session whose demo agents finished and were verified."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from agentdeck.api import Enqueue
from agentdeck.events import ChangesRequested
from agentdeck.tui.screens.review import FeedbackScreen, ReviewScreen
from tests.support.git_repos import git
from tests.tui.conftest import started_cockpit
from tests.tui.waiting import wait_until

SIZE = (150, 42)


async def verified_results(app, session, *texts: str) -> list[str]:
    """Queue background tasks on the demo model and wait until the judge has given each a verdict."""
    ids = [(await session.execute(Enqueue(task=text))).task_id for text in texts]
    await wait_until(
        app, lambda: all(app.state.tasks.get(t) and app.state.tasks[t].verdict for t in ids), timeout=90
    )
    return ids


async def open_review(app, pilot) -> ReviewScreen:
    """F2, and wait until the first result is on screen in full."""
    await pilot.press("f2")
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    await wait_until(screen.app, lambda: screen.shown is not None)
    return screen


async def test_one_key_merges_one_key_rejects_and_the_cursor_moves_on(repo: Path) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=0)
    head_before = git(repo, "rev-parse", "main").strip()
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        ids = await verified_results(
            app, session, "write notes on the project", "write a changelog", "list the open questions"
        )
        screen = await open_review(app, pilot)
        assert {item.task_id for item in screen.items} == set(ids)
        # The result is on screen in full: verdict, tests, stats and the diff.
        shown = str(screen.body.render()) + "".join(str(w.render()) for w in screen.diff.query(Static))
        assert "judge:" in shown and "tests:" in shown and "diff" in shown
        # The judge's findings sit at their lines in the diff (the demo judge remarks on the first line).
        assert "judge, info" in shown
        order = [item.task_id for item in screen.items]
        await pilot.press("n")
        await wait_until(screen.app, lambda: screen.shown == order[1])
        await pilot.press("m")  # the middle one
        await wait_until(
            screen.app,
            lambda: screen.busy is None and order[1] not in {item.task_id for item in screen.items},
        )
        assert session.store.task(order[1]).state == "merged"
        # The cursor moved on to the result after it: the next decision is one key again.
        await wait_until(screen.app, lambda: screen.shown == order[2])
        await pilot.press("x")
        await wait_until(
            screen.app,
            lambda: screen.busy is None and order[2] not in {item.task_id for item in screen.items},
        )
        await wait_until(screen.app, lambda: screen.shown == order[0])
        await pilot.press("x")
        await wait_until(screen.app, lambda: screen.busy is None and not screen.items)
        assert [session.store.task(t).state for t in order] == ["rejected", "merged", "rejected"]
        assert "Nothing to decide" in str(screen.head.render())
        await pilot.press("escape")
        assert app.screen is app.cockpit
    # Merged work is on the base branch, rejected work is not, and nothing else changed.
    log = git(repo, "log", "--format=%H %s", f"{head_before}..main")
    assert order[1] in log and order[0] not in log and order[2] not in log
    assert git(repo, "status", "--porcelain").strip() == ""
    await session.shutdown()


async def test_send_back_with_feedback_and_next_previous(repo: Path) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=0)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        ids = await verified_results(app, session, "write notes on the project", "write a changelog")
        screen = await open_review(app, pilot)
        start = screen.selected
        await pilot.press("n")
        await wait_until(screen.app, lambda: screen.shown not in (None, start))
        assert screen.selected in ids and screen.selected != start
        await pilot.press("p")
        await wait_until(screen.app, lambda: screen.shown == start)
        # f, the feedback, Enter: the task goes back to its agent with the feedback in context.
        await pilot.press("f")
        assert isinstance(app.screen, FeedbackScreen)
        await pilot.press(*"add a summary line")
        await pilot.press("enter")
        # The agent takes the task back at once (and the demo model is quick: it may be back for review).
        await wait_until(
            app, lambda: any(isinstance(e, ChangesRequested) for e in session.store.events(0, task_id=start))
        )
        await wait_until(screen.app, lambda: screen.busy is None)
        requested = [e for e in session.store.events(0, task_id=start) if isinstance(e, ChangesRequested)]
        assert [e.feedback for e in requested] == ["add a summary line"]
        assert session.store.task(start).feedback[0]["text"] == "add a summary line"
    await session.shutdown()


async def test_marked_results_merge_together_or_not_at_all(repo: Path) -> None:
    # Both demo agents add the same notes file: the integration pass finds the conflict
    # between them before anything is written, and the screen says which file and who.
    session, app = await started_cockpit(repo, tokens_per_second=0)
    head_before = git(repo, "rev-parse", "main").strip()
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        ids = await verified_results(app, session, "write notes on the project", "write a changelog")
        screen = await open_review(app, pilot)
        await pilot.press("space", "n", "space")
        assert sorted(screen.marked) == sorted(ids)
        assert "2 marked" in str(screen.summary.render())
        await pilot.press("m")
        await wait_until(screen.app, lambda: screen.busy is None and screen.problem.has_class("-shown"))
        problem = str(screen.problem.render())
        assert "nothing was merged" in problem and "agentdeck-demo-notes.md" in problem
        assert all(session.store.task(t).state == "finished" for t in ids)
    assert git(repo, "rev-parse", "main").strip() == head_before
    assert git(repo, "status", "--porcelain").strip() == ""
    await session.shutdown()


async def test_best_of_n_is_one_entry_the_pick_first_and_one_key_merges_one_and_rejects_the_rest(
    repo: Path,
) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=0)
    head_before = git(repo, "rev-parse", "main").strip()
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        reply = await session.execute(Enqueue(task="write notes on the project", attempts=3, model="demo"))
        group = reply.attempt_group
        await wait_until(app, lambda: group in session.store.rankings(), timeout=90)
        pick = session.store.rankings()[group]["order"][0]["task_id"]
        screen = await open_review(app, pilot)
        await wait_until(screen.app, lambda: screen.items and screen.items[0].attempts[0].rank == 1)
        (item,) = screen.items  # the three attempts are one entry
        assert item.task_id == pick and [a.task_id for a in item.attempts][0] == pick
        await wait_until(screen.app, lambda: screen.shown == pick)
        shown = str(screen.body.render())
        assert "best of 3" in shown and f"1. {pick} judge's pick" in shown
        assert shown.count("tests not configured") == 3 and "smallest change" in shown
        # a shows the next attempt in full; m merges the one on screen and rejects the other two.
        second = item.attempts[1].task_id
        await pilot.press("a")
        await wait_until(screen.app, lambda: screen.shown == second)
        assert "(attempt" in str(screen.head.render())
        await pilot.press("m")
        await wait_until(screen.app, lambda: screen.busy is None and not screen.items)
        states = {a.task_id: session.store.task(a.task_id).state for a in item.attempts}
        assert states == {a.task_id: "merged" if a.task_id == second else "rejected" for a in item.attempts}
    assert second in git(repo, "log", "--format=%s", f"{head_before}..main")
    await session.shutdown()
