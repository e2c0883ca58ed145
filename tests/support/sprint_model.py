"""A scripted team for sprints: planner, contracts writer, role agents and integrator, at the model boundary."""

from __future__ import annotations

import json
import re

from agentdeck.runtime.judge import JUDGE_HEADING
from agentdeck.runtime.sprint_fix import FIX_HEADING
from agentdeck.runtime.sprint_views import ROLE_HEADING
from agentdeck.sprints.contracts import CONTRACTS_HEADING
from agentdeck.sprints.planner import PLAN_HEADING
from tests.support.scripted_model import Turn, call

# core first; api and cli side by side once core is done; docs last, after both.
FOUR_ROLES = {
    "feature": "Add a greeting export with an API, a CLI and docs",
    "summary": "four roles, two levels of dependencies",
    "tasks": [
        {
            "id": "core",
            "role": "backend",
            "brief": "write core.py",
            "files": ["core.py"],
            "acceptance": "x",
            "publishes": ["core.py"],
        },
        {
            "id": "api",
            "role": "api",
            "brief": "write api.py",
            "files": ["api.py", "README.md"],
            "acceptance": "x",
            "depends_on": ["core"],
        },
        {
            "id": "cli",
            "role": "cli",
            "brief": "write cli.py",
            "files": ["cli.py", "README.md"],
            "acceptance": "x",
            "depends_on": ["core"],
        },
        {
            "id": "docs",
            "role": "docs",
            "brief": "write docs.md",
            "files": ["docs.md"],
            "acceptance": "x",
            "depends_on": ["api", "cli"],
        },
    ],
    "shared": ["README.md"],
    "test_command": "python3 -c \"import core, api, cli; assert 'API' in open('README.md').read() and 'CLI' in open('README.md').read()\"",
}


def first_user(messages) -> str:
    return next((str(m.get("content") or "") for m in messages if m.get("role") == "user"), "")


def role_of(task: str) -> str:
    return re.search(r"^Role: (\w+)", task, re.MULTILINE).group(1)


class Team:
    """Plays every part of a sprint; `plans` are the planner's replies in turn, `refuse_conflicts` the integrator's mood."""

    def __init__(
        self,
        plans: list[dict | str] | None = None,
        *,
        refuse_conflicts: bool = False,
        stuck: str | None = None,
        chatty: bool = False,
        one_sided: bool = False,
    ) -> None:
        self.plans = list(plans or [FOUR_ROLES])
        self.refuse_conflicts = refuse_conflicts
        # A role that never finishes (it lists files until its step budget runs out).
        self.stuck = stuck
        # api messages cli, and cli waits (listing files) until the message reaches it.
        self.chatty = chatty
        self.cli_at_work = False
        # The integrator keeps only "ours" of a conflict, so the tests fail on the whole until a fix.
        self.one_sided = one_sided
        self.contracts_requests = 0
        self.role_tasks: dict[str, str] = {}  # each role's task text, as its agent first saw it

    def __call__(self, messages, tools) -> Turn:
        task = first_user(messages)
        if PLAN_HEADING in task:
            reply = self.plans.pop(0) if len(self.plans) > 1 else self.plans[0]
            return Turn(text=reply if isinstance(reply, str) else json.dumps(reply))
        if CONTRACTS_HEADING in task:
            self.contracts_requests += 1
            return Turn(text="# Contracts\n\n- `core.greet(name: str) -> str`\n")
        if JUDGE_HEADING in task:
            return Turn(text=json.dumps({"verdict": "approve", "summary": "fine", "findings": []}))
        if "resolve_conflict" in tools:
            if self.refuse_conflicts:
                return Turn(calls=[call("cannot_resolve", reason="the two README lines contradict")])
            marked = task.split("```\n", 1)[1].rsplit("\n```", 1)[0]
            if self.one_sided:
                ours = re.sub(r"=======\n.*?>>>>>>>[^\n]*\n", "", marked, flags=re.S)
                content = ours.replace("<<<<<<< ours\n", "")
                content = re.sub(r"<<<<<<<[^\n]*\n", "", content)
                return Turn(calls=[call("resolve_conflict", content=content, why="kept ours")])
            kept = [
                line
                for line in marked.splitlines(keepends=True)
                if not line.startswith(("<<<<<<<", "=======", ">>>>>>>"))
            ]
            return Turn(
                calls=[call("resolve_conflict", content="".join(kept), why="kept both sides' README lines")]
            )
        if FIX_HEADING in task:
            made = sum(len(m.get("tool_calls") or []) for m in messages if m.get("role") == "assistant")
            if made == 0:
                readme = "# Project\n\nAPI: /greet\nCLI: greet NAME\n"
                return Turn(
                    text="README lost the CLI line", calls=[call("write", path="README.md", content=readme)]
                )
            return Turn(calls=[call("finish", summary="put the CLI line back into README.md")])
        if ROLE_HEADING in task and role_of(task) == self.stuck:
            return Turn(text="looking around", calls=[call("list", path=".")])
        if ROLE_HEADING in task:
            self.role_tasks.setdefault(role_of(task), task)
            return self._role(role_of(task), messages)
        return Turn(calls=[call("finish", summary="nothing to do")])

    def _role(self, role: str, messages) -> Turn:
        made = sum(len(m.get("tool_calls") or []) for m in messages if m.get("role") == "assistant")
        names = [
            c["function"]["name"]
            for m in messages
            if m.get("role") == "assistant"
            for c in m.get("tool_calls") or []
        ]
        if self.chatty and role == "api":
            # api writes to cli once cli is at work (its first turn happened), so the message is live.
            if "message" not in names and not self.cli_at_work:
                return Turn(text="waiting for cli to start", calls=[call("list", path=".")])
            if "message" not in names:
                return Turn(calls=[call("message", to="cli", text="api serves /greet; use core.greet too")])
            made = sum(1 for name in names if name not in ("list", "message"))
        heard = any("Message from" in str(m.get("content")) for m in messages[2:] if m.get("role") == "user")
        if self.chatty and role == "cli" and not heard:
            self.cli_at_work = True
            return Turn(text="waiting for api", calls=[call("list", path=".")])
        if self.chatty and role == "cli":
            made = sum(
                1
                for m in messages
                if m.get("role") == "assistant"
                for c in m.get("tool_calls") or []
                if c["function"]["name"] != "list"
            )
        files = {
            "backend": [("core.py", "def greet(name):\n    return f'hello {name}'\n")],
            "api": [("api.py", "import core\n"), ("README.md", "# Project\n\nAPI: /greet\n")],
            "cli": [("cli.py", "import core\n"), ("README.md", "# Project\n\nCLI: greet NAME\n")],
            "docs": [("docs.md", "# Greeting\n")],
        }[role]
        if made < len(files):
            path, content = files[made]
            return Turn(text=f"{role} writes {path}", calls=[call("write", path=path, content=content)])
        return Turn(
            text="done", calls=[call("finish", summary=f"{role} wrote {', '.join(p for p, _ in files)}")]
        )
