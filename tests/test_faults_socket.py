"""The daemon's Unix socket under hostile input: fuzzed frames, bad lines, other users.

A real daemon in a real repository on the demo model. The fuzz is seeded: a failure prints
its seed and the frame, and `AGENTDECK_FUZZ_SEED=<seed>` replays it. The test sends
`FUZZ_FRAMES` frames (2,000: ~20 s is the suite's budget for it on 2 shared cores); the
full 10,000 run on demand: `python -m tests.benchmarks.soak_socket`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import stat
import tempfile
from pathlib import Path

import pytest

from agentdeck.api import GetStatus
from agentdeck.server import protocol
from agentdeck.server.launcher import daemon_pid, open_connection
from agentdeck.task_limits import PRIORITY_LIMIT
from tests.support.cli import run_cli
from tests.support.git_repos import make_repo
from tests.support.good_client import GoodClient, crash_lines
from tests.support.session import attach, kill_daemon, paths_of
from tests.support.socket_fuzzer import SocketFuzzer

FUZZ_SEED = int(os.environ.get("AGENTDECK_FUZZ_SEED", "1616"))
FUZZ_FRAMES = int(os.environ.get("AGENTDECK_FUZZ_FRAMES", "2000"))


@pytest.fixture
def session_repo(repo: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
    yield repo
    kill_daemon(repo)


async def test_hostile_frames_get_error_replies_and_a_good_client_never_notices(session_repo: Path) -> None:
    paths = paths_of(session_repo)
    good = await GoodClient.attach(session_repo)
    await good.enqueue("take notes before the fuzz")
    good.start_polling()

    async def midway(index: int) -> None:
        if index == FUZZ_FRAMES // 2:
            await good.enqueue("take notes during the fuzz")

    fuzzer = SocketFuzzer(paths, FUZZ_SEED)
    try:
        report = await asyncio.wait_for(fuzzer.run(FUZZ_FRAMES, midway), 120)
    finally:
        await good.stop_polling()
    print(f"\n{report.summary()}")
    assert report.problems == [], f"seed {FUZZ_SEED}:\n" + "\n".join(report.problems[:20])
    assert report.error_replies > FUZZ_FRAMES // 2 and report.closed_connections > 0
    assert daemon_pid(paths) == good.pid, "the daemon died under the fuzz"
    assert crash_lines(paths.log) == [], f"seed {FUZZ_SEED}: the daemon logged errors"
    assert good.problems == [] and good.statuses_ok > 0

    # After the fuzz: the same client, the same daemon, events still flowing, status right.
    await good.enqueue("take notes after the fuzz")
    for task_id in good.tasks:
        await good.wait_ended(task_id)
    assert good.stream_problems() == []
    assert await good.final_status_problems() == []
    assert crash_lines(paths.log) == []
    await good.close()


# (line, the id its reply must carry, what the reply must say)
BAD_LINES = [
    (b"[1, 2]", None, "not a JSON object but an array"),
    (b'{"id": 1', None, "not a JSON line"),
    (b'{"id": 1, "command": {"type": "status", "x": NaN}}', None, "NaN is not JSON"),
    (b"\xff\xfe{}", None, "the line is not UTF-8 text"),
    (b"[" * 100_000, None, "nested too deeply"),
    (b'{"id": 2, "command": {"type": "cancel", "agent_id": "\\ud800"}}', None, "unpaired UTF-16 surrogate"),
    (
        b'{"id": 3, "command": {"type": "shutdown"}}',
        3,
        "unknown command 'shutdown'; the commands are: enqueue,",
    ),
    (
        b'{"id": 4, "command": {"type": "enqueue", "task": 5}}',
        4,
        "bad enqueue command: task: input should be a valid string (got 5)",
    ),
    (
        b'{"id": 5, "command": {"type": "enqueue", "task": "x", "priority": 1000000000000000000000000000000}}',
        5,
        "bad enqueue command: priority: input should be less than or equal to 1000000",
    ),
    (b'{"id": 6}', 6, 'the request has no "command"'),
    (b'{"id": "seven", "command": "status"}', "seven", '"command" must be a JSON object, not a string'),
    (
        b'{"id": [8], "command": {"type": "status"}}',
        None,
        "the request id must be a whole number or a string",
    ),
]


async def test_each_kind_of_bad_line_gets_a_reply_saying_what_was_wrong_and_nothing_is_queued(
    session_repo: Path,
) -> None:
    good = await attach(session_repo)
    reader, writer = await open_connection(paths_of(session_repo))
    writer.write(protocol.encode(protocol.hello()))
    assert json.loads(await reader.readline())["type"] == "welcome"
    for line, request_id, expected in BAD_LINES:
        writer.write(line + b"\n")
        reply = json.loads(await asyncio.wait_for(reader.readline(), 10))
        assert reply["type"] == "reply" and reply["ok"] is False and reply["code"] == "usage", reply
        assert expected in reply["error"], (line[:60], reply["error"])
        assert reply["id"] == request_id, (line[:60], reply)
    # The connection that got all that still works, and not one of those lines queued a task.
    writer.write(protocol.encode({"id": 9, "command": {"type": "status"}}))
    status = json.loads(await asyncio.wait_for(reader.readline(), 10))
    assert status["ok"] and status["id"] == 9 and status["result"]["tasks"] == []
    writer.close()

    # Over the frame limit: an error line that says so, then that connection (only) is closed.
    reader, writer = await open_connection(paths_of(session_repo))
    writer.write(protocol.encode(protocol.hello()))
    await reader.readline()
    writer.write(
        b'{"id": 10, "command": {"type": "enqueue", "task": "' + b"x" * protocol.FRAME_LIMIT + b'"}}\n'
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    refusal = json.loads(await asyncio.wait_for(reader.readline(), 10))
    assert refusal == {"type": "error", "error": protocol.too_large()}
    assert "1 MiB" in refusal["error"]
    assert await asyncio.wait_for(reader.readline(), 10) == b""
    writer.close()
    assert (await good.execute(GetStatus())).tasks == []
    assert crash_lines(paths_of(session_repo).log) == []
    await good.close()


def test_the_cli_refuses_a_priority_the_store_cannot_hold(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "queue", "add", "--priority", str(10**30), "x", cwd=repo)
    assert result.returncode == 2
    assert f"a priority is between -{PRIORITY_LIMIT:,} and {PRIORITY_LIMIT:,}" in result.stderr
    assert not paths_of(repo).dir.exists() or daemon_pid(paths_of(repo)) is None  # refused before any daemon


NOBODY = 65534


def connect_as_another_user(socket_path: str, uid: int = NOBODY) -> str:
    """What a process of another user gets when it connects to `socket_path` (forked, then setuid)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        outcome = "the child failed before connecting"
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            probe.settimeout(5)
            try:
                probe.connect(socket_path)
                outcome = "connected"
            except PermissionError:
                outcome = "PermissionError"
            except OSError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
        finally:
            with contextlib.suppress(OSError):
                os.write(write_end, outcome.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()  # ends when the child exits: its connect has a 5 s timeout
    os.waitpid(pid, 0)
    return outcome


@pytest.fixture
def reachable_repo(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A repository any user can reach up to its .git (pytest's own tmp dirs are 0700 and would hide ours)."""
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
    top = Path(tempfile.mkdtemp(prefix="agentdeck-perm-"))
    top.chmod(0o755)
    repo = make_repo(top / "repo")
    yield repo
    kill_daemon(repo)
    shutil.rmtree(top, ignore_errors=True)


def start_daemon(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "status", cwd=repo)
    assert result.returncode == 0, result.stderr


def test_the_socket_and_its_directory_are_private_even_when_made_loose_before(
    reachable_repo: Path, agentdeck_cmd
) -> None:
    paths = paths_of(reachable_repo)
    paths.dir.mkdir(mode=0o755)  # as an older agentdeck (or another tool) left it
    paths.dir.chmod(0o755)
    start_daemon(reachable_repo, agentdeck_cmd)
    assert stat.S_IMODE(paths.dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.socket.stat().st_mode) == 0o600
    assert paths.socket.stat().st_uid == os.getuid() == paths.dir.stat().st_uid


@pytest.mark.skipif(
    os.geteuid() != 0,
    reason="needs root to run a process as another user (nobody); the modes are checked by the test above",
)
def test_another_users_process_is_refused_by_permission(reachable_repo: Path, agentdeck_cmd) -> None:
    paths = paths_of(reachable_repo)
    start_daemon(reachable_repo, agentdeck_cmd)
    socket_path = str(paths.socket)
    assert len(socket_path) < 100  # a plain path: /proc/self/fd/N would be refused for another reason
    # The other user reaches .git (so what refuses it is ours), but not the session directory...
    assert stat.S_IMODE(paths.dir.parent.stat().st_mode) & 0o005 == 0o005
    assert connect_as_another_user(socket_path) == "PermissionError"
    # ...and were the directory opened up, the socket's own mode (0600) still refuses it.
    paths.dir.chmod(0o711)
    try:
        assert connect_as_another_user(socket_path) == "PermissionError"
        # Control: with both opened up the same child gets in, so the refusals above were the modes.
        paths.socket.chmod(0o666)
        assert connect_as_another_user(socket_path) == "connected"
    finally:
        paths.socket.chmod(0o600)
        paths.dir.chmod(0o700)
    # The owner still gets in, and the daemon is unharmed.
    assert run_cli(agentdeck_cmd, "status", cwd=reachable_repo).returncode == 0
