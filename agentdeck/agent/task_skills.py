"""What an agent is told of skills: each available one by name and description (a line each, so the
context stays small), the task's own marked to use; the agent reads one in full with `load_skill`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agentdeck.skills import Skill, SkillCatalog, load_catalog
from agentdeck.text import one_line

if TYPE_CHECKING:
    from agentdeck.agent.tools.base import Tool

# The demo model finds the task's skills by this line (agentdeck/llm/demo.py SKILLS_TO_USE): keep them equal.
USE_LINE = "Use these skills for this task: "
# A description is cut to this in the listing; `agentdeck skills` shows it whole.
DESCRIPTION_WIDTH = 160


@dataclass(frozen=True)
class TaskSkills:
    """The skills an agent may load, and the ones its task names (in the task's order)."""

    catalog: SkillCatalog = field(default_factory=SkillCatalog)
    named: tuple[str, ...] = ()

    @classmethod
    def for_task(cls, repo_root: Path | None, names: list[str] | tuple[str, ...] = ()) -> TaskSkills:
        """The repository's skills; UnknownSkill when the task names one that is not there."""
        catalog = load_catalog(repo_root)
        return cls(catalog, tuple(catalog.check(list(names))))

    def for_sub_agent(self) -> TaskSkills | None:
        """What a sub-agent is told: only the task's own skills (its context is kept for its brief)."""
        if not self.named:
            return None
        named = {name: skill for name, skill in self.catalog.skills.items() if name in self.named}
        return TaskSkills(SkillCatalog(named), self.named)

    def named_in_full(self) -> str:
        """The task's own skills in full, for the planner (it has no tools to load them with)."""
        skills = [skill for name in self.named if (skill := self.catalog.get(name)) is not None]
        if not skills:
            return ""
        parts = [f"### {skill.name}: {skill.description}\n\n{skill.body}" for skill in skills]
        return "## Skills the task names (the agent will follow them: so should the plan)\n\n" + "\n\n".join(
            parts
        )

    def get(self, name: str) -> Skill | None:
        return self.catalog.get(name)

    def tools(self) -> tuple[Tool, ...]:
        """The tools these skills need: `load_skill`, when there is any skill to load."""
        from agentdeck.agent.tools.skills import load_skill_tool

        return (load_skill_tool(self),) if self.catalog.skills else ()


def skills_prompt(skills: TaskSkills | None) -> str:
    """The part of the system prompt that lists the skills; empty when there are none."""
    if skills is None or not skills.catalog.skills:
        return ""
    lines = [
        "\nSkills (instructions for a kind of task): when one fits, read it in full with load_skill, then follow it."
    ]
    if skills.named:
        lines.append(f"{USE_LINE}{', '.join(skills.named)} (load each with load_skill before you start).")
    for skill in skills.catalog.skills.values():
        mark = " [use this]" if skill.name in skills.named else ""
        lines.append(f"- {skill.name}{mark}: {one_line(skill.description, DESCRIPTION_WIDTH)}")
    return "\n".join(lines)
