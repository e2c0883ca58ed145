"""`agentdeck skills`: the skills a task can name, where each comes from, and the files that are broken."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from agentdeck.commands.exit_status import EXIT_FAILED, EXIT_OK, EXIT_USAGE, error, notice

if TYPE_CHECKING:
    from agentdeck.skills import Skill, SkillCatalog


def register(commands) -> None:
    skills = commands.add_parser(
        "skills",
        help="list the skills a task can name (--skill), and the skill files that are broken",
        description="List the skills of this repository (.agentdeck/skills/), yours (the config dir) and the\n"
        "built-in ones: name, description, where each comes from. A repository's skill overrides\n"
        "yours and the built-in one of the same name. With NAME: that skill in full.\n"
        "Exit status 1 when a skill file could not be read (each is listed with its path and line).",
        epilog="examples:\n  agentdeck skills\n  agentdeck skills test-first-bug-fix\n  agentdeck skills --json\n\n"
        "See docs/skills.md for the file format.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    skills.add_argument("name", nargs="?", metavar="NAME", help="show this skill in full")
    skills.add_argument("--json", action="store_true", help="print one JSON document")
    skills.add_argument(
        "-C", "--repo", default=".", metavar="PATH", help="the repository (default: the current directory)"
    )
    skills.set_defaults(func=skills_command)


def skills_command(args: argparse.Namespace) -> int:
    from agentdeck.skills import load_catalog

    root = _repository_root(Path(args.repo))
    catalog = load_catalog(root)
    if args.name:
        skill = catalog.get(args.name)
        if skill is None:
            from agentdeck.skills.catalog import unknown_message

            error(unknown_message(args.name, catalog))
            return EXIT_USAGE
        if args.json:
            print(json.dumps(_skill_json(skill)))
        else:
            print(render_skill(skill))
        return EXIT_OK
    if args.json:
        print(
            json.dumps(
                {
                    "skills": [_skill_json(skill) for skill in catalog.skills.values()],
                    "problems": [asdict(problem) for problem in catalog.problems],
                    "folders": _folders(root),
                }
            )
        )
    else:
        print(render_catalog(catalog, root))
    return EXIT_FAILED if catalog.problems else EXIT_OK


def _repository_root(path: Path) -> Path | None:
    from agentdeck.workspace import WorkspaceError, open_repository, repository_root

    try:
        return repository_root(open_repository(path))
    except WorkspaceError as exc:
        notice(f"not in a repository ({exc}): the user's and built-in skills only")
        return None


def _folders(root: Path | None) -> dict[str, str | None]:
    from agentdeck.skills import repository_skills_dir, user_skills_dir

    return {
        "repository": str(repository_skills_dir(root)) if root is not None else None,
        "user": str(user_skills_dir()),
    }


def _skill_json(skill: Skill) -> dict:
    data = asdict(skill)
    data["tools"] = list(skill.tools)
    data["overrides"] = list(skill.overrides)
    return data


def _shown(path: str, root: Path | None) -> str:
    """A repository's file relative to its root, as the user would type it; others in full."""
    full = Path(path)
    return str(full.relative_to(root)) if root is not None and full.is_relative_to(root) else path


def _where(skill: Skill, root: Path | None) -> str:
    return "built-in" if skill.source == "built-in" else f"{skill.source}: {_shown(skill.path, root)}"


def render_catalog(catalog: SkillCatalog, root: Path | None) -> str:
    lines: list[str] = []
    if catalog.skills:
        width = max(len(name) for name in catalog.skills)
        for skill in catalog.skills.values():
            overrides = f"; overrides {len(skill.overrides)} of the same name" if skill.overrides else ""
            lines.append(f"{skill.name.ljust(width)}  {skill.description}")
            lines.append(f"{' ' * width}  ({_where(skill, root)}{overrides})")
    else:
        lines.append("no skills")
    if catalog.problems:
        count = len(catalog.problems)
        lines += ["", f"{count} skill file{'s' if count != 1 else ''} could not be read (fix and run again):"]
        lines += [f"  {replace(p, path=_shown(p.path, root))}" for p in catalog.problems]
    folders = _folders(root)
    repo_folder = folders["repository"] or "(not in a repository)"
    lines += [
        "",
        f"Add skills in {repo_folder} (this repository) or {folders['user']} (yours):",
        "a Markdown file with `name:` and `description:` front matter, or a folder with a SKILL.md.",
        "A task names one with `agentdeck queue add --skill NAME ...`; see docs/skills.md.",
    ]
    return "\n".join(lines)


def render_skill(skill: Skill) -> str:
    extra = [
        f"{key}: {value}"
        for key, value in (
            ("tools", ", ".join(skill.tools)),
            ("role", skill.role),
            ("model", skill.model),
        )
        if value
    ]
    head = [f"{skill.name} ({skill.source}: {skill.path})", skill.description, *extra]
    return "\n".join([*head, "", skill.body])
