"""The sprint plan's rules: every plan that cannot run as a team is refused with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdeck.sprints.plan import PlanRefused, SprintPlan, check_feature, parse_plan, validate_plan
from agentdeck.sprints.planner import FeatureRefused, plan_sprint
from tests.support.scripted_model import ScriptedModel, Turn


def plan(*tasks: dict, shared: list[str] | None = None) -> SprintPlan:
    return SprintPlan.model_validate(
        {"feature": "Add a CSV export", "tasks": list(tasks), "shared": shared or []}
    )


def task(tid: str, files: list[str], depends_on: list[str] | None = None, role: str = "backend") -> dict:
    return {
        "id": tid,
        "role": role,
        "brief": f"do {tid}",
        "files": files,
        "acceptance": "tests pass",
        "depends_on": depends_on or [],
    }


GOOD = [task("core", ["csv_export.py"]), task("tests", ["tests/"], ["core"], "testing")]


def test_a_good_plan_passes_and_orders_dependencies_first() -> None:
    good = plan(*GOOD, task("docs", ["docs/csv.md"], ["core"], "docs"))
    validate_plan(good)
    assert good.levels() == [["core"], ["tests", "docs"]]
    assert good.order() == ["core", "tests", "docs"]


def test_a_cycle_is_refused_naming_its_path() -> None:
    bad = plan(task("a", ["a.py"], ["b"]), task("b", ["b.py"], ["c"]), task("c", ["c.py"], ["a"]))
    with pytest.raises(PlanRefused, match="dependency cycle: a → b → c → a"):
        validate_plan(bad)


def test_an_unknown_dependency_is_refused() -> None:
    with pytest.raises(PlanRefused, match="depends on 'api', which is not a task of the plan"):
        validate_plan(plan(task("core", ["x.py"]), task("ui", ["y.py"], ["api"])))


def test_a_task_depending_on_itself_is_refused() -> None:
    with pytest.raises(PlanRefused, match="task core depends on itself"):
        validate_plan(plan(task("core", ["x.py"], ["core"]), task("ui", ["y.py"])))


def test_overlapping_write_scopes_are_refused_unless_shared() -> None:
    overlapping = [task("core", ["src/"]), task("cli", ["src/cli.py"])]
    with pytest.raises(PlanRefused, match="both write src/cli.py, which the plan does not mark as shared"):
        validate_plan(plan(*overlapping))
    validate_plan(plan(*overlapping, shared=["src/cli.py"]))


def test_more_tasks_than_agents_is_refused() -> None:
    many = [task(f"t{i}", [f"f{i}.py"]) for i in range(5)]
    with pytest.raises(PlanRefused, match="5 tasks but at most 4 agents"):
        validate_plan(plan(*many), max_agents=4)


def test_a_single_task_is_not_a_sprint() -> None:
    with pytest.raises(PlanRefused, match="at least 2 tasks"):
        validate_plan(plan(task("core", ["x.py"])))


def test_a_role_outside_the_allowed_ones_is_refused() -> None:
    with pytest.raises(PlanRefused, match="role 'testing', which is not one of the allowed roles"):
        validate_plan(plan(*GOOD), roles=["backend", "docs"])


def test_duplicate_and_reserved_ids_are_refused() -> None:
    with pytest.raises(PlanRefused, match="given more than once: core"):
        validate_plan(plan(task("core", ["a.py"]), task("core", ["b.py"])))
    with pytest.raises(PlanRefused, match="'contracts' is reserved"):
        validate_plan(plan(task("contracts", ["a.py"]), task("core", ["b.py"])))


def test_a_reply_missing_fields_is_refused_with_the_field() -> None:
    with pytest.raises(PlanRefused, match=r"tasks\.0\.files"):
        parse_plan({"feature": "x", "tasks": [{"id": "a", "role": "r", "brief": "b", "acceptance": "c"}]})


@pytest.mark.parametrize("feature", ["", "   ", "make it better", "improve stuff", "fix"])
def test_an_empty_or_vague_feature_is_refused(feature: str) -> None:
    with pytest.raises(PlanRefused, match="empty|too vague"):
        check_feature(feature)


async def test_an_invalid_reply_is_asked_again_once_with_the_reason(tmp_path: Path) -> None:
    good = {"feature": "Add a CSV export", "tasks": GOOD}
    bad = {"feature": "Add a CSV export", "tasks": [task("a", ["a.py"], ["b"]), task("b", ["b.py"], ["a"])]}
    model = ScriptedModel([Turn(text=json.dumps(bad)), Turn(text="```json\n" + json.dumps(good) + "\n```")])
    result = await plan_sprint(model, "Add a CSV export with tests", tmp_path, max_agents=4)
    assert [t.id for t in result.tasks] == ["core", "tests"]
    assert "That plan was refused: dependency cycle" in model.requests[1][-1]["content"]


async def test_two_invalid_replies_end_in_a_clear_error(tmp_path: Path) -> None:
    model = ScriptedModel([Turn(text="not json"), Turn(text='{"feature": "x", "tasks": []}')])
    with pytest.raises(PlanRefused, match="refused twice: first the reply is not JSON.*at least 2 tasks"):
        await plan_sprint(model, "Add a CSV export with tests", tmp_path, max_agents=4)


async def test_a_planner_refusal_reaches_the_user_without_a_second_ask(tmp_path: Path) -> None:
    model = ScriptedModel([Turn(text='{"refused": "which export? name the format"}')])
    with pytest.raises(FeatureRefused, match="which export"):
        await plan_sprint(model, "Add the export thing somewhere", tmp_path, max_agents=4)
    assert len(model.requests) == 1


def test_a_task_may_publish_only_files_of_its_own_scope() -> None:
    core = task("core", ["src/"])
    core["publishes"] = ["schema.json"]
    with pytest.raises(PlanRefused, match="core publishes schema.json, which is outside the files it writes"):
        validate_plan(plan(core, task("ui", ["ui.py"], ["core"])))
    core["publishes"] = ["src/schema.json"]
    validate_plan(plan(core, task("ui", ["ui.py"], ["core"])))
