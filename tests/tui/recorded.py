"""A session recorded in a real store, with fixed ids and times, for snapshot tests.

The cockpit attaches to it exactly as to a live one (status, then each pane's history
replayed from the store), but nothing runs, so every screen is the same on every run.
"""

from __future__ import annotations

from pathlib import Path

from agentdeck.config import load_settings
from agentdeck.events import (
    AgentFinished,
    AgentStarted,
    AgentWaiting,
    Brief,
    ContextUsage,
    PlanWritten,
    SplitTriggered,
    SteerReceived,
    SubAgentSpawned,
    TaskQueued,
    TaskStateChanged,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import Store, TaskRow

NOW = 1_800_000_000.0  # the clock the cockpit is given: ages are computed against it

FOREGROUND = [
    ("fix-rounding-a1b2", "Fix the rounding of invoice totals to cents, half up", "running"),
    ("add-credit-notes-c3d4", "Support credit notes with negative quantities", "waiting"),
    ("document-cli-e5f6", "Document the command-line options in the README", "finished"),
    ("speed-up-totals-0a0b", "Make totals faster on invoices with 10k lines", "running"),
]
BACKGROUND = [
    ("write-changelog-1111", "Write a changelog entry for the next release", "queued"),
    ("check-tests-2222", "Check that the tests cover credit notes", "running"),
    ("rename-helpers-3333", "Suggest clearer names for the helpers", "finished"),
    ("currency-rules-4444", "List the currency rules the code does not follow", "failed"),
]


def _events(task_id: str, task: str, state: str, start: float, big: bool):
    agent = dict(agent_id=task_id, task_id=task_id)
    t = start

    def at():
        nonlocal t
        t += 1.0
        return t

    yield TaskQueued(task=task, ts=at(), **agent)
    yield TaskStateChanged(state="running", previous="queued", reason="starting", ts=at(), **agent)
    if state == "queued":
        return
    yield AgentStarted(
        task=task,
        model="demo",
        demo=True,
        branch=f"agentdeck/{task_id}",
        worktree="/w",
        base_commit="0" * 40,
        ts=at(),
        **agent,
    )
    yield PlanWritten(
        plan="1. Read the code.\n2. Change it.\n3. Run the tests.", model="demo", ts=at(), **agent
    )
    for word in "I'll start by **reading** the module that computes the totals.\n".split(" "):
        yield TextDelta(text=word + " ", ts=at(), **agent)
    yield ToolCallStarted(
        call_id="c1", name="read", arguments='{"path": "invoice_tools/totals.py"}', ts=at(), **agent
    )
    yield ToolCallFinished(
        call_id="c1",
        name="read",
        ok=True,
        output="def total(lines):\n    ...",
        duration_s=0.02,
        ts=at(),
        **agent,
    )
    yield TurnFinished(step=1, prompt_tokens=1200, completion_tokens=40, ts=at(), **agent)
    yield ContextUsage(used=1240, limit=4000, fraction=0.31, ts=at(), **agent)
    yield ToolCallStarted(
        call_id="c2", name="run", arguments='{"command": "python -m pytest -q"}', ts=at(), **agent
    )
    yield ToolCallFinished(
        call_id="c2", name="run", ok=False, output="1 failed, 3 passed", duration_s=1.4, ts=at(), **agent
    )
    yield TurnFinished(step=2, prompt_tokens=1900, completion_tokens=60, ts=at(), **agent)
    yield ContextUsage(
        used=2520 if big else 1960, limit=4000, fraction=0.63 if big else 0.49, ts=at(), **agent
    )
    if big:
        briefs = [Brief(goal="Fix rounding in totals.py"), Brief(goal="Add a test for half-up rounding")]
        yield SplitTriggered(
            fraction=0.63,
            threshold=0.6,
            depth=0,
            done="read",
            remaining="fix",
            briefs=briefs,
            ts=at(),
            **agent,
        )
        yield SubAgentSpawned(
            sub_agent_id=f"{task_id}.1",
            index=1,
            of=2,
            depth=1,
            goal="Fix rounding in totals.py",
            parent_fraction=0.63,
            first_fraction=0.12,
            ts=at(),
            **agent,
        )
        yield ContextUsage(
            agent_id=f"{task_id}.1", task_id=task_id, used=640, limit=4000, fraction=0.16, ts=at()
        )
    if state == "waiting":
        yield SteerReceived(text="keep the public API as it is", ts=at(), **agent)
        yield AgentWaiting(reason="interrupted by you", ts=at(), **agent)
    if state in ("finished",):
        yield AgentFinished(
            summary="Documented every option.",
            steps=2,
            total_cost_usd=0.0,
            files_changed=1,
            insertions=12,
            deletions=1,
            ts=at(),
            **agent,
        )
        yield TaskStateChanged(
            state="finished", previous="running", reason="the agent finished", ts=at(), **agent
        )
    if state == "failed":
        yield TaskStateChanged(
            state="failed", previous="running", reason="budget: 40 steps", ts=at(), **agent
        )


def recorded_session(root: Path, panes: int, background: int = len(BACKGROUND)) -> Session:
    """A session with `panes` foreground tasks and `background` others, read from a real store."""
    store = Store(root / "session.db")
    tasks = [(t, True) for t in FOREGROUND[:panes]] + [(t, False) for t in BACKGROUND[:background]]
    for number, ((task_id, text, state), foreground) in enumerate(tasks):
        created = NOW - 3600 + number * 120
        row = TaskRow(
            id=task_id,
            task=text,
            state=state,
            foreground=foreground,
            model="demo",
            created=created,
            updated=created,
        )
        store.add_task(row)
        steps = 0
        for event in _events(task_id, text, state, created, big=number == 0):
            store.append(event)
            if isinstance(event, TurnFinished):
                steps += 1
            if isinstance(event, ContextUsage):
                store.update_task(task_id, context_fraction=event.fraction)
        store.update_task(task_id, steps=steps)
    settings = load_settings(None)
    return Session(root, settings, store)


# Results waiting for review: (id, task, files on the branch, verdict, tests, flags' checks).
RESULTS = [
    (
        "fix-rounding-a1b2",
        "Fix the rounding of invoice totals to cents, half up",
        {
            "src/totals.py": 'from decimal import ROUND_HALF_UP, Decimal\n\n\ndef total(lines):\n    """The invoice total, rounded to cents half up."""\n    amount = sum(Decimal(str(line)) for line in lines)\n    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)\n'
        },
        {
            "kind": "approve",
            "summary": "Rounds half up with Decimal, as the rules ask.",
            "model": "claude-sonnet",
            "findings": [
                {
                    "file": "src/totals.py",
                    "line": 6,
                    "severity": "minor",
                    "message": "str(line) hides float error already made upstream",
                },
                {
                    "file": "src/totals.py",
                    "line": 7,
                    "severity": "info",
                    "message": "the rounding rule from docs/invoicing-rules.md",
                },
            ],
        },
        {
            "status": "passed",
            "command": "pytest -q",
            "exit_code": 0,
            "passed": 14,
            "failed": 0,
            "message": "14 passed in 0.4 s",
        },
    ),
    (
        "add-credit-notes-c3d4",
        "Support credit notes with negative quantities",
        {
            "src/app.py": 'def greet(name):\n    return f"hello {name}"\n\n\ndef credit(lines):\n    return [-line for line in lines]\n'
        },
        {
            "kind": "request_changes",
            "summary": "Negates amounts but never marks the invoice as a credit note.",
            "model": "claude-sonnet",
            "findings": [
                {
                    "file": "src/app.py",
                    "line": 6,
                    "severity": "major",
                    "message": "a credit note needs its own number series",
                }
            ],
        },
        {
            "status": "failed",
            "command": "pytest -q",
            "exit_code": 1,
            "passed": 12,
            "failed": 2,
            "message": "2 failed, 12 passed in 0.5 s",
        },
    ),
]


def review_session(root: Path) -> Session:
    """A real repository whose agents' branches wait for review, verified, in a real store."""
    from tests.support.git_repos import git, make_repo

    repo = make_repo(root / "repo")
    base = git(repo, "rev-parse", "HEAD").strip()
    store = Store(repo / ".git" / "agentdeck" / "session.db")
    for number, (task_id, text, files, verdict, tests) in enumerate(RESULTS):
        git(repo, "checkout", "-q", "-b", f"agentdeck/{task_id}", base)
        for relative, content in files.items():
            (repo / relative).parent.mkdir(parents=True, exist_ok=True)
            (repo / relative).write_text(content, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"agentdeck {task_id}: {text}")
        git(repo, "checkout", "-q", "main")
        created = NOW - 7200 + number * 600
        store.add_task(
            TaskRow(
                id=task_id,
                task=text,
                state="finished",
                model="demo",
                created=created,
                updated=created + 300,
                started=created,
                ended=created + 300,
                branch=f"agentdeck/{task_id}",
                base_commit=base,
                base_branch="main",
                plan="1. Read the totals code and the rules.\n2. Change it.\n3. Run the tests.",
                summary="Changed the code and ran the tests.",
                steps=9,
                tokens=41_000 + number * 1000,
                cost_usd=0.12,
                tests=tests,
                verdict=verdict,
                checks=[{"name": "size", "ok": True, "message": ""}],
                stats={
                    "files_changed": 1,
                    "insertions": sum(c.count("\n") for c in files.values()),
                    "deletions": 0,
                },
            )
        )
    return Session(repo, load_settings(repo), store)
