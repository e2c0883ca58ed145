"""The judge: its verdict parsed from a scripted model (good, fenced, malformed), model families, the demo judge."""

from __future__ import annotations

import json

import pytest

from agentdeck.events import ChangeStats, TestsResult
from agentdeck.llm.demo import DemoModel
from agentdeck.runtime.judge import (
    JUDGE_HEADING,
    ask_judge,
    build_messages,
    model_family,
    parse_verdict,
    same_family_warning,
)
from tests.support.scripted_model import ScriptedModel, Turn

DIFF = """\
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,2 +1,4 @@
 def greet(name):
-    return f"hello {name}"
+    # TODO: translate
+    return f"hello, {name}"
+
"""
PASSED = TestsResult(
    status="passed", command="pytest -q", message="3 passed in 0.1 s", output_tail="3 passed in 0.1s"
)
FAILED = TestsResult(
    status="failed", command="pytest -q", message="1 failed in 0.1 s", output_tail="FAILED test_x"
)


def messages(tests: TestsResult = PASSED, diff: str = DIFF, cut: bool = False):
    return build_messages(
        "make the greeting friendlier",
        "1. edit greet",
        diff,
        cut,
        len(diff) * 3,
        tests,
        ChangeStats(files_changed=1, insertions=3, deletions=1),
    )


VERDICT = {
    "decision": "request changes",
    "summary": "Nearly there.",
    "findings": [
        {
            "file": "src/app.py",
            "line": "3",
            "severity": "major",
            "message": "the TODO stays",
            "extra": "ignored",
        },
        "a plain remark",
    ],
}


async def test_a_verdict_is_parsed_from_the_judges_json_reply() -> None:
    model = ScriptedModel([Turn(text=json.dumps(VERDICT))])
    verdict = await ask_judge(model, messages(), timeout_s=5)
    assert (
        verdict.kind == "request_changes"
        and verdict.summary == "Nearly there."
        and verdict.model == "scripted"
    )
    assert [(f.file, f.line, f.severity, f.message) for f in verdict.findings] == [
        ("src/app.py", 3, "major", "the TODO stays"),
        (None, None, "minor", "a plain remark"),
    ]
    assert verdict.prompt_tokens == 100 and verdict.completion_tokens == 20
    assert model.tool_names == [[]]  # the judge gets no tools: it only reads


async def test_a_verdict_inside_prose_and_a_code_fence_is_found() -> None:
    text = (
        "Here is my verdict:\n```json\n"
        + json.dumps({"decision": "approve", "summary": "Good."})
        + "\n```\nThanks."
    )
    verdict = await ask_judge(ScriptedModel([Turn(text=text)]), messages(), timeout_s=5)
    assert verdict.kind == "approve" and verdict.findings == []


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("I think it looks fine!", "held no JSON object: 'I think it looks fine!'"),
        ('{"decision": "approve", "summary": "ok", "findings": [{"file": "a.py"', "held no JSON object"),
        (
            '{"decision": "ship it", "summary": "ok"}',
            "decision: Value error, decision must be approve, request_changes or reject, not 'ship it'",
        ),
        ('{"summary": "no decision"}', "malformed: decision: Field required"),
        (
            '{"decision": "approve", "findings": [{"file": "a.py", "line": 3}]}',
            "findings.0.message: Field required",
        ),
        ("", "held no JSON object: (empty)"),
    ],
)
async def test_a_malformed_verdict_is_a_judge_failed_verdict_not_a_crash(reply: str, reason: str) -> None:
    verdict = await ask_judge(ScriptedModel([Turn(text=reply)]), messages(), timeout_s=5)
    assert verdict.kind == "judge_failed" and reason in verdict.reason and verdict.model == "scripted"


async def test_a_failing_or_silent_judge_model_is_a_judge_failed_verdict() -> None:
    class Broken(ScriptedModel):
        async def stream_turn(self, messages, tools, on_text):
            raise RuntimeError("rate limited\nby the provider")

    verdict = await ask_judge(Broken([]), messages(), timeout_s=5)
    assert (
        verdict.kind == "judge_failed"
        and verdict.reason == "the judge model failed: rate limited by the provider"
    )
    silent = await ask_judge(ScriptedModel([Turn(hang=True)]), messages(), timeout_s=0.2)
    assert silent.kind == "judge_failed" and silent.reason == "the judge did not answer within 0.2 s"


def test_the_judge_sees_task_plan_tests_and_diff_and_is_told_when_the_diff_was_cut() -> None:
    system, user = messages(FAILED, cut=True)
    assert system["role"] == "system" and "exactly one JSON object" in system["content"]
    text = user["content"]
    assert text.startswith(JUDGE_HEADING)
    for part in (
        "## Task\nmake the greeting friendlier",
        "## Plan\n1. edit greet",
        "`pytest -q`: failed — 1 failed",
        "FAILED test_x",
        "+    # TODO: translate",
    ):
        assert part in text
    assert f"The diff was cut at {len(DIFF):,} of {len(DIFF) * 3:,} characters" in text


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("anthropic/claude-sonnet-4-5", "anthropic"),
        ("claude-3-5-haiku-latest", "anthropic"),
        ("openai/gpt-4o", "openai"),
        ("o3-mini", "openai"),
        ("openai/qwen2.5-coder", "qwen"),  # a local server speaking the OpenAI API
        ("ollama/llama3.1", "meta"),
        ("openrouter/deepseek/deepseek-chat", "deepseek"),
        ("somehost/unknown-model", "somehost"),
        ("demo", "demo"),
    ],
)
def test_model_family_looks_past_the_provider_prefix(model: str, family: str) -> None:
    assert model_family(model) == family


def test_a_judge_of_the_executors_family_is_warned_about() -> None:
    assert same_family_warning("openai/gpt-4o", "anthropic/claude-sonnet-4-5") == ""
    assert "executor's family" in same_family_warning("anthropic/claude-opus-4", "claude-sonnet-4-5")
    assert "the demo model judged the demo model's work" in same_family_warning("demo", "demo")


async def test_the_demo_model_judges_with_findings_at_real_lines_of_the_diff() -> None:
    demo = DemoModel(tokens_per_second=0)
    approve = await ask_judge(demo, messages(), timeout_s=5)
    assert approve.kind == "approve" and "offline demo judge" in approve.summary
    assert [(f.file, f.line, f.severity) for f in approve.findings] == [
        ("src/app.py", 2, "minor"),
        ("src/app.py", 2, "info"),
    ]
    changes = await ask_judge(demo, messages(FAILED), timeout_s=5)
    assert changes.kind == "request_changes" and changes.findings[0].message == "the project's tests failed"
    nothing = await ask_judge(demo, messages(diff=""), timeout_s=5)
    assert nothing.kind == "reject"


def test_parse_verdict_accepts_synonyms_of_the_decisions() -> None:
    assert parse_verdict('{"decision": "Approved"}').kind == "approve"
    assert parse_verdict('{"decision": "changes-requested"}').kind == "request_changes"
    assert parse_verdict('{"decision": "REJECT", "findings": []}').kind == "reject"
