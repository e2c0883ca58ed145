"""Finding and reading skills: the repository's, the user's and the built-in ones, by name.

A skill is a Markdown file with front matter (`name`, `description`; optional `tools`, `role`,
`model`). In a skills folder, `<anything>.md` (but README.md, which is about the folder) and
`<name>/SKILL.md` (the layout other coding agents use) are both read. The repository's skills override the user's, which override the
built-in ones, by name. A file that cannot be read is a `SkillProblem` (path, line, what is
wrong and how to fix it); the others still load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from agentdeck.config_files import user_config_path
from agentdeck.skills.front_matter import FrontMatterError, parse_front_matter

Source = Literal["repository", "user", "built-in"]
# Highest precedence first.
SOURCES: tuple[Source, ...] = ("repository", "user", "built-in")
SKILL_FILE = "SKILL.md"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# A skill's instructions beyond this are a sign of a wrong file, and would fill the agent's context.
MAX_SKILL_CHARS = 40_000


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    body: str
    path: str
    source: Source
    tools: tuple[str, ...] = ()
    role: str | None = None
    model: str | None = None
    # Where a skill of the same name from a source of lower precedence lives (it is not used).
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkillProblem:
    """A skill file that was not loaded: where, and why in words that say what to do."""

    path: str
    # 1-based; 0 when the file (or folder) could not be read at all.
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class UnknownSkill(Exception):
    """A task named a skill that no skills folder has; `str()` lists the ones there are."""


@dataclass
class SkillCatalog:
    """The skills that apply to one repository, by name, and the files that could not be read."""

    skills: dict[str, Skill] = field(default_factory=dict)
    problems: list[SkillProblem] = field(default_factory=list)

    def get(self, name: str) -> Skill | None:
        return self.skills.get(name)

    def names(self) -> list[str]:
        return sorted(self.skills)

    def check(self, names: list[str]) -> list[str]:
        """`names` without repeats, or UnknownSkill naming the first that is not there."""
        for name in names:
            if name not in self.skills:
                raise UnknownSkill(unknown_message(name, self))
        return list(dict.fromkeys(names))


def unknown_message(name: str, catalog: SkillCatalog) -> str:
    known = ", ".join(catalog.names()) or "none"
    broken = f"; {len(catalog.problems)} skill file(s) could not be read: `agentdeck skills` says why"
    return (
        f"unknown skill {name!r}: the skills are {known}"
        + (broken if catalog.problems else "")
        + ". Add one under .agentdeck/skills/ (see docs/skills.md)"
    )


def repository_skills_dir(repo_root: Path) -> Path:
    return repo_root / ".agentdeck" / "skills"


def user_skills_dir() -> Path:
    """$XDG_CONFIG_HOME/agentdeck/skills (~/.config by default), beside the user's agentdeck.toml."""
    return user_config_path().parent / "skills"


def builtin_skills_dir() -> Traversable:
    return resources.files("agentdeck.skills").joinpath("builtin")


def load_catalog(repo_root: Path | None) -> SkillCatalog:
    """Every skill that applies to `repo_root` (None: the user's and the built-in ones only)."""
    folders: list[tuple[Source, Path | Traversable | None]] = [
        ("repository", repository_skills_dir(repo_root) if repo_root is not None else None),
        ("user", user_skills_dir()),
        ("built-in", builtin_skills_dir()),
    ]
    catalog = SkillCatalog()
    for source, folder in reversed(folders):  # lowest precedence first, so later ones override
        if folder is None:
            continue
        for skill in _read_folder(folder, source, catalog.problems):
            earlier = catalog.skills.get(skill.name)
            if earlier is not None and earlier.source == source:
                catalog.problems.append(
                    SkillProblem(
                        skill.path,
                        1,
                        f"another {source} skill is named {skill.name!r} ({earlier.path}); "
                        "this one is ignored: give it another name",
                    )
                )
                continue
            if earlier is not None:
                skill = _with_overrides(skill, (earlier.path, *earlier.overrides))
            catalog.skills[skill.name] = skill
    catalog.skills = dict(sorted(catalog.skills.items()))
    return catalog


def _with_overrides(skill: Skill, overrides: tuple[str, ...]) -> Skill:
    return replace(skill, overrides=overrides)


def _read_folder(folder: Path | Traversable, source: Source, problems: list[SkillProblem]) -> list[Skill]:
    try:
        if not folder.is_dir():
            return []
        entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
    except OSError as exc:
        problems.append(SkillProblem(str(folder), 0, f"the skills folder cannot be read: {exc}"))
        return []
    files: list[Traversable | Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            inner = entry.joinpath(SKILL_FILE)
            if inner.is_file():
                files.append(inner)
        elif entry.name.endswith(".md") and entry.name.lower() != "readme.md" and entry.is_file():
            files.append(entry)
    skills = []
    for path in files:
        skill = read_skill(path, source, problems)
        if skill is not None:
            skills.append(skill)
    return skills


def read_skill(path: Path | Traversable, source: Source, problems: list[SkillProblem]) -> Skill | None:
    """One skill file, or None with the reason appended to `problems`."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(SkillProblem(shown, 0, f"cannot be read as UTF-8 text: {exc}"))
        return None
    try:
        front = parse_front_matter(text)
    except FrontMatterError as exc:
        problems.append(SkillProblem(shown, exc.line, exc.message))
        return None
    values, lines = front.values, front.lines

    def problem(key: str, message: str) -> None:
        problems.append(SkillProblem(shown, lines.get(key, 1), message))

    for key in ("name", "description"):
        if not values.get(key):
            problem(key, f"the front matter has no `{key}:` (a skill needs a name and a description)")
            return None
    name, description = values["name"], values["description"]
    if not isinstance(name, str) or not _NAME.match(name):
        problem("name", f"the name {name!r} must be lowercase letters, digits and hyphens, e.g. fix-bug")
        return None
    if not isinstance(description, str):
        problem("description", "the description must be text, not a list")
        return None
    tools = values.get("tools", [])
    if isinstance(tools, str):  # `tools: read, edit` as well as `tools: [read, edit]`
        tools = [part.strip() for part in tools.split(",") if part.strip()]
    for key in ("role", "model"):
        if key in values and not isinstance(values[key], str):
            problem(key, f"`{key}` must be one name, not a list")
            return None
    if not front.body:
        problems.append(
            SkillProblem(
                shown, len(text.splitlines()), "the skill has no instructions below its front matter"
            )
        )
        return None
    if len(front.body) > MAX_SKILL_CHARS:
        problems.append(
            SkillProblem(
                shown,
                1,
                f"the instructions are {len(front.body):,} characters, over {MAX_SKILL_CHARS:,}: "
                "keep a skill short, or split it",
            )
        )
        return None
    return Skill(
        name=name,
        description=" ".join(description.split()),
        body=front.body,
        path=shown,
        source=source,
        tools=tuple(tools),
        role=values.get("role") or None,  # type: ignore[arg-type]
        model=values.get("model") or None,  # type: ignore[arg-type]
    )
