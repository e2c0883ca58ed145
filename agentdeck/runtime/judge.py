"""The judge: a model with fresh context reads the task, the plan, the diff and the test result and returns a verdict.

The verdict is a JSON object parsed with pydantic. Whatever the model answers — prose,
broken JSON, an unknown decision, an error or a timeout — the result is a `Verdict`;
one that could not be used has kind `judge_failed` and says why. The judge never crashes
verification.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentdeck.events import ChangeStats, Finding, TestsResult, Verdict
from agentdeck.llm.types import Message, ModelClient
from agentdeck.text import one_line

# The demo model recognises a judge request by this heading (agentdeck/llm/demo.py).
JUDGE_HEADING = "# Review request for the judge"

SYSTEM_PROMPT = """\
You are the judge: a careful code reviewer with fresh context. Another agent wrote the change
below; you did not. Judge it on its merits: does it do the task, is it correct, is it tested,
does it stay in scope? The test result comes from running the project's tests; trust it over
any claim in the diff.

Answer with exactly one JSON object and nothing else:
{"decision": "approve" | "request_changes" | "reject",
 "summary": "two or three sentences for the person who decides",
 "findings": [{"file": "path/in/repo", "line": 12, "severity": "info" | "minor" | "major" | "blocker",
               "message": "what is wrong or worth knowing, and what to do"}]}

approve: ready to merge as it is (findings may still note small things).
request_changes: the approach is right but something must be fixed first.
reject: the change is wrong, harmful, or does not address the task.
Give `line` as the line number in the new version of the file, where you have one."""

_DECISIONS = {
    "approve": "approve",
    "approved": "approve",
    "accept": "approve",
    "request_changes": "request_changes",
    "changes_requested": "request_changes",
    "request_change": "request_changes",
    "reject": "reject",
    "rejected": "reject",
}
# Name fragments that tell a model's family whatever the provider prefix says
# ("openai/qwen2.5-coder" on a local server is a Qwen model).
_FAMILIES = {
    "claude": "anthropic",
    "anthropic": "anthropic",
    "gpt": "openai",
    "o1": "openai",
    "o3": "openai",
    "o4": "openai",
    "gemini": "google",
    "gemma": "google",
    "llama": "meta",
    "qwen": "qwen",
    "mistral": "mistral",
    "codestral": "mistral",
    "devstral": "mistral",
    "deepseek": "deepseek",
    "grok": "xai",
    "command": "cohere",
    "phi": "microsoft",
    "kimi": "moonshot",
    "glm": "zhipu",
    "demo": "demo",
}


class _JudgeReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    decision: str
    summary: str = ""
    findings: list[Finding] = Field(default_factory=list[Finding])

    @field_validator("decision")
    @classmethod
    def _known_decision(cls, value: str) -> str:
        key = re.sub(r"[\s-]+", "_", value.strip().lower())
        if key not in _DECISIONS:
            raise ValueError(f"decision must be approve, request_changes or reject, not {value!r}")
        return _DECISIONS[key]

    @field_validator("findings", mode="before")
    @classmethod
    def _lenient_findings(cls, value: Any) -> Any:
        # Models add keys of their own and give lines as strings; keep what we understand.
        if not isinstance(value, list):
            return value
        cleaned: list[object] = []
        # Parsed JSON: its items and an object's values can be anything, checked below.
        for item in cast("list[object]", value):
            if isinstance(item, str):
                item = {"message": item}
            if isinstance(item, dict):
                fields = cast("dict[str, object]", item)  # a JSON object: its keys are strings
                kept = {k: v for k, v in fields.items() if k in ("file", "line", "severity", "message")}
                line = kept.get("line")
                if isinstance(line, str):
                    digits = re.match(r"\d+", line)
                    kept["line"] = int(digits.group()) if digits else None
                if kept.get("severity") not in (None, "info", "minor", "major", "blocker"):
                    kept.pop("severity")
                item = kept
            cleaned.append(item)
        return cleaned


def model_family(model: str) -> str:
    """A model's family: from its name where we know it ("claude" → anthropic), else its provider prefix."""
    name = model.lower()
    leaf = name.rsplit("/", 1)[-1]
    for fragment, family in _FAMILIES.items():
        if re.match(rf"{fragment}(?![a-z])", leaf) or re.search(rf"(?<![a-z]){fragment}(?![a-z])", leaf):
            return family
    return name.split("/", 1)[0] if "/" in name else name


def same_family_warning(judge_model: str, executor_model: str) -> str:
    """Why the verdict deserves less trust when the judge and the executor are of one family ("" otherwise)."""
    family = model_family(judge_model)
    if family != model_family(executor_model):
        return ""
    if family == "demo":
        return (
            "the demo model judged the demo model's work: the same family (set judge.model to judge for real)"
        )
    return (
        f"the judge ({judge_model}) is of the executor's family ({executor_model}, {family}): models tend to "
        "approve their own kind of work; set judge.model to another family"
    )


def build_messages(
    task: str,
    plan: str | None,
    diff_text: str,
    diff_cut: bool,
    diff_total: int,
    tests: TestsResult,
    stats: ChangeStats,
) -> list[Message]:
    """The judge's whole context: the task, the plan, the test result and the (capped) diff."""
    if tests.status in ("not_configured", "skipped"):
        test_section = f"Not run: {tests.message}"
    else:
        test_section = f"`{tests.command}`: {tests.status} — {tests.message}\n\nLast lines of its output:\n```\n{tests.output_tail}\n```"
    cut_note = (
        f"\n(The diff was cut at {len(diff_text):,} of {diff_total:,} characters: judge what you see and say "
        "that the rest was not reviewed.)"
        if diff_cut
        else ""
    )
    user = (
        f"{JUDGE_HEADING}\n\n## Task\n{task.strip()}\n\n## Plan\n{(plan or 'No plan was written.').strip()}\n\n"
        f"## Test result\n{test_section}\n\n"
        f"## Diff ({stats.files_changed} files, +{stats.insertions} −{stats.deletions}){cut_note}\n```diff\n{diff_text}```\n"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def parse_verdict(text: str, model: str | None = None) -> Verdict:
    """The judge's reply as a Verdict; kind `judge_failed` with the reason when it is not a usable verdict."""
    data = first_json_object(text)
    if data is None:
        return Verdict(
            kind="judge_failed",
            model=model,
            reason=f"the judge's reply held no JSON object: {_excerpt(text)}",
        )
    try:
        reply = _JudgeReply.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "reply"
        return Verdict(
            kind="judge_failed",
            model=model,
            reason=f"the judge's verdict was malformed: {where}: {problem['msg']}",
        )
    return Verdict(kind=reply.decision, summary=reply.summary.strip(), findings=reply.findings, model=model)  # type: ignore[arg-type]


async def ask_judge(client: ModelClient, messages: list[Message], timeout_s: float) -> Verdict:
    """One turn of the judge model, parsed; failures become a `judge_failed` verdict."""
    try:
        turn = await asyncio.wait_for(client.stream_turn(messages, [], lambda _text: None), timeout_s)
    except TimeoutError:
        return Verdict(
            kind="judge_failed", model=client.model, reason=f"the judge did not answer within {timeout_s:g} s"
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a provider error must not take verification down
        message = " ".join(str(exc).split()) or type(exc).__name__
        return Verdict(kind="judge_failed", model=client.model, reason=f"the judge model failed: {message}")
    verdict = parse_verdict(turn.text, client.model)
    verdict.prompt_tokens = turn.usage.prompt_tokens
    verdict.completion_tokens = turn.usage.completion_tokens
    verdict.cost_usd = turn.usage.cost_usd or 0.0
    return verdict


def first_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text`: the whole reply, a fenced block, or the outermost braces."""
    candidates = [text.strip()]
    candidates += re.findall(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.DOTALL)
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            return cast("dict[str, Any]", data)  # a JSON object: its keys are strings
    return None


def _excerpt(text: str, width: int = 120) -> str:
    line = one_line(text, width)
    return repr(line) if line else "(empty)"
