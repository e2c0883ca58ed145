"""The offline demo model: deterministic, no network, and it drives real tool calls.

It decides each turn from the transcript alone (how many tool calls it has made so far),
so it behaves the same in a fresh agent, after an interrupt, or in a benchmark: look
around, read the project's files one by one, write notes on the task, edit them, run a
command, finish. Reading fills its context, so with a small window it shows the split:
it plays every role the loop asks of it — planner (no tools on offer), the handoff (only
the handoff tool on offer), a sub-agent (its task carries `## Your brief`), and a parent
whose context was compacted (`## Summaries from sub-agents`). It also judges: given a
review request (`# Review request for the judge`), it answers a JSON verdict derived from
the diff and the test result it was shown, with findings at real lines of the diff. It streams its prose word
by word at a configurable pace so the product looks and feels like a real model.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from typing import Any

from agentdeck.llm import demo_sprint
from agentdeck.llm.types import Message, OnText, ToolCall, ToolSpec, TurnResult, Usage, estimate_tokens

DEMO_MODEL_NAME = "demo"
NOTES_FILE = "agentdeck-demo-notes.md"
REVIEWS_DIR = "agentdeck-demo-reviews"
LABEL = "[demo model: offline, no API key]"
MAX_FILES_READ = 12
BRIEF_HEADING = "## Your brief"
# Must match agentdeck.runtime.judge.JUDGE_HEADING (the llm layer cannot import runtime).
JUDGE_HEADING = "# Review request for the judge"
COMPACTED_HEADING = "## Summaries from sub-agents"
# Must match agentdeck.agent.task_skills.USE_LINE: the line of the instructions naming the task's skills.
SKILLS_TO_USE = "Use these skills for this task: "
# Must match agentdeck.runtime.attempt_ranking.RANKING_HEADING.
RANKING_HEADING = "# Ranking request for the judge"
# Must match agentdeck.agent.budget_note, whose note joins the last user message after a blank
# line (the llm layer cannot import agent).
BUDGET_NOTE_PREFIX = "[agentdeck budget]"
WRAP_UP = "Wrap up now"


def _chars(messages: list[Message]) -> int:
    return sum(len(json.dumps(m, default=str)) for m in messages)


def _task_of(messages: list[Message]) -> str:
    for message in messages:
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def _all_calls(messages: list[Message]) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") == "assistant":
            calls.extend(message.get("tool_calls") or [])
    return calls


def _tool_calls_so_far(messages: list[Message]) -> list[dict[str, Any]]:
    """The calls of the work itself: loading a skill is reading instructions, not a step of the task."""
    return [c for c in _all_calls(messages) if c["function"]["name"] != "load_skill"]


def _skills_to_use(messages: list[Message]) -> list[str]:
    """The skills the task names, from the line of the instructions that lists them."""
    for message in messages:
        if message.get("role") == "system":
            found = re.search(
                rf"^{re.escape(SKILLS_TO_USE)}([\w, -]+?)(?: \(|$)", str(message["content"]), re.M
            )
            if found:
                return [name.strip() for name in found.group(1).split(",") if name.strip()]
    return []


def _loaded_skills(messages: list[Message]) -> list[str]:
    """Skills loaded so far (a load that answered with an error doesn't count)."""
    return [
        json.loads(c["function"]["arguments"] or "{}").get("name", "")
        for c in _all_calls(messages)
        if c["function"]["name"] == "load_skill" and not _tool_output(messages, c["id"]).startswith("error:")
    ]


def _tool_output(messages: list[Message], call_id: str) -> str:
    for message in messages:
        if message.get("role") == "tool" and message.get("tool_call_id") == call_id:
            return str(message.get("content") or "")
    return ""


def _without_budget_note(messages: list[Message]) -> tuple[list[Message], str]:
    """The transcript without the note the loop ends each request with (a message, or joined to the last)."""
    content = str(messages[-1].get("content") or "") if messages else ""
    if content.startswith(BUDGET_NOTE_PREFIX):
        return messages[:-1], content
    head, separator, note = content.rpartition("\n\n" + BUDGET_NOTE_PREFIX)
    if separator:
        return [*messages[:-1], {**messages[-1], "content": head}], BUDGET_NOTE_PREFIX + note
    return messages, ""


def _conventions_file(messages: list[Message]) -> str | None:
    """The conventions file the system prompt carries (agentdeck.agent.handoff's heading), if any."""
    system = next((str(m.get("content") or "") for m in messages if m.get("role") == "system"), "")
    found = re.search(r"^## Project conventions \(([^)\n]+)\)$", system, re.MULTILINE)
    return found.group(1) if found else None


def _has_finished(messages: list[Message]) -> bool:
    return any(c["function"]["name"] == "finish" for c in _tool_calls_so_far(messages))


def _plain_task(text: str) -> str:
    """The task itself, without the plan, handoff or summaries that may follow it."""
    if "## The task" in text:
        text = text.split("## The task", 1)[1]
    return text.strip().split("\n## ", 1)[0].strip()


def _latest_steer(messages: list[Message]) -> str | None:
    """A user message after the task and after the last assistant turn is steering."""
    if len(messages) < 2 or messages[-1].get("role") != "user":
        return None
    users = [m for m in messages if m.get("role") == "user"]
    return str(messages[-1].get("content")) if len(users) > 1 else None


def _steers(messages: list[Message]) -> list[str]:
    return [str(m.get("content")) for m in messages if m.get("role") == "user"][1:]


# Words of a task that say nothing about what to look at.
_STOPWORDS = frozenset(
    "about against check clearer code cover docs does each entry every find follow from have into left list make "
    "names next note notes project propose read review short should some suggest than that their them then there "
    "these they this what when where which with write".split()
)


def _task_words(task: str) -> list[str]:
    """The task's own words, cut to a stem ("rounded" -> "round"), in the order it gives them."""
    words: list[str] = []
    for word in re.findall(r"[A-Za-z]{4,}", _plain_task(task).lower()):
        if word in _STOPWORDS:
            continue
        stem = re.sub(r"(ing|ed|es|s)$", "", word) if len(word) > 5 else word
        if stem not in words:
            words.append(stem)
    return words


def _named_in_task(task: str, name: str) -> bool:
    """The task names this file, or its folder (`invoice_tools`, `docs/invoicing-rules.md`)."""
    text = _plain_task(task)
    return name in text or any(part in text for part in name.split("/")[:-1] if len(part) > 3)


def _files_to_read(listing: str, task: str = "") -> list[str]:
    """The text files of a listing: those the task names first, then those its words match, README, the rest."""
    files = [line.strip() for line in listing.splitlines() if line.strip() and not line.startswith("[")]
    texty = [f for f in files if f.endswith((".md", ".txt", ".py", ".toml", ".rst")) and not f.endswith("/")]
    words = _task_words(task)

    def rank(name: str) -> tuple[bool, bool, bool]:
        about = any(word in name.lower() for word in words)
        return (not _named_in_task(task, name), not about, not re.fullmatch(r"(?i)readme(\.\w+)?", name))

    texty.sort(key=rank)
    return texty[:MAX_FILES_READ]


def _why_read(task: str, name: str) -> str:
    if _named_in_task(task, name):
        return f"I'll read {name}, which the task names.\n"
    stem = next((w for w in _task_words(task) if w in name.lower()), None)
    if stem:
        # The task's own word, not its stem: "invoicing", not "invoic".
        word = next((w for w in re.findall(r"[A-Za-z]+", task) if w.lower().startswith(stem)), stem)
        return f"I'll read {name}: the task is about {word.lower()}.\n"
    return f"I'll read {name} to understand the project.\n"


def _search_pattern(task: str) -> tuple[str, str]:
    """What to search for (a regex) and how to say it: loose ends, or the task's own words."""
    words = _task_words(task)
    if re.search(r"(?i)todo|fixme|loose end|left to do", _plain_task(task)) or not words:
        return "TODO|FIXME", "loose ends (TODO and FIXME comments)"
    picked = words[:3]
    return "|".join(picked), f"where the code mentions {', '.join(picked)}"


def _read_paths(messages: list[Message]) -> list[str]:
    """Files read so far; a read whose output was cut to keep the context small doesn't count."""
    return [
        json.loads(c["function"]["arguments"] or "{}").get("path", "")
        for c in _tool_calls_so_far(messages)
        if c["function"]["name"] == "read"
        and not _tool_output(messages, c["id"]).startswith("[agentdeck: this output was cut")
    ]


def _brief_files(task: str) -> list[str]:
    found = re.search(r"^Files in scope: (.+)$", task, re.MULTILINE)
    return [name.strip() for name in found.group(1).split(",") if name.strip()] if found else []


def _chunks(items: list[str], parts: int) -> list[list[str]]:
    size = -(-len(items) // parts)
    return [items[i : i + size] for i in range(0, len(items), size)]


class DemoModel:
    """A `ModelClient` that needs no key and no network."""

    model = DEMO_MODEL_NAME
    is_demo = True

    def __init__(self, tokens_per_second: float = 40.0) -> None:
        self.tokens_per_second = tokens_per_second

    async def stream_turn(
        self, messages: list[Message], tools: list[ToolSpec], on_text: OnText
    ) -> TurnResult:
        offered = [tool["function"]["name"] for tool in tools]
        messages, note = _without_budget_note(messages)
        task = _task_of(messages)
        paced = True
        if not offered and RANKING_HEADING in _task_of(messages):
            text, call = _rank(_task_of(messages)), None
        elif not offered and JUDGE_HEADING in _task_of(messages):
            text, call = _judge(_task_of(messages)), None
        elif not offered and demo_sprint.SPRINT_PLAN_HEADING in task:
            text, call = demo_sprint.plan(_section(task, "The feature").strip() or "the feature"), None
            paced = False  # JSON nobody reads as it streams: the plan is shown once it is whole
        elif not offered and demo_sprint.SPRINT_CONTRACTS_HEADING in task:
            text, call = demo_sprint.contracts(task), None
            paced = False
        elif "resolve_conflict" in offered:
            text, call = demo_sprint.resolve(messages)
        elif offered and demo_sprint.SPRINT_FIX_HEADING in task:
            text, call = demo_sprint.fix_step(task, _tool_calls_so_far(messages))
        elif offered and demo_sprint.SPRINT_ROLE_HEADING in task:
            text, call = demo_sprint.role_step(
                task, _tool_calls_so_far(messages), lambda call_id: _tool_output(messages, call_id)
            )
        elif not offered:
            text, call = self._plan(messages), None
        elif offered == ["handoff"]:
            text, call = self._handoff(messages)
        elif WRAP_UP in note and "finish" in offered and not _has_finished(messages):
            text, call = self._wrap_up(messages)
        else:
            text, call = self._next_step(messages)
        steer = _latest_steer(messages) if offered and offered != ["handoff"] else None
        if steer is not None:
            text = f'Noted your message: "{steer.strip()[:200]}". {text}'
        if paced:
            await self._stream(text, on_text)
        else:
            result = on_text(text)
            if inspect.isawaitable(result):
                await result
        calls = (
            [
                ToolCall(
                    id=f"demo_{len(_all_calls(messages)) + 1}",
                    name=call[0],
                    arguments=json.dumps(call[1]),
                )
            ]
            if call
            else []
        )
        usage = Usage(
            prompt_tokens=estimate_tokens(_chars(messages) + _chars(tools)),
            completion_tokens=estimate_tokens(len(text) + sum(len(c.arguments) for c in calls)),
            cost_usd=0.0,
        )
        return TurnResult(
            text=text, tool_calls=calls, usage=usage, finish_reason="tool_calls" if calls else "stop"
        )

    async def _stream(self, text: str, on_text: OnText) -> None:
        delay = 1.0 / self.tokens_per_second if self.tokens_per_second > 0 else 0.0
        for word in re.findall(r"\S+\s*", text):
            result = on_text(word)
            if inspect.isawaitable(result):
                await result
            # Also a point where an interrupt can land when the pace is 0.
            await asyncio.sleep(delay)

    def _plan(self, messages: list[Message]) -> str:
        task = _task_of(messages)
        named = re.findall(r"[\w./-]+\.(?:md|py|toml|txt)\b|\b\w+_\w+\b", _plain_task(task))
        first = (
            f"what the task names first ({', '.join(dict.fromkeys(named))})"
            if named
            else "what the task is about first"
        )
        _, searched = _search_pattern(task)
        return (
            f"{LABEL} Plan for: {' '.join(_plain_task(task).split())[:120] or 'the task'}\n"
            f"1. List the repository and read its text files, {first}.\n"
            f"2. Search for {searched}.\n"
            f"3. Write notes on the task into {NOTES_FILE}, then tick their first item with an exact edit.\n"
            "4. Check the result with a command, then finish with a summary.\n"
        )

    def _handoff(self, messages: list[Message]) -> tuple[str, tuple[str, dict[str, Any]]]:
        made = _tool_calls_so_far(messages)
        listing = (
            _tool_output(messages, made[0]["id"]) if made and made[0]["function"]["name"] == "list" else ""
        )
        read = _read_paths(messages)
        unread = [name for name in _files_to_read(listing, _task_of(messages)) if name not in read]
        done = f"Listed the repository and read {', '.join(read) or 'nothing yet'}."
        if unread:
            briefs = [
                {
                    "goal": f"Review {', '.join(group)}",
                    "files": group,
                    "acceptance": f"a review note in {REVIEWS_DIR}/",
                }
                for group in _chunks(unread, min(4, len(unread)))
            ]
            remaining = f"Review {', '.join(unread)}, then write the notes on the task."
        else:
            briefs = [
                {
                    "goal": "Write the notes on the task",
                    "files": [NOTES_FILE],
                    "acceptance": f"{NOTES_FILE} exists",
                }
            ]
            remaining = "Write the notes on the task."
        text = f"My context is filling up; I'll hand the rest to {len(briefs)} fresh sub-agent(s).\n"
        return text, ("handoff", {"done": done, "remaining": remaining, "briefs": briefs})

    def _brief_step(
        self, task: str, messages: list[Message]
    ) -> tuple[str, tuple[str, dict[str, Any]] | None]:
        """A sub-agent: read the files in scope, write a review note on them, finish."""
        files = _brief_files(task)
        read = _read_paths(messages)
        names = [c["function"]["name"] for c in _tool_calls_so_far(messages)]
        for name in files:
            if name not in read and name != NOTES_FILE:
                return (
                    f"{LABEL} Sub-agent here; reading {name}, which my brief covers.\n",
                    ("read", {"path": name, "end_line": 200}),
                )
        slug = re.sub(r"[^A-Za-z0-9]+", "-", "-".join(files) or "brief").strip("-").lower()[:60]
        review = f"{REVIEWS_DIR}/{slug}.md"
        if "write" not in names:
            lines = [f"# Review of {', '.join(files) or 'the brief'}", ""]
            for name in files:
                call = next(
                    (
                        c
                        for c in _tool_calls_so_far(messages)
                        if c["function"]["name"] == "read" and name in c["function"]["arguments"]
                    ),
                    None,
                )
                output = _tool_output(messages, call["id"]) if call else ""
                lines.append(
                    f"- `{name}`: {len(output.splitlines())} lines read by a sub-agent with a fresh context."
                )
            lines += ["", "Written by the offline demo model, not by a real LLM.", ""]
            return (
                f"I'll write my review into {review}.\n",
                ("write", {"path": review, "content": "\n".join(lines)}),
            )
        if "finish" not in names:
            return (
                "Brief done.\n",
                ("finish", {"summary": f"Reviewed {', '.join(files) or 'the brief'}; wrote {review}."}),
            )
        return ("I have already finished.\n", None)

    def _wrap_up(self, messages: list[Message]) -> tuple[str, tuple[str, dict[str, Any]]]:
        """The budget note says to wrap up: finish with what is done, and say what is left."""
        names = [c["function"]["name"] for c in _tool_calls_so_far(messages)]
        done = ", ".join(f"{name} ×{names.count(name)}" for name in dict.fromkeys(names)) or "nothing yet"
        summary = (
            f"{LABEL} My budget is nearly spent, so I am finishing with what I have. Done: {done}. "
            f"Left undone: whatever of the task ({_plain_task(_task_of(messages))[:80]!r}) those steps did not reach."
        )
        return ("My budget is nearly spent; I'll wrap up here.\n", ("finish", {"summary": summary}))

    def _next_step(self, messages: list[Message]) -> tuple[str, tuple[str, dict[str, Any]] | None]:
        task = _task_of(messages)
        if BRIEF_HEADING in task and COMPACTED_HEADING in task:
            # A sub-agent that split in turn: its own sub-agents did its brief.
            if "finish" in [c["function"]["name"] for c in _tool_calls_so_far(messages)]:
                return ("I have already finished.\n", None)
            return (
                "My sub-agents covered my brief.\n",
                ("finish", {"summary": "My brief was done by my own sub-agents; see their review notes."}),
            )
        if BRIEF_HEADING in task:
            return self._brief_step(task, messages)
        made = _tool_calls_so_far(messages)
        names = [c["function"]["name"] for c in made]
        compacted = COMPACTED_HEADING in task
        tried = [
            json.loads(c["function"]["arguments"] or "{}").get("name")
            for c in _all_calls(messages)
            if c["function"]["name"] == "load_skill"
        ]
        to_load = [name for name in _skills_to_use(messages) if name not in tried]
        if to_load and not made and not compacted:
            return (
                f"{LABEL} The task names the skill {to_load[0]}; I'll read its instructions in full first.\n",
                ("load_skill", {"name": to_load[0]}),
            )
        if not made and not compacted:
            conventions = _conventions_file(messages)
            following = f" I'll follow the project's conventions in {conventions}." if conventions else ""
            return (
                f"{LABEL} To {_lower_first(_plain_task(task))[:100]}, I'll first see what the repository holds."
                f"{following}\n",
                ("list", {"path": "."}),
            )
        if "write" not in names and not compacted:
            listing = _tool_output(messages, made[0]["id"])
            read = _read_paths(messages)
            unread = [name for name in _files_to_read(listing, task) if name not in read]
            if unread:
                target = unread[0]
                return (_why_read(task, target), ("read", {"path": target, "end_line": 200}))
        pattern, searched = _search_pattern(task)
        if "search" not in names and "write" not in names and not compacted:
            return (f"Let me search for {searched}.\n", ("search", {"pattern": pattern, "ignore_case": True}))
        if compacted and not made:
            # The summaries hold what was found: searching again would refill the context and
            # split once more, over and over, until the step budget ran out.
            return (
                f"{LABEL} My sub-agents are done and my context was compacted; back to the notes.\n",
                ("write", {"path": NOTES_FILE, "content": self._notes(task, messages)}),
            )
        if "write" not in names:
            return (
                f"Now I'll write my notes on the task into {NOTES_FILE}.\n",
                ("write", {"path": NOTES_FILE, "content": self._notes(task, messages)}),
            )
        if "edit" not in names:
            return (
                "The notes are written; I'll tick off the first item with an exact edit.\n",
                (
                    "edit",
                    {
                        "path": NOTES_FILE,
                        "old_text": "- [ ] Write these notes",
                        "new_text": "- [x] Write these notes",
                    },
                ),
            )
        if "run" not in names:
            return (
                "Let me check the result with a command in the worktree.\n",
                ("run", {"command": f"wc -l {NOTES_FILE} && git log --oneline -3"}),
            )
        summary = (
            f"{LABEL} Looked around the repository, searched it for {_search_pattern(task)[1]}, wrote {NOTES_FILE} with notes on the task "
            f"({_plain_task(task)[:80]!r}), ticked its first item with an edit, and checked it with a command. "
            + (
                "Sub-agents with fresh contexts reviewed the files this agent's context had no room for. "
                if compacted
                else ""
            )
            + (
                f"Followed the skill{'s' if len(loaded) > 1 else ''} {', '.join(loaded)}, loaded with load_skill. "
                if (loaded := _loaded_skills(messages))
                else ""
            )
            + "Each step was checkpointed as a commit on this agent's branch."
        )
        if "finish" not in names:
            return ("Done. Here is my summary.\n", ("finish", {"summary": summary}))
        return ("I have already finished.\n", None)

    def _notes(self, task: str, messages: list[Message]) -> str:
        made = _tool_calls_so_far(messages)
        listing = _tool_output(messages, made[0]["id"]) if made else ""
        files = [line for line in listing.splitlines() if line and not line.startswith("[")]
        todos = [
            line
            for call in made
            if call["function"]["name"] == "search"
            for line in _tool_output(messages, call["id"]).splitlines()
            if ":" in line and not line.startswith("[")
        ]
        overview = f"The repository has {len(files)} files; the first few: {', '.join(files[:5]) or 'none'}."
        if COMPACTED_HEADING in task:
            # After a split: the task is under its heading, the sub-agents' work under theirs.
            summaries = task.split(COMPACTED_HEADING, 1)[1].split("\n\nYour context was compacted")[0].strip()
            overview = "Sub-agents with fresh contexts did part of the work:\n\n" + "\n".join(
                f"- {line}" for line in summaries.splitlines() if line.strip()
            )
        variant = _attempt_number(task)
        searched = any(call["function"]["name"] == "search" for call in made)
        if variant % 3 == 2:
            # A second attempt at the same task takes another way: the notes go file by file.
            overview += "\n\nFile by file:\n\n" + "\n".join(
                f"- `{name}`: read, {len(_tool_output(messages, c['id']).splitlines())} lines"
                for c in made
                if c["function"]["name"] == "read"
                for name in [json.loads(c["function"]["arguments"] or "{}").get("path", "")]
            )
        elif variant % 3 == 0 and variant:
            # A third takes the shortest way: the task and the checklist, nothing around them.
            overview = "Short notes: only what the task needs."
            searched = False
        lines = [
            "# Notes from the agentdeck demo model" + (f" (attempt {variant})" if variant else ""),
            "",
            f"Task: {_plain_task(task)}",
            "",
            overview,
            "",
            *(
                [
                    f"Searched for {_search_pattern(task)[1]}:"
                    if todos
                    else f"Searched for {_search_pattern(task)[1]}: nothing found.",
                    *[f"- `{todo}`" for todo in todos[:10]],
                    "",
                ]
                if searched
                else []  # compacted: the summaries above say what was found (or the short way)
            ),
            "- [ ] Write these notes",
            "- [ ] Check them with a command",
        ]
        if "## Changes requested" in task:
            # Sent back by a reviewer: show the feedback was read (the real work stays on the branch).
            requested = _section(task, "Changes requested").split("\n\nYour earlier work")[0]
            wanted = [line.strip() for line in requested.splitlines() if line.strip().startswith("- ")]
            lines += ["", "Changes requested by the reviewer, addressed in this revision:", *wanted]
        loaded = _loaded_skills(messages)
        if loaded:
            lines += [
                "",
                "Skills followed (loaded in full with load_skill):",
                *[f"- {name}" for name in loaded],
            ]
        steers = _steers(messages)
        if steers:
            lines += ["", "Steering received:", *[f"- {s.strip()}" for s in steers]]
        lines += ["", "This file was written by the offline demo model, not by a real LLM.", ""]
        return "\n".join(lines)


def _attempt_number(task: str) -> int:
    """Which attempt of a best-of-N group this agent is (`## Attempt K of N`), 0 when it is none."""
    found = re.search(r"^## Attempt (\d+) of \d+", task, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _section(text: str, heading: str) -> str:
    """The body under `## heading` (up to the next `## `)."""
    found = re.search(rf"^## {re.escape(heading)}[^\n]*\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    return found.group(1) if found else ""


def _added_lines(diff: str) -> list[tuple[str, int, str]]:
    """(file, line in the new file, text) of every added line of a unified diff."""
    added: list[tuple[str, int, str]] = []
    path, line = "", 0
    for raw in diff.splitlines():
        if raw.startswith("+++ "):
            path = raw[4:].removeprefix("b/")
        elif raw.startswith("@@"):
            found = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", raw)
            line = int(found.group(1)) if found else 0
        elif raw.startswith("+") and path and path != "/dev/null":
            added.append((path, line, raw[1:]))
            line += 1
        elif raw.startswith(" "):
            line += 1
    return added


def _judge(request: str) -> str:
    """A deterministic verdict on what the judge request shows: the diff and the test result."""
    tests = _section(request, "Test result")
    added = _added_lines(_section(request, "Diff"))
    files = sorted({path for path, _, _ in added})
    findings: list[dict[str, Any]] = []
    loose = next(((p, n, t) for p, n, t in added if re.search(r"TODO|FIXME", t)), None)
    if loose:
        findings.append(
            {
                "file": loose[0],
                "line": loose[1],
                "severity": "minor",
                "message": f"a loose end is added here: {loose[2].strip()[:80]!r}; resolve it or file it",
            }
        )
    if added:
        path, line, text = added[0]
        findings.append(
            {
                "file": path,
                "line": line,
                "severity": "info",
                "message": f"the change starts here ({text.strip()[:60]!r}); read on from this line",
            }
        )
    failed = re.search(r": (failed|timeout|error) —", tests)
    if not added:
        decision, summary = "reject", "The diff adds nothing, so there is nothing to merge."
    elif failed:
        decision = "request_changes"
        summary = (
            f"The change touches {', '.join(files[:3])}, but the tests {failed.group(1)}: fix them first."
        )
        findings.insert(
            0,
            {
                "file": None,
                "line": None,
                "severity": "major",
                "message": f"the project's tests {failed.group(1)}",
            },
        )
    else:
        ran = "the tests pass" if ": passed" in tests else "no tests ran"
        summary = f"The change adds {len(added)} lines in {', '.join(files[:3])}{' and more' if len(files) > 3 else ''}; {ran}."
        decision = "approve"
    verdict = {
        "decision": decision,
        "summary": f"{LABEL} {summary} (The offline demo judge, not a real review.)",
        "findings": findings,
    }
    return json.dumps(verdict, indent=1)


def _rank(request: str) -> str:
    """A deterministic ranking of the attempts shown: green tests first, then the smallest change."""
    attempts = []
    for found in re.finditer(r"^## Attempt (\S+)\n(.*?)(?=^## Attempt |^Rank all |\Z)", request, re.M | re.S):
        body = found.group(2)
        tests = re.search(r"^Test result: (\S+)", body, re.MULTILINE)
        status = tests.group(1) if tests else "not"
        added = len(_added_lines(body))
        failing = status in ("failed", "timeout", "error")
        attempts.append((failing, status != "passed", added, found.group(1), status))
    attempts.sort()
    ranking = []
    for place, (_, _, added, task_id, status) in enumerate(attempts):
        tests = {"passed": "the tests pass", "not": "no tests ran"}.get(status, f"the tests {status}")
        if place == 0:
            reason = f"{tests} and it is the smallest change to review (+{added} lines)"
        else:
            reason = f"{tests}; +{added} lines, {added - attempts[0][2]:+d} against {attempts[0][3]}"
        ranking.append({"id": task_id, "reason": f"{reason} (the offline demo judge)"})
    return json.dumps({"ranking": ranking}, indent=1)
