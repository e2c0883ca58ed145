"""Checks computed without a model: reviewability (diff size), one task type per run, and the flags of a result.

Task types come from the task's wording, clause by clause ("refactor the parser and add a
--verbose flag" is a refactor plus a feature); a task whose clauses are of two or more
types is flagged. A docs-only or tests-only task whose diff changed source code is flagged
as out of scope. These are heuristics: they flag, they never block.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from agentdeck.events import ChangeStats, Check, TestsResult, Verdict

TASK_TYPES = ("performance", "refactor", "tests", "docs", "feature")

# In a clause the earliest keyword wins ("speed up the tests" is performance work, "a
# CONTRIBUTING.md on running the tests" docs); feature words are generic verbs ("add",
# "fix"), so they count only when no other type is named.
_KEYWORDS = {
    "performance": r"faster|speed(?:s|ing)? up|performance|perf\b|optimi[sz]\w*|latency|throughput|memory use|profil\w+|cach(?:e|ing)\b",
    "refactor": r"refactor\w*|renam\w+|restructur\w+|reorgani[sz]\w+|extract\w*|clean(?:s|ing)? ?up|simplif\w+|deduplicat\w+|split (?:up )?(?:the )?\w+ (?:module|class|file|function)",
    "tests": r"tests?\b|testing|test coverage|coverage|pytest|unittest|spec\b",
    "docs": r"docs?\b|document\w*|readme|docstrings?|changelog|comments?\b|contributing|guide\b|tutorial",
    "feature": r"add\w*|implement\w*|support\w*|feature|new\b|creat\w+|introduc\w+|allow\w*|enabl\w+|fix\w*|bug\w*|handle\w*|make\b|write\b",
}
_CLAUSE_SPLIT = re.compile(
    r"\s*(?:[;,.]\s+|\band then\b|\bthen\b|\band also\b|\balso\b|\bplus\b|\band\b)\s*", re.IGNORECASE
)
_DOC_SUFFIXES = {".md", ".rst", ".txt", ".adoc"}


def task_types(task: str) -> list[str]:
    """The task types the task's clauses name, in the order they first appear."""
    found: list[str] = []
    for clause in _CLAUSE_SPLIT.split(task.split("\n## ", 1)[0]):
        kind = _clause_type(clause)
        if kind and kind not in found:
            found.append(kind)
    return found


def _clause_type(clause: str) -> str | None:
    text = clause.lower()
    positions: dict[str, int] = {}
    for kind in TASK_TYPES:
        found = re.search(rf"\b(?:{_KEYWORDS[kind]})", text)
        if found:
            positions[kind] = found.start()
    specific = {kind: at for kind, at in positions.items() if kind != "feature"}
    if specific:
        return min(specific, key=lambda kind: specific[kind])
    return "feature" if "feature" in positions else None


def file_kind(path: str) -> str:
    """ "docs", "tests" or "code" for a changed path."""
    pure = PurePosixPath(path)
    parts = {part.lower() for part in pure.parts[:-1]}
    name = pure.name.lower()
    if (
        parts & {"test", "tests", "spec", "specs", "__tests__"}
        or name.startswith("test_")
        or re.search(r"[._-](test|spec)\.\w+$", name)
    ):
        return "tests"
    if parts & {"doc", "docs", "documentation"} or pure.suffix.lower() in _DOC_SUFFIXES:
        return "docs"
    return "code"


def size_check(stats: ChangeStats, budget_lines: int) -> Check:
    lines = stats.lines
    if lines > budget_lines:
        return Check(
            name="size",
            ok=False,
            message=f"too large to review in one sitting: {lines} changed lines (budget {budget_lines}) — split it",
        )
    return Check(name="size", ok=True, message=f"{lines} changed lines, within the budget of {budget_lines}")


def task_type_check(task: str) -> Check:
    kinds = task_types(task)
    if len(kinds) > 1:
        return Check(
            name="task_types",
            ok=False,
            message=f"the task bundles {' + '.join(kinds)} work: one task type per run reviews better",
        )
    return Check(
        name="task_types",
        ok=True,
        message=f"one task type: {kinds[0]}" if kinds else "task type not recognised",
    )


def scope_check(task: str, changed: list[str]) -> Check:
    """A docs-only or tests-only task should not change source code."""
    kinds = task_types(task)
    code = [path for path in changed if file_kind(path) == "code"]
    if len(kinds) == 1 and kinds[0] in ("docs", "tests") and code:
        shown = ", ".join(code[:3]) + (f" and {len(code) - 3} more" if len(code) > 3 else "")
        return Check(name="scope", ok=False, message=f"a {kinds[0]} task changed source code: {shown}")
    return Check(name="scope", ok=True, message="the changed files fit the task")


# A sprint's integration is one feature built by roles that split it by kind of work (code,
# tests, docs): bundling them is the point, not a smell.
SPRINT_TASK_TYPES = Check(name="task_types", ok=True, message="a sprint: its roles split the work by type")


def run_checks(
    task: str, stats: ChangeStats, changed: list[str], budget_lines: int, *, sprint: bool = False
) -> list[Check]:
    kinds = SPRINT_TASK_TYPES if sprint else task_type_check(task)
    return [size_check(stats, budget_lines), kinds, scope_check(task, changed)]


def flags(tests: TestsResult | None, verdict: Verdict | None, checks: list[Check]) -> list[str]:
    """What needs your eye in a result, in a few words each."""
    out: list[str] = []
    if tests is not None and tests.status in ("failed", "timeout", "error"):
        out.append(f"tests {tests.status}")
    if verdict is not None:
        if verdict.kind == "judge_failed":
            out.append("judge failed")
        elif verdict.kind in ("request_changes", "reject"):
            out.append(f"judge: {verdict.kind.replace('_', ' ')}")
        if verdict.same_family_warning:
            out.append("judge of the executor's family")
    names = {"size": "too large", "task_types": "mixed task types", "scope": "out of scope"}
    out.extend(names[check.name] for check in checks if not check.ok)
    return out
