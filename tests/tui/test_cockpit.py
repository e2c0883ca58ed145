"""The cockpit driven with a pilot, attached in-process to a live session on the demo model.

Every wait is on an event (the session's stream, or `tests.tui.waiting.wait_until`, which
re-checks after each message the app handles); nothing sleeps.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from agentdeck.api import Enqueue, Interrupt
from agentdeck.events import AgentStarted, AgentWaiting, SteerReceived, TextDelta, TurnFinished
from tests.tui.conftest import cockpit_for, make_live_session, started_cockpit
from tests.tui.waiting import wait_until

SIZE = (140, 42)


async def next_event(session, predicate, from_seq: int = 0, timeout: float = 30.0):
    async def scan():
        async for event in session.subscribe(from_seq):
            if predicate(event):
                return event

    return await asyncio.wait_for(scan(), timeout)


def typed(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


def blocks_text(app, task_id: str) -> str:
    transcript = app.state.transcripts.get(task_id)
    return "\n".join(block.text for block in transcript.blocks) if transcript else ""


async def test_steer_typed_in_a_pane_reaches_the_agent(repo: Path) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=25)
    task_id = (await session.execute(Enqueue(task="take notes on the project", foreground=True))).task_id
    async with app.run_test(size=SIZE) as pilot:
        await next_event(session, lambda e: isinstance(e, TextDelta) and e.task_id == task_id)
        await wait_until(app, lambda: task_id in app.cockpit.panes)
        app.cockpit.panes[task_id].steer_input.focus()
        await pilot.press(*typed("keep it short"), "enter")
        steer = await next_event(session, lambda e: isinstance(e, SteerReceived) and e.task_id == task_id)
        assert steer.text == "keep it short"
        # The pane shows what you said, and the model's next turn answers it.
        await wait_until(app, lambda: 'Noted your message: "keep it short"' in blocks_text(app, task_id))
        assert "you: keep it short" in blocks_text(app, task_id)
        assert app.cockpit.panes[task_id].steer_input.value == ""
    await session.shutdown()


async def test_interrupt_key_stops_the_stream_within_one_chunk(repo: Path) -> None:
    session = make_live_session(repo, tokens_per_second=25)
    await session.start()
    task_id = (await session.execute(Enqueue(task="take notes on the project", foreground=True))).task_id
    interrupted_at: list[int] = []
    execute = session.execute

    async def recording_execute(command):
        if isinstance(command, Interrupt):
            interrupted_at.append(session.store.last_seq)
        return await execute(command)

    session.execute = recording_execute  # type: ignore[method-assign]
    app = cockpit_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await next_event(session, lambda e: isinstance(e, TextDelta) and e.task_id == task_id)
        await wait_until(app, lambda: task_id in app.cockpit.panes)
        app.cockpit.panes[task_id].steer_input.focus()
        await pilot.press("escape")
        waiting = await next_event(session, lambda e: isinstance(e, AgentWaiting) and e.task_id == task_id)
        assert interrupted_at, "the key did not send an Interrupt"
        late = [
            e
            for e in session.store.events(interrupted_at[0], upto=waiting.seq, task_id=task_id)
            if isinstance(e, TextDelta)
        ]
        assert len(late) <= 1, f"{len(late)} chunks streamed after the interrupt"
        await wait_until(app, lambda: app.state.tasks[task_id].state == "waiting")
        await wait_until(
            app, lambda: "waiting for you" in str(app.cockpit.panes[task_id].activity_line.render())
        )
        # You interrupted it yourself: no bell, no notification.
        assert (task_id, "is waiting for you") not in app.announced
    await session.shutdown()


async def test_promote_and_demote_move_the_agent_without_restarting_it(repo: Path) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=25)
    task_id = (await session.execute(Enqueue(task="take notes on the project"))).task_id
    async with app.run_test(size=SIZE) as pilot:
        await next_event(session, lambda e: isinstance(e, TextDelta) and e.task_id == task_id)
        await wait_until(app, lambda: app.cockpit.queue.selected == task_id)
        await pilot.press("ctrl+b", "p")
        await wait_until(app, lambda: task_id in app.cockpit.panes)
        app.cockpit.panes[task_id].steer_input.focus()
        await pilot.press("ctrl+o")
        await wait_until(
            app, lambda: task_id not in app.cockpit.panes and app.cockpit.queue.selected == task_id
        )
        demoted_at = session.store.last_seq
        # Still the same agent, still working: another turn ends after the demotion.
        await next_event(
            session, lambda e: isinstance(e, TurnFinished) and e.task_id == task_id, from_seq=demoted_at
        )
        started = [e for e in session.store.events(0, task_id=task_id) if isinstance(e, AgentStarted)]
        assert len(started) == 1
        assert session.store.task(task_id).state == "running" and not session.store.task(task_id).foreground
    await session.shutdown()


async def test_attention_is_called_once_when_an_agent_finishes(repo: Path) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=0)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        task_id = (await session.execute(Enqueue(task="take notes on the project", foreground=True))).task_id
        await wait_until(
            app, lambda: task_id in app.state.tasks and app.state.tasks[task_id].state == "finished"
        )
        await wait_until(app, lambda: task_id in app.cockpit.panes)
        # Later events about the same task (closing its pane) do not call again.
        app.cockpit.panes[task_id].steer_input.focus()
        await pilot.press("ctrl+o")
        await wait_until(app, lambda: task_id not in app.cockpit.panes)
        assert app.announced == [(task_id, "finished")]
        toasts = [n for n in app._notifications if task_id in (n.title or "")]
        assert len(toasts) == 1 and "take notes" in toasts[0].message
    await session.shutdown()


async def test_reattaching_shows_the_same_panes_and_transcripts_replayed_from_the_store(repo: Path) -> None:
    session = make_live_session(repo, tokens_per_second=0)
    await session.start()
    first = cockpit_for(session)
    async with first.run_test(size=SIZE) as pilot:
        await first.cockpit.wait_attached()
        task_id = (await session.execute(Enqueue(task="take notes on the project", foreground=True))).task_id
        other = (await session.execute(Enqueue(task="write a changelog"))).task_id
        await wait_until(
            first,
            lambda: all(
                first.state.tasks.get(t) and first.state.tasks[t].state == "finished"
                for t in (task_id, other)
            ),
        )
        await wait_until(first, lambda: "finished in " in blocks_text(first, task_id))
        before = blocks_text(first, task_id)
        await pilot.press("ctrl+d")
    assert first.return_value == "detached"
    second = cockpit_for(session)
    async with second.run_test(size=SIZE):
        await wait_until(second, lambda: blocks_text(second, task_id) == before)
        assert list(second.cockpit.panes) == [task_id]
        assert second.cockpit.queue.selected == other
        assert second.announced == []  # nothing new happened while away: no calls for old news
    await session.shutdown()


async def test_new_task_key_queues_a_foreground_agent(repo: Path) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=0)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        await pilot.press("ctrl+n", *typed("add a licence file"), "enter")
        await wait_until(app, lambda: any(v.task == "add a licence file" for v in app.state.tasks.values()))
        row = next(r for r in session.store.tasks() if r.task == "add a licence file")
        assert row.foreground
        await wait_until(app, lambda: row.id in app.cockpit.panes)
    await session.shutdown()


async def test_quit_asks_and_stop_stops_the_agents(repo: Path) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=25)
    task_id = (await session.execute(Enqueue(task="take notes on the project", foreground=True))).task_id
    async with app.run_test(size=SIZE) as pilot:
        await next_event(session, lambda e: isinstance(e, TextDelta) and e.task_id == task_id)
        await wait_until(app, lambda: app.state.tasks[task_id].alive)
        await pilot.press("ctrl+q")
        assert type(app.screen).__name__ == "QuitScreen"
        await pilot.press("s")
        await asyncio.wait_for(session.stopped.wait(), 30)
    assert app.return_value == "stopped"
    assert session.store.task(task_id).state == "interrupted"


async def test_a_broken_configured_theme_falls_back_with_a_notification(tmp_path: Path) -> None:
    from agentdeck.tui.themes import user_themes_dir
    from tests.tui.recorded import recorded_session

    themes = user_themes_dir()
    themes.mkdir(parents=True, exist_ok=True)
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "not-a-colour"\n')
    session = recorded_session(tmp_path, panes=1)
    session.settings.ui.theme = "mine"
    app = cockpit_for(session)
    async with app.run_test(size=SIZE):
        await app.cockpit.wait_attached()
        assert app.theme == "agentdeck-dark"
        assert any("mine.toml" in n.message and "primary" in n.message for n in app._notifications)
        assert list(app.cockpit.panes)  # and the cockpit works as usual


async def test_delete_in_the_queue_asks_before_cancelling(repo: Path) -> None:
    from agentdeck.tui.screens.dialogs import ConfirmScreen

    session, app = await started_cockpit(repo, tokens_per_second=25)
    task_id = (await session.execute(Enqueue(task="take notes on the project"))).task_id
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(app, lambda: app.cockpit.queue.selected == task_id)
        await pilot.press("ctrl+b", "delete")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # keep it
        assert app.screen is app.cockpit and session.store.task(task_id).state == "running"
        await pilot.press("delete", "y")
        await wait_until(app, lambda: app.state.tasks[task_id].state == "cancelled")
    await session.shutdown()


async def test_a_refused_steer_keeps_what_you_typed(repo: Path) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=0)
    task_id = (await session.execute(Enqueue(task="take notes on the project", foreground=True))).task_id
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            app, lambda: task_id in app.cockpit.panes and app.state.tasks[task_id].state == "finished"
        )
        pane = app.cockpit.panes[task_id]
        pane.steer_input.focus()
        await pilot.press(*"also cover the tests", "enter")
        steering = [w for w in app.workers if w.group == "commands"]
        if steering:  # (it may have been refused and ended already)
            await app.workers.wait_for_complete(steering)
        await pilot.pause()  # a notification is a message to the app
        assert any("still in the input" in n.message for n in app._notifications)
        assert pane.steer_input.value == "also cover the tests"
    await session.shutdown()


async def test_attention_calls_close_together_go_out_as_one(recorded_app) -> None:
    from agentdeck.tui.cockpit_state import TaskView

    app = recorded_app(1)
    async with app.run_test(size=SIZE) as pilot:
        views = [TaskView(id=f"task-{n}", task=f"task {n}", state="finished") for n in range(3)]
        for view in views:
            app.announce(view, "finished")
        # The first goes out at once; the others wait for the window's end (the timer would
        # call this), then go out as one notification naming both.
        app.attention_batcher.flush()
        await pilot.pause()  # a notification is a message to the app
        titles = [n.title for n in app._notifications]
        assert titles == ["task-0 finished", "2 tasks need you"]
        assert "task-1 finished\ntask-2 finished" == list(app._notifications)[-1].message
        assert [task_id for task_id, _ in app.announced] == ["task-0", "task-1", "task-2"]


async def test_remapped_keys_show_in_the_hints_and_dialog_keys_can_be_remapped(recorded_app) -> None:
    app = recorded_app(0)
    from textual.widgets import Button

    from agentdeck.tui.screens.dialogs import ConfirmScreen

    app.settings = replace(
        app.settings, keys={"new_task": "ctrl+t", "interrupt": "ctrl+c", "confirm.yes": "j"}
    )
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        await pilot.pause()
        assert "Ctrl+T starts one" in str(app.cockpit.no_panes.render())
        assert not any("unknown binding ids" in n.message for n in app._notifications)
        assert app.key_for("interrupt") == "Ctrl+C"
        answers: list[bool] = []
        app.push_screen(ConfirmScreen("Cancel it?", "really"), answers.append)
        await pilot.pause()
        assert "(J)" in str(app.screen.query_one("#yes", Button).label)
        await pilot.press("enter")  # the safe button has the focus
        assert answers == [False]
        app.push_screen(ConfirmScreen("Cancel it?", "really"), answers.append)
        await pilot.pause()
        await pilot.press("j")
        assert answers == [False, True]


async def test_switching_theme_recolours_the_queue(recorded_app) -> None:
    app = recorded_app(1)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        table = app.cockpit.queue.table
        await wait_until(app, lambda: "currency-rules-4444" in app.cockpit.queue._views)
        before = table.get_cell("currency-rules-4444", "state").style  # failed: bold $error
        app.theme = "agentdeck-light" if app.theme != "agentdeck-light" else "agentdeck-dark"
        await pilot.pause()
        after = table.get_cell("currency-rules-4444", "state").style
        assert before != after and "bold" in str(after)


async def test_a_closed_pane_is_freed(repo: Path) -> None:
    import gc
    import weakref

    session, app = await started_cockpit(repo, tokens_per_second=0)
    task_id = (await session.execute(Enqueue(task="take notes on the project", foreground=True))).task_id
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            app, lambda: task_id in app.cockpit.panes and app.state.tasks[task_id].state == "finished"
        )
        await wait_until(app, lambda: app.cockpit.panes[task_id].history_loaded)
        pane = weakref.ref(app.cockpit.panes[task_id])
        app.cockpit.panes[task_id].steer_input.focus()
        await pilot.press("ctrl+o")  # an ended task's pane closes
        await wait_until(app, lambda: task_id not in app.cockpit.panes)
        await pilot.pause()
        gc.collect()
        # A long session opens and closes hundreds of panes: none may stay in memory.
        # Textual keeps a container's last list of displayed children until it is next asked.
        app.cockpit.grid.children.displayed  # noqa: B018
        gc.collect()
        assert pane() is None
    await session.shutdown()


async def test_focus_changes_leave_no_footer_keys_behind(recorded_app) -> None:
    import gc

    from textual.widgets._footer import FooterKey

    app = recorded_app(2)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        await pilot.pause()
        for _ in range(10):  # every focus change rebuilds the footer's keys
            await pilot.press("ctrl+b", "tab")
        await pilot.pause()
        gc.collect()
        keys = [o for o in gc.get_objects() if isinstance(o, FooterKey)]
        assert len(keys) == sum(1 for key in keys if key.is_attached), f"{len(keys)} footer keys in memory"


async def test_the_palette_names_each_command_once_and_quit_always_asks(recorded_app) -> None:
    app = recorded_app(1)
    async with app.run_test(size=SIZE):
        commands = list(app.get_system_commands(app.screen))
        titles = [command.title for command in commands]
        assert len(titles) == len(set(titles)), titles
        assert "Quit" not in titles and "Quit agentdeck" in titles  # Textual's would not ask
        keys = next(command for command in commands if command.title == "Keys")
        assert "F1" in keys.help


async def test_new_task_dialog_names_skills_and_an_unknown_one_reopens_it_with_what_was_typed(
    repo: Path,
) -> None:
    session, app = await started_cockpit(repo, tokens_per_second=0)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        await pilot.press(
            "ctrl+n", *typed("document the app"), "tab", "tab", *typed("no-such-skill"), "enter"
        )
        await wait_until(
            app,
            lambda: (
                type(app.screen).__name__ == "NewTaskScreen"
                and app.screen.initial.skills == ["no-such-skill"]
            ),
        )
        assert any("unknown skill 'no-such-skill'" in n.message for n in app._notifications)
        assert app.screen.query_one("#task-text").value == "document the app"
        assert session.store.tasks() == []
        app.screen.query_one("#task-skills").value = "write-docs-for-a-change"
        await pilot.press("enter")
        await wait_until(app, lambda: any(r.task == "document the app" for r in session.store.tasks()))
        [row] = session.store.tasks()
        assert row.skills == ["write-docs-for-a-change"]
    await session.shutdown()
