"""`load_skill`: the agent reads one skill's instructions in full, when it needs them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from agentdeck.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult, cap_text
from agentdeck.agent.tools.paths import ToolError

LOAD_SKILL = "load_skill"

if TYPE_CHECKING:
    from agentdeck.agent.task_skills import TaskSkills


class LoadSkillArgs(ToolArgs):
    name: str = Field(description="the skill's name, as listed under Skills in your instructions")


def load_skill_tool(skills: TaskSkills) -> Tool:
    """The tool bound to the skills of one task."""

    async def load_skill(ctx: ToolContext, args: LoadSkillArgs) -> ToolResult:
        skill = skills.get(args.name.strip())
        if skill is None:
            known = ", ".join(skills.catalog.names())
            raise ToolError(f"unknown skill {args.name!r}; the skills are: {known}")
        head = [f"# Skill {skill.name} ({skill.source}): {skill.description}"]
        if skill.tools:
            head.append(f"It works with the tools: {', '.join(skill.tools)}.")
        text = "\n".join([*head, "", skill.body])
        return ToolResult(cap_text(text, ctx.output_cap_bytes))

    return Tool(
        name=LOAD_SKILL,
        description="Read one skill's instructions in full (the skills are listed in your instructions). "
        "Load a skill before you follow it; load only the ones you need.",
        args=LoadSkillArgs,
        fn=load_skill,
    )
