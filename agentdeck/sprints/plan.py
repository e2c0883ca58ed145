"""A sprint plan and the rules it must keep before anything starts (pure: no model, no git).

The planner model returns a plan as JSON; `validate_plan` refuses one that cannot run as a
team: a dependency cycle, a dependency on a task that is not in the plan, a role outside the
allowed ones, two tasks writing the same files without the plan saying those files are
shared, or more tasks than agents. Each refusal is a `PlanRefused` whose text says why, so it
can be shown to a person and handed back to the planner as is.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, ValidationError, field_validator

MIN_TASKS = 2
DEFAULT_MAX_AGENTS = 4
# Plan task ids the sprint uses for its own branches (`agentdeck/sprint-<id>-contracts`).
RESERVED_IDS = frozenset({"contracts", "integration"})
_TASK_ID = re.compile(r"[a-z][a-z0-9-]{0,23}")
# Feature texts that name no change: a planner cannot split them into scoped tasks.
_VAGUE = re.compile(
    r"^(please\s+)?(make|do|fix|improve|clean|update|change|tidy|refactor)\s+(it|this|that|things|stuff|"
    r"everything|the code|the project|something)(\s+(better|up|nicer|work|good|faster))?[.!]*$",
    re.IGNORECASE,
)
MIN_FEATURE_WORDS = 3


class PlanRefused(ValueError):
    """The plan (or the feature) cannot run as a sprint; `str()` says why."""


class SprintTask(BaseModel):
    """One role agent's share of the feature."""

    id: str
    role: str = Field(min_length=1)
    brief: str = Field(min_length=1)
    # The files this task may write (a path, or a folder ending in "/").
    files: list[str] = Field(min_length=1)
    acceptance: str = Field(min_length=1)
    depends_on: list[str] = Field(default_factory=list)
    # Files of its scope its dependants get, read-only, in their context and worktree (a schema, an API).
    publishes: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _TASK_ID.fullmatch(value):
            raise ValueError(
                f"task id {value!r} must be a short slug: lowercase letters, digits and '-', at most 24"
            )
        return value


class SprintPlan(BaseModel):
    """What the planner returns: the feature split into role tasks, with their order."""

    feature: str
    summary: str = ""
    tasks: list[SprintTask]
    # Files more than one task may write on purpose (a changelog, a README); the integration merges them.
    shared: list[str] = Field(default_factory=list)
    # The command that proves the whole works, when the project configures none (`test_command`).
    test_command: str | None = None

    def task(self, task_id: str) -> SprintTask:
        return next(task for task in self.tasks if task.id == task_id)

    def levels(self) -> list[list[str]]:
        """The task ids in dependency order, grouped: each level depends only on earlier levels."""
        done: set[str] = set()
        levels: list[list[str]] = []
        left = [task.id for task in self.tasks]
        while left:
            level = [tid for tid in left if set(self.task(tid).depends_on) <= done]
            if not level:  # a cycle: validate_plan refuses these before anyone asks
                raise PlanRefused("the plan has a dependency cycle")
            levels.append(level)
            done.update(level)
            left = [tid for tid in left if tid not in done]
        return levels

    def order(self) -> list[str]:
        """Every task id, dependencies first (the order the integration merges them)."""
        return [tid for level in self.levels() for tid in level]


def check_feature(feature: str) -> str:
    """The feature text, stripped; refuse one that is empty or too vague to plan."""
    text = " ".join(feature.split())
    if not text:
        raise PlanRefused('the feature is empty: say what the team should build, e.g. "Add an export to CSV"')
    words = re.findall(r"[A-Za-z0-9]{2,}", text)
    if _VAGUE.match(text) or len(words) < MIN_FEATURE_WORDS:
        raise PlanRefused(
            f"the feature {text!r} is too vague to split into tasks: name the change and where it shows, "
            'e.g. "Add an export to CSV with tests and docs"'
        )
    return text


def parse_plan(data: object) -> SprintPlan:
    """A SprintPlan from decoded JSON; the first schema error in words when it is not one."""
    try:
        return SprintPlan.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the plan"
        raise PlanRefused(f"not a valid plan: {where}: {error['msg']}") from None


def validate_plan(
    plan: SprintPlan, max_agents: int = DEFAULT_MAX_AGENTS, roles: list[str] | None = None
) -> None:
    """Refuse a plan that cannot run as a sprint (see the module docstring); return None when it can."""
    count = len(plan.tasks)
    if count < MIN_TASKS:
        raise PlanRefused(
            f"a sprint needs at least {MIN_TASKS} tasks, the plan has {count}: for one task use `agentdeck run`"
        )
    if count > max_agents:
        raise PlanRefused(
            f"the plan has {count} tasks but at most {max_agents} agents are allowed (--max-agents): "
            "merge tasks or raise --max-agents"
        )
    ids = [task.id for task in plan.tasks]
    twice = sorted({tid for tid in ids if ids.count(tid) > 1})
    if twice:
        raise PlanRefused(f"task ids must be unique; given more than once: {', '.join(twice)}")
    reserved = sorted(set(ids) & RESERVED_IDS)
    if reserved:
        raise PlanRefused(
            f"task id {reserved[0]!r} is reserved for the sprint itself: name the task otherwise"
        )
    if roles:
        allowed = {role.lower() for role in roles}
        for task in plan.tasks:
            if task.role.lower() not in allowed:
                raise PlanRefused(
                    f"task {task.id} has role {task.role!r}, which is not one of the allowed roles "
                    f"({', '.join(roles)}; --roles)"
                )
    known = set(ids)
    for task in plan.tasks:
        for dep in task.depends_on:
            if dep == task.id:
                raise PlanRefused(f"task {task.id} depends on itself")
            if dep not in known:
                raise PlanRefused(
                    f"task {task.id} depends on {dep!r}, which is not a task of the plan ({', '.join(ids)})"
                )
    for task in plan.tasks:
        for path in task.publishes:
            if not any(_covers(_norm(scope), _norm(path)) for scope in task.files):
                raise PlanRefused(
                    f"task {task.id} publishes {path}, which is outside the files it writes ({', '.join(task.files)})"
                )
    cycle = find_cycle(plan)
    if cycle:
        raise PlanRefused(f"dependency cycle: {' → '.join(cycle)}; a task cannot wait for itself")
    overlap = find_overlap(plan)
    if overlap:
        first, second, path = overlap
        raise PlanRefused(
            f"tasks {first} and {second} both write {path}, which the plan does not mark as shared: "
            "give the file to one task, or list it under `shared`"
        )


def find_cycle(plan: SprintPlan) -> list[str] | None:
    """One dependency cycle as a path that ends where it starts, or None."""
    deps = {task.id: task.depends_on for task in plan.tasks}
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in deps.get(node, []):
            if state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            if dep in deps and state.get(dep) is None:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for task_id in deps:
        if state.get(task_id) is None:
            found = visit(task_id)
            if found:
                return found
    return None


def find_overlap(plan: SprintPlan) -> tuple[str, str, str] | None:
    """Two tasks whose write scopes overlap on a path the plan does not share: (first, second, path)."""
    shared = [_norm(path) for path in plan.shared]
    for i, first in enumerate(plan.tasks):
        for second in plan.tasks[i + 1 :]:
            for a in first.files:
                for b in second.files:
                    path = _overlap(_norm(a), _norm(b))
                    if path is not None and not any(_covers(s, path) for s in shared):
                        return first.id, second.id, path
    return None


def _norm(path: str) -> str:
    path = path.strip().removeprefix("./")
    return path


def _covers(scope: str, path: str) -> bool:
    if scope.endswith("/"):
        return path.startswith(scope) or path == scope
    return path == scope


def _overlap(a: str, b: str) -> str | None:
    """The overlapping part of two scopes (a file, or the narrower folder), or None."""
    if a == b:
        return a
    if _covers(a, b):
        return b
    if _covers(b, a):
        return a
    return None
