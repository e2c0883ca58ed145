"""Skills: packaged instructions for a kind of task, listed to the agent by description and loaded in
full only when it asks (see docs/skills.md)."""

from __future__ import annotations

from agentdeck.skills.catalog import (
    SKILL_FILE,
    Skill,
    SkillCatalog,
    SkillProblem,
    UnknownSkill,
    load_catalog,
    repository_skills_dir,
    user_skills_dir,
)

__all__ = [
    "SKILL_FILE",
    "Skill",
    "SkillCatalog",
    "SkillProblem",
    "UnknownSkill",
    "load_catalog",
    "repository_skills_dir",
    "user_skills_dir",
]
