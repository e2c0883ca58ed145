"""One describer: the logs, `agentdeck run`'s progress and the cockpit's transcript say the same words."""

from __future__ import annotations

import io

from agentdeck.commands.logs import compact_line
from agentdeck.event_text import describe
from agentdeck.events import AgentFailed, AgentWaiting, ModelRetrying, TextDelta
from agentdeck.progress import ProgressPrinter
from agentdeck.tui.cockpit_state import Transcript

IDS = dict(agent_id="fix-a1b2", task_id="fix-a1b2", seq=1, ts=0.0)
EVENTS = [
    AgentWaiting(reason="asks which currency to round in", **IDS),
    ModelRetrying(cause="rate limits (429)", attempt=1, max_retries=3, delay_s=2.0, error="slow down", **IDS),
    AgentFailed(kind="budget", error="step budget of 30 used up", **IDS),
]


def test_each_surface_shows_the_describers_words() -> None:
    for event in EVENTS:
        words = describe(event)
        assert words
        assert compact_line(event) == f"[fix-a1b2] {words}"
        out = io.StringIO()
        ProgressPrinter(out, color=False)(event)
        assert words in out.getvalue()
        transcript = Transcript()
        transcript.apply(event)
        assert transcript.blocks[-1].text == words


def test_streamed_prose_is_not_a_line_of_its_own() -> None:
    assert describe(TextDelta(text="I'll read", **IDS)) is None
    assert compact_line(TextDelta(text="I'll read", **IDS)) is None
