"""What every agent is told about itself and the project besides its task: its name, its role, the
role's own instructions and the project's conventions file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentdeck.agent.handoff import find_conventions

DEFAULT_ROLE = "executor"


@dataclass(frozen=True)
class Briefing:
    """Who the agent is and the rules it works by; its system prompt is made from it (prompts.py)."""

    name: str
    role: str = DEFAULT_ROLE
    # The role's addition to the system prompt ([roles.NAME] prompt in agentdeck.toml).
    role_prompt: str | None = None
    # The conventions file's text as read_conventions gives it (with its heading), or None.
    conventions: str | None = None
    # Its name (AGENTS.md, ...), to say which one the agent was given.
    conventions_file: str | None = None


def brief_agent(
    name: str, worktree: Path, role: str = DEFAULT_ROLE, role_prompt: str | None = None
) -> Briefing:
    """The briefing of an agent working in `worktree`: reads the project's conventions file (blocking)."""
    found = find_conventions(worktree)
    return Briefing(
        name=name,
        role=role,
        role_prompt=role_prompt,
        conventions=found[1] if found else None,
        conventions_file=found[0] if found else None,
    )
