"""The judge ranks the attempts of one group side by side: every diff and test result in one request.

The reply is a JSON object naming every attempt once, best first, with one reason each.
A reply that cannot be used is answered once with what was wrong; a second bad reply (or
an error, or a timeout) gives the order by test results instead, and the ranking says so.
Ranking never raises: the result is always an `AttemptRanking`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, ValidationError

from agentdeck.events import AttemptRanking, ChangeStats, RankedAttempt, TestsResult
from agentdeck.llm.types import Message, ModelClient
from agentdeck.runtime.judge import first_json_object
from agentdeck.text import one_line

# The demo model recognises a ranking request by this heading (agentdeck/llm/demo.py).
RANKING_HEADING = "# Ranking request for the judge"

SYSTEM_PROMPT = """\
You are the judge: a careful code reviewer with fresh context. Several agents did the same task
independently, each in its own branch; you wrote none of them. Compare the attempts side by side
and rank them, best first: which one would you merge? Weigh correctness, the test results (they
come from running the project's tests: trust them over any claim in a diff), scope and how easy
the change is to review.

Answer with exactly one JSON object and nothing else, naming every attempt once:
{"ranking": [{"id": "<attempt id>", "reason": "one sentence: why it has this place"}]}"""

# Best first when the judge cannot say: green tests, then untested, then failing ones.
_TESTS_ORDER = {"passed": 0, "not_configured": 1, "skipped": 1, "failed": 2, "timeout": 2, "error": 2}


@dataclass
class AttemptView:
    """What the judge sees of one attempt."""

    task_id: str
    model: str
    tests: TestsResult | None
    stats: ChangeStats
    diff: str
    diff_cut: bool = False
    # The attempt's own verdict, one line ("" when it was not judged).
    verdict: str = ""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    reason: str = ""


class _Reply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ranking: list[_Entry]


def build_messages(task: str, attempts: list[AttemptView]) -> list[Message]:
    """The whole comparison in one request: the task, then each attempt's test result and diff."""
    parts = [f"{RANKING_HEADING}\n\n## Task\n{task.strip()}\n"]
    for view in attempts:
        stats = view.stats
        cut = " (cut: judge what you see)" if view.diff_cut else ""
        verdict = f"\nIts own review: {view.verdict}" if view.verdict else ""
        parts.append(
            f"## Attempt {view.task_id}\nModel: {view.model}\nTest result: {_tests_line(view.tests)}{verdict}\n"
            f"Diff ({stats.files_changed} files, +{stats.insertions} −{stats.deletions}){cut}:\n"
            f"```diff\n{view.diff}```\n"
        )
    ids = ", ".join(view.task_id for view in attempts)
    parts.append(f"Rank all {len(attempts)} attempts ({ids}), best first.")
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n".join(parts)}]


def parse_ranking(text: str, ids: list[str]) -> list[RankedAttempt] | str:
    """The judge's order, or what is wrong with its reply (in words the judge can act on)."""
    data = first_json_object(text)
    if data is None:
        return f"the reply held no JSON object: {one_line(text, 120) or '(empty)'}"
    try:
        reply = _Reply.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "reply"
        return f"the ranking was malformed: {where}: {problem['msg']}"
    named = [entry.id.strip() for entry in reply.ranking]
    unknown = [name for name in named if name not in ids]
    if unknown:
        return (
            f"it names attempts that do not exist: {', '.join(unknown)} (the attempts are {', '.join(ids)})"
        )
    twice = sorted({name for name in named if named.count(name) > 1})
    if twice:
        return f"it names {', '.join(twice)} more than once"
    missing = [task_id for task_id in ids if task_id not in named]
    if missing:
        return f"it leaves out {', '.join(missing)}: rank every attempt"
    return [
        RankedAttempt(task_id=entry.id.strip(), reason=one_line(entry.reason, 300) or "no reason given")
        for entry in reply.ranking
    ]


def order_by_tests(attempts: list[AttemptView]) -> list[RankedAttempt]:
    """The fallback order: green tests first, more of them passing, then the smaller change."""

    def key(view: AttemptView) -> tuple[int, int, int]:
        status = view.tests.status if view.tests else "not_configured"
        passed = (view.tests.passed or 0) if view.tests else 0
        return (_TESTS_ORDER.get(status, 1), -passed, view.stats.insertions + view.stats.deletions)

    return [
        RankedAttempt(
            task_id=view.task_id,
            reason=f"tests {_tests_line(view.tests)}; +{view.stats.insertions} −{view.stats.deletions}",
        )
        for view in sorted(attempts, key=key)
    ]


async def rank_attempts(
    client: ModelClient, group: str, task: str, attempts: list[AttemptView], timeout_s: float
) -> AttemptRanking:
    """Ask the judge for its order (re-asked once after a bad reply); by test results when it fails."""
    ranking = AttemptRanking(attempt_group=group, order=[], judge_model=client.model)
    ids = [view.task_id for view in attempts]
    messages = build_messages(task, attempts)
    problem = ""
    for turn_number in (1, 2):
        try:
            turn = await asyncio.wait_for(client.stream_turn(messages, [], lambda _text: None), timeout_s)
        except TimeoutError:
            problem = f"the judge did not answer within {timeout_s:g} s"
            break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a provider error must not leave the group unranked
            problem = f"the judge model failed: {' '.join(str(exc).split()) or type(exc).__name__}"
            break
        ranking.prompt_tokens += turn.usage.prompt_tokens
        ranking.completion_tokens += turn.usage.completion_tokens
        ranking.cost_usd += turn.usage.cost_usd or 0.0
        parsed = parse_ranking(turn.text, ids)
        if not isinstance(parsed, str):
            ranking.order = parsed
            return ranking
        problem = parsed
        if turn_number == 1:
            messages = [
                *messages,
                {"role": "assistant", "content": turn.text},
                {
                    "role": "user",
                    "content": f"Your reply could not be used: {parsed}. Answer again with only the JSON "
                    f'object {{"ranking": [{{"id": ..., "reason": ...}}]}}, naming each of {", ".join(ids)} once.',
                },
            ]
    ranking.order = order_by_tests(attempts)
    ranking.fallback = f"ordered by test results: the judge's ranking could not be used ({problem})"
    return ranking


def _tests_line(tests: TestsResult | None) -> str:
    if tests is None:
        return "not run (verification is off)"
    if tests.status in ("not_configured", "skipped"):
        return f"not run: {tests.message}"
    return f"{tests.status} — {tests.message}" if tests.message else tests.status


def describe_order(ranking: AttemptRanking) -> str:
    """'a-1 > a-3 > a-2' for logs."""
    return " > ".join(entry.task_id for entry in ranking.order) or "nothing to rank"
