"""The sprint planner: the planner model reads the repository and returns a SprintPlan as JSON.

One turn with no tools. A reply that is not a valid plan is handed back once with the reason;
a second bad reply is a `PlanRefused` that names both. The model may also refuse a feature it
cannot plan (`{"refused": "why"}`): that reaches the user as it is, and nothing starts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from agentdeck.agent.handoff import read_conventions
from agentdeck.agent.planning import list_files
from agentdeck.llm.types import Message, ModelClient
from agentdeck.sprints.plan import PlanRefused, SprintPlan, check_feature, parse_plan, validate_plan

# Must match agentdeck.llm.demo.SPRINT_PLAN_HEADING: the demo model plays the planner on it.
PLAN_HEADING = "# Sprint planning request"
README_CAP_CHARS = 4_000

PLANNER_SYSTEM = """\
You plan a sprint: one feature built by a small team of coding agents working in parallel, each
in its own git worktree, merged together at the end by an integration pass. Split the feature into
2 to {max_tasks} tasks, each for one role (for example: backend, api, frontend, cli, testing, docs).
Each task gets a scoped brief, the files it may write (its scope), an acceptance check, and the ids
of the tasks it must wait for. Tasks that do not depend on each other run at the same time, so
depend only where a task truly needs another's work. Two tasks must not write the same file unless
you list that file under "shared". Interfaces the tasks share (data shapes, function signatures,
names) are written into a contracts file before anyone starts, so a task may rely on them.

Reply with JSON only, in this shape:
{{"feature": "...", "summary": "one line",
  "tasks": [{{"id": "short-slug", "role": "...", "brief": "...", "files": ["path", "folder/"],
             "acceptance": "how to check it (a command when there is one)", "depends_on": ["other-id"]}}],
  "shared": ["files several tasks may write"], "test_command": "command that runs the tests, or null"}}
If the feature is too vague to split into concrete tasks, reply {{"refused": "why, and what to ask"}}.
"""


class FeatureRefused(PlanRefused):
    """The planner (or the feature check) says the feature cannot be planned as given."""


def planning_messages(
    feature: str, repo_root: Path, max_tasks: int, roles: list[str] | None = None
) -> list[Message]:
    files = list_files(repo_root)
    parts = [f"{PLAN_HEADING}\n\n## The feature\n\n{feature}"]
    if roles:
        parts.append("## Roles\n\nUse only these roles: " + ", ".join(roles))
    parts.append(f"## At most {max_tasks} tasks")
    parts.append("## Files in the repository\n\n" + ("\n".join(files) or "(none yet)"))
    readme = next((p for p in sorted(repo_root.glob("README*")) if p.is_file() and not p.is_symlink()), None)
    if readme is not None:
        text = readme.read_text(encoding="utf-8", errors="replace")[:README_CAP_CHARS]
        parts.append(f"## {readme.name}\n\n{text.strip()}")
    conventions = read_conventions(repo_root)
    if conventions:
        parts.append(conventions)
    system = PLANNER_SYSTEM.format(max_tasks=max_tasks)
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def decode_reply(text: str, max_agents: int, roles: list[str] | None) -> SprintPlan:
    """The plan in a planner reply (bare JSON or a fenced block), validated; PlanRefused says why not."""
    body = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", body, re.DOTALL)
    if fenced:
        body = fenced.group(1).strip()
    elif "{" in body:
        body = body[body.index("{") : body.rindex("}") + 1]
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise PlanRefused(f"the reply is not JSON ({exc.msg} at line {exc.lineno})") from None
    if isinstance(data, dict) and data.get("refused"):
        raise FeatureRefused(f"the planner cannot plan this feature: {data['refused']}")
    plan = parse_plan(data)
    validate_plan(plan, max_agents, roles)
    return plan


async def plan_sprint(
    model: ModelClient,
    feature: str,
    repo_root: Path,
    *,
    max_agents: int,
    roles: list[str] | None = None,
) -> SprintPlan:
    """Ask the planner for a plan; re-ask once with the reason when the reply is not a valid plan."""
    feature = check_feature(feature)
    messages = planning_messages(feature, repo_root, max_agents, roles)
    first_reason = ""
    for attempt in (1, 2):
        reply = await model.stream_turn(messages, [], lambda _text: None)
        try:
            plan = decode_reply(reply.text, max_agents, roles)
        except FeatureRefused:
            raise
        except PlanRefused as exc:
            if attempt == 2:
                raise PlanRefused(
                    f"the planner's plan was refused twice: first {first_reason}; then {exc}. "
                    "Try a more concrete feature, fewer roles, or another planner model (--model)"
                ) from None
            first_reason = str(exc)
            messages = [
                *messages,
                {"role": "assistant", "content": reply.text},
                {
                    "role": "user",
                    "content": f"That plan was refused: {exc}. Reply with a corrected plan, as JSON only.",
                },
            ]
            continue
        plan.feature = plan.feature.strip() or feature
        return plan
    raise AssertionError("unreachable")  # pragma: no cover
