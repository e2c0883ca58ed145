"""The command vocabulary: every command names its reply model, and a wrong reply is caught."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from agentdeck import api, replies
from agentdeck.server import protocol


def test_every_command_on_the_wire_declares_a_reply_model_of_the_replies_module() -> None:
    union = typing.get_args(typing.get_args(api.AnyCommand)[0])
    assert [model.model_fields["type"].default for model in union] == list(protocol.command_types())
    for command in union:
        assert issubclass(command.reply_type, BaseModel), command
        assert command.reply_type.__module__ == replies.__name__, command


def test_a_command_answered_with_another_commands_reply_is_a_type_error() -> None:
    merge = api.Merge(task_ids=["a"])
    report = replies.MergeReport(merged=False, target="main")
    assert merge.reply(report) is report
    with pytest.raises(TypeError, match="Merge command is answered with MergeReport, not TaskReply"):
        merge.reply(replies.TaskReply(task_id="a"))


def test_a_reply_read_back_from_json_is_the_same_model() -> None:
    status = api.GetStatus()
    sent = replies.Status(pid=1, last_seq=7, foreground_slots=2, background_concurrency=3)
    back = status.parse_reply(sent.model_dump(mode="json"))
    assert isinstance(back, replies.Status) and back == sent


# Stored task fields `status` leaves out: documents the review shows in full (`review ID --json`).
NOT_IN_STATUS = {"plan", "resume", "checks", "stats", "feedback"}


def test_status_shows_every_stored_task_field_but_the_review_documents() -> None:
    from dataclasses import fields

    from agentdeck.runtime.store import TaskRow

    stored = {f.name for f in fields(TaskRow)}
    shown = set(replies.TaskStatus.model_fields)
    assert stored - shown == NOT_IN_STATUS, "a new task column: show it in status, or list it here"
