"""docs/context.md shows exactly what an agent sees: its example is the real loop's first request."""

from __future__ import annotations

from tests.support.context_example import DOC, doc_example, example


def test_the_docs_example_request_is_what_the_loop_sends() -> None:
    shown = doc_example(DOC.read_text(encoding="utf-8"))
    assert shown is not None, "docs/context.md lost its example markers"
    assert shown == example(), (
        "docs/context.md is out of date: run .venv/bin/python -m tests.support.context_example --write"
    )
