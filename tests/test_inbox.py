"""Inbox files: front matter and body, and the reasons a file is refused."""

from __future__ import annotations

import pytest

from agentdeck.runtime.inbox import InboxError, parse_inbox_text


def test_front_matter_and_body() -> None:
    item = parse_inbox_text(
        "---\npriority: 2\nafter: setup-db-1a2b\nmodel: 'demo'\n---\n\nMigrate the users table.\n"
    )
    assert (item.task, item.priority, item.after, item.model) == (
        "Migrate the users table.",
        2,
        "setup-db-1a2b",
        "demo",
    )


def test_a_file_without_front_matter_is_all_task() -> None:
    assert parse_inbox_text("Fix the typo in README.md\n").task == "Fix the typo in README.md"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no task text"),
        ("---\npriority: 1\n---\n", "no task text"),
        ("---\npriority: 1\nDo it\n", "never closed"),
        ("---\nowner: me\n---\nDo it\n", "unknown front matter key 'owner'"),
        ("---\njust words\n---\nDo it\n", "expected `key: value`"),
        ("---\npriority: high\n---\nDo it\n", "priority must be a whole number, got 'high'"),
    ],
)
def test_broken_files_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InboxError, match=reason.replace("(", r"\(")):
        parse_inbox_text(text)
