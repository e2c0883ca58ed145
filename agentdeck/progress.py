"""Readable progress for `agentdeck run` and `agentdeck logs ID`: events as terminal lines.

The agent's own steps get icons, colours and detail here; every other event is the line
event_text.describe gives it, so the words are the same in the logs and the cockpit."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from agentdeck.event_text import briefing_text, describe
from agentdeck.event_text import files as _files
from agentdeck.events import (
    AgentFailed,
    AgentFinished,
    AgentStarted,
    AgentWaiting,
    Checkpointed,
    ContextCompacted,
    ContextUsage,
    Event,
    ModelRetrying,
    PlanWritten,
    SplitTriggered,
    SteerReceived,
    SubAgentFinished,
    SubAgentSpawned,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from agentdeck.text import one_line

# The argument most worth showing for each tool, so a line reads "read README.md".
_KEY_ARGUMENT = {
    "list": "path",
    "read": "path",
    "search": "pattern",
    "write": "path",
    "edit": "path",
    "run": "command",
    "load_skill": "name",
}


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text


def _meter(fraction: float, width: int = 20) -> str:
    filled = min(width, round(fraction * width))
    return "█" * filled + "░" * (width - filled)


class ProgressPrinter:
    """Renders events as they come; prose streams inline, everything else on its own line."""

    def __init__(self, out: TextIO = sys.stdout, color: bool | None = None) -> None:
        self.out = out
        self.style = _Style(out.isatty() if color is None else color)
        self._mid_line = False
        # Per agent (a parent and its sub-agents each have a meter).
        self._shown_percent: dict[str | None, int] = {}
        self.last_commit: str | None = None
        self.started: AgentStarted | None = None

    def __call__(self, event: Event) -> None:
        s = self.style
        match event:
            case AgentStarted():
                self.started = event
                model = (
                    f"{event.model} (the offline demo model: no API key, scripted steps)"
                    if event.demo
                    else event.model
                )
                self.line(s(f"▶ agent {event.agent_id}", "1") + f" · model {model}")
                told = briefing_text(event)
                if told:
                    self.line(s(f"  {told.removeprefix(' · ')}", "2"))
                self.line(f"  branch {event.branch} from {event.base_commit[:10]}")
                self.line(s(f"  worktree {event.worktree}", "2"))
                if event.sandbox.startswith("unconfined"):
                    self.line(
                        s(f"  ⚠ commands run UNCONFINED, as you ({event.sandbox}); see docs/sandbox.md", "33")
                    )
                elif event.sandbox:
                    self.line(s(f"  commands: {event.sandbox}", "2"))
            case TextDelta():
                self.out.write(event.text)
                self._mid_line = not event.text.endswith("\n")
            case ToolCallStarted() | ToolCallFinished() if event.name == "finish":
                pass  # the summary is shown when the agent finishes
            case ToolCallStarted():
                self.line(
                    s(
                        f"  →{self._who(event)} {event.name} {self._argument(event.name, event.arguments)}",
                        "36",
                    )
                )
            case ToolCallFinished():
                mark = s("✓", "32") if event.ok else s("✗", "31")
                self.line(f"    {mark} {s(one_line(event.output), '2')}")
            case Checkpointed():
                self.last_commit = event.commit
                self.line(
                    s(f"  ● checkpoint {event.commit[:10]}", "33")
                    + f" · {_files(event.files_changed)}, +{event.insertions} −{event.deletions} on the branch"
                )
            case ContextUsage() if self._meter_moved(event):
                self._shown_percent[event.agent_id] = round(event.fraction * 100)
                who = self._who(event)
                self.line(
                    s(
                        f"  context{who} {_meter(event.fraction)} {event.fraction:.0%} ({event.used:,} of {event.limit:,} tokens)",
                        "2",
                    )
                )
            case PlanWritten():
                lines = len(event.plan.splitlines())
                self.line(
                    s(
                        f"  ✎ plan by {event.model}: {lines} line{'s' if lines != 1 else ''}; the executor follows it",
                        "35",
                    )
                )
            case SplitTriggered():
                self.line(
                    s(f"  ✂ split at {event.fraction:.0%} (threshold {event.threshold:.0%})", "1;35")
                    + f" · {len(event.briefs)} sub-agent{'s' if len(event.briefs) != 1 else ''} with fresh context"
                )
                self.line(s(f"    done: {one_line(event.done)}", "2"))
                for n, brief in enumerate(event.briefs, start=1):
                    self.line(s(f"    {n}. {one_line(brief.goal, 90)}", "2"))
            case SubAgentSpawned():
                self.line(
                    s(
                        f"  ▶ sub-agent {event.sub_agent_id} ({event.index}/{event.of}): {one_line(event.goal, 80)}",
                        "1;35",
                    )
                    + s(f" · starts at {event.first_fraction:.0%}", "2")
                )
            case SubAgentFinished():
                mark = s("✔", "32") if event.status == "finished" else s("✘", "31")
                self.line(
                    f"  {mark} {one_line(describe(event) or '', 150)}"
                    + s(f" · at {event.final_fraction:.0%}", "2")
                )
            case ContextCompacted():
                self.line(s(f"  ⇣ {describe(event)}", "35"))
            case SteerReceived():
                self.line(s(f"  ✉ {describe(event)}", "35"))
            case AgentWaiting():
                self.line(s(f"⏸ {describe(event)}", "33"))
            case ModelRetrying():
                self.line(s(f"  ↻{self._who(event)} {describe(event)}", "33"))
            case AgentFinished():
                self.line(s(f"✔ finished in {event.steps} steps", "1;32") + f" · ${event.total_cost_usd:.4f}")
                self.line(f"  {event.summary}")
                self.line(f"  {_files(event.files_changed)} changed, +{event.insertions} −{event.deletions}")
                self._where(event)
            case AgentFailed():
                self.line(s(f"✘ {describe(event)}", "1;31"))
                self._where(event)
            case TurnFinished() | ContextUsage():
                pass  # a turn, or a meter that moved less than 2 points: no line of its own
            case _:
                line = describe(event)  # the session's own events: queued, verdicts, merges...
                if line is not None:
                    self.line(line)
        self.out.flush()

    def _meter_moved(self, event: ContextUsage) -> bool:
        """Worth a line: the first reading of an agent, or a move of 2 points or more (a line a step, not two)."""
        shown = self._shown_percent.get(event.agent_id)
        return shown is None or abs(round(event.fraction * 100) - shown) >= 2

    def _who(self, event: Event) -> str:
        """' of <sub-agent>' for a sub-agent's event, nothing for the task's own agent."""
        if self.started is None or event.agent_id in (None, self.started.agent_id):
            return ""
        return f" of {event.agent_id}"

    def _where(self, event: Event) -> None:
        if self.started is None or self.last_commit is None:
            return  # nothing on the branch to review
        branch = self.started.branch
        self.line(f"  review: git log -p {self.started.base_commit[:10]}..{branch}")
        self.line(f"  merge:  git merge {branch}")

    def _argument(self, name: str, arguments: str) -> str:
        try:
            data = json.loads(arguments or "{}")
        except json.JSONDecodeError:
            return one_line(arguments, 60)
        key = _KEY_ARGUMENT.get(name)
        if isinstance(data, dict) and key in data:
            return one_line(str(data[key]), 80)
        return ""

    def line(self, text: str) -> None:
        """Print a line of its own, ending streamed prose first if a line is open."""
        if self._mid_line:
            self.out.write("\n")
            self._mid_line = False
        self.out.write(text + "\n")
