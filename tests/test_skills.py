"""Skills on disk: where they are found, which one wins, and how a broken file is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdeck.skills import UnknownSkill, load_catalog, user_skills_dir
from agentdeck.skills.front_matter import FrontMatterError, parse_front_matter

BUILT_IN = {"test-first-bug-fix", "review-comments-to-changes", "write-docs-for-a-change"}


def skill_text(name: str, description: str, body: str = "Do the thing, then check it.", **extra: str) -> str:
    more = "".join(f"{key}: {value}\n" for key, value in extra.items())
    return f"---\nname: {name}\ndescription: {description}\n{more}---\n{body}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_built_in_skills_load_from_the_package_with_their_instructions() -> None:
    catalog = load_catalog(None)
    assert set(catalog.skills) == BUILT_IN
    assert catalog.problems == []
    fix = catalog.skills["test-first-bug-fix"]
    assert fix.source == "built-in"
    assert "fails" in fix.description
    assert "failing test" in fix.body.lower() and "---" not in fix.body.splitlines()[0]


def test_a_flat_file_and_the_skill_md_folder_layout_are_both_read(repo: Path) -> None:
    skills = repo / ".agentdeck" / "skills"
    write(skills / "migrations.md", skill_text("db-migration", "Write a reversible schema migration."))
    write(
        skills / "release" / "SKILL.md",
        skill_text("release-notes", "Draft release notes from the merged changes.", tools="[read, run]"),
    )
    write(skills / "release" / "reference.md", "Not a skill: a file the skill's folder carries.\n")
    write(skills / "README.md", "# Our skills\n\nWhat this folder is for.\n")
    write(
        skills / "bom.md",
        "\ufeff" + skill_text("with-bom", "Saved by an editor that writes a byte-order mark."),
    )
    catalog = load_catalog(repo)
    assert catalog.problems == []
    assert {"db-migration", "release-notes", "with-bom"} <= set(catalog.skills)
    release = catalog.skills["release-notes"]
    assert release.source == "repository"
    assert release.path.endswith("release/SKILL.md")
    assert release.tools == ("read", "run")


def test_the_repository_overrides_the_user_who_overrides_the_built_in(repo: Path) -> None:
    write(
        user_skills_dir() / "fix.md", skill_text("test-first-bug-fix", "The user's own way of fixing bugs.")
    )
    write(user_skills_dir() / "mine.md", skill_text("tidy-imports", "The user's import tidying."))
    write(
        repo / ".agentdeck" / "skills" / "tidy.md",
        skill_text("tidy-imports", "This repository's import order."),
    )
    catalog = load_catalog(repo)
    fix, tidy = catalog.skills["test-first-bug-fix"], catalog.skills["tidy-imports"]
    assert (fix.source, fix.description) == ("user", "The user's own way of fixing bugs.")
    assert fix.overrides and fix.overrides[0].endswith("test-first-bug-fix.md")
    assert (tidy.source, tidy.description) == ("repository", "This repository's import order.")
    assert tidy.overrides == (str(user_skills_dir() / "mine.md"),)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# just notes\n", 1, "no front matter"),
        ("---\nname: fix\ndescription: d\nno closing\n", 1, "never closed"),
        (
            "---\nname: fix\ndescription: Fixes\nthis line has no colon\n---\nbody\n",
            4,
            "expected `key: value`",
        ),
        ("---\nname: fix\n---\nbody\n", 1, "no `description:`"),
        ("---\ndescription: Fixes things\n---\nbody\n", 1, "no `name:`"),
        ("---\nname: Fix Bugs\ndescription: Fixes\n---\nbody\n", 2, "lowercase letters, digits and hyphens"),
        ("---\nname: fix\ndescription: 'Fixes\n---\nbody\n", 3, "never closed"),
        ("---\nname: fix\ndescription: Fixes\nname: again\n---\nbody\n", 4, "given twice (first on line 2)"),
        ("---\nname: fix\ndescription: Fixes\n---\n\n", 5, "no instructions"),
    ],
)
def test_a_broken_skill_file_is_reported_with_its_path_and_line_and_the_others_still_load(
    repo: Path, text: str, line: int, words: str
) -> None:
    broken = write(repo / ".agentdeck" / "skills" / "broken.md", text)
    write(repo / ".agentdeck" / "skills" / "good.md", skill_text("good-one", "Still loads."))
    catalog = load_catalog(repo)
    assert "good-one" in catalog.skills and BUILT_IN <= set(catalog.skills)
    [problem] = catalog.problems
    assert (problem.path, problem.line) == (str(broken), line)
    assert words in problem.message
    assert str(problem).startswith(f"{broken}:{line}: ")


def test_two_skills_of_one_folder_with_one_name_keep_the_first_and_report_the_second(repo: Path) -> None:
    skills = repo / ".agentdeck" / "skills"
    write(skills / "a.md", skill_text("same", "First."))
    second = write(skills / "b" / "SKILL.md", skill_text("same", "Second."))
    catalog = load_catalog(repo)
    assert catalog.skills["same"].description == "First."
    assert [(p.path, "named 'same'" in p.message) for p in catalog.problems] == [(str(second), True)]


def test_another_agents_skill_file_with_extra_keys_and_a_folded_description_loads(repo: Path) -> None:
    write(
        repo / ".agentdeck" / "skills" / "pdf" / "SKILL.md",
        "---\nname: pdf-forms\ndescription: >\n  Fill in PDF forms\n  from a data file.\nlicense: MIT\n"
        "metadata:\n  version: 2\n  owner: docs-team\nallowed-tools: Bash, Read\n---\n# PDF forms\n\nSteps.\n",
    )
    catalog = load_catalog(repo)
    assert catalog.problems == []
    assert catalog.skills["pdf-forms"].description == "Fill in PDF forms from a data file."


def test_front_matter_values_lists_and_blocks() -> None:
    front = parse_front_matter(
        "---\nname: x\ntools:\n  - read\n  - 'edit'\nrole: database\nnotes: |\n  one\n   two\n---\nBody\n"
    )
    assert front.values == {"name": "x", "tools": ["read", "edit"], "role": "database", "notes": "one\n two"}
    assert front.lines == {"name": 2, "tools": 3, "role": 6, "notes": 7}
    assert front.body == "Body"
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter("---\n  indented: first\n---\n")
    assert caught.value.line == 2


def test_naming_an_unknown_skill_lists_the_ones_there_are(repo: Path) -> None:
    catalog = load_catalog(repo)
    assert catalog.check(["write-docs-for-a-change", "write-docs-for-a-change"]) == [
        "write-docs-for-a-change"
    ]
    with pytest.raises(UnknownSkill) as caught:
        catalog.check(["fix-bug"])
    message = str(caught.value)
    assert "unknown skill 'fix-bug'" in message
    assert "review-comments-to-changes, test-first-bug-fix, write-docs-for-a-change" in message


def test_the_built_in_skills_are_package_data_of_the_wheel() -> None:
    """An installed agentdeck reads them with importlib.resources: pyproject.toml must ship every one."""
    import fnmatch
    import tomllib

    from agentdeck.skills.catalog import builtin_skills_dir

    root = Path(__file__).resolve().parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = patterns["agentdeck.skills"]
    files = [entry.name for entry in builtin_skills_dir().iterdir() if not entry.name.startswith("__")]
    assert len(files) == 3
    assert all(any(fnmatch.fnmatch(f"builtin/{name}", pattern) for pattern in shipped) for name in files)


def test_a_skill_file_that_is_not_text_is_reported_without_a_line(repo: Path) -> None:
    bad = repo / ".agentdeck" / "skills" / "binary.md"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"---\nname: \xff\xfe\n---\n")
    [problem] = load_catalog(repo).problems
    assert str(problem).startswith(f"{bad}: cannot be read as UTF-8 text")
