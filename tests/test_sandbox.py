"""The `run` tool's sandbox with real bubblewrap, real git worktrees and real processes.

A fake HOME (outside /tmp, so the sandbox shows it read-only rather than hiding it under the
private /tmp) holds a fake ~/.ssh/id_rsa; the tool sees it through $HOME, as an agent would.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from agentdeck.agent.tools import Toolbox, ToolContext
from agentdeck.agent.tools.sandbox import INSTALL_HINT, SandboxPolicy, check_bwrap, resolve_policy
from agentdeck.config import load_settings
from agentdeck.events import AgentStarted, ToolCallFinished
from agentdeck.runtime import task_start
from agentdeck.runtime.bus import EventBus
from agentdeck.workspace import create_task_workspace, open_repository
from tests.support.git_repos import git
from tests.support.scripted_model import ScriptedModel, Turn, call, finish

KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtopsecret\n-----END OPENSSH PRIVATE KEY-----\n"
BWRAP = check_bwrap("bwrap")
needs_bwrap = pytest.mark.skipif(
    not BWRAP.ok, reason=f"bubblewrap cannot confine commands here: {BWRAP.problem}"
)
PY = sys.executable


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch):
    """A fake HOME with a private key, a config file and a project, in /var/tmp (not the sandbox's /tmp)."""
    base = Path(tempfile.mkdtemp(prefix="agentdeck-home-", dir="/var/tmp"))
    (base / ".ssh").mkdir()
    (base / ".ssh" / "id_rsa").write_text(KEY)
    (base / ".netrc").write_text("machine example.com login me password hunter2\n")
    (base / "notes.txt").write_text("my notes\n")
    (base / "project").mkdir()
    (base / "project" / "main.py").write_text("print('hi')\n")
    monkeypatch.setenv("HOME", str(base))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def worktree(repo: Path) -> Path:
    """A task worktree made by agentdeck (under <repo>/.git/agentdeck/worktrees)."""
    return Path(create_task_workspace(open_repository(repo), "sandbox-task").path)


def confined(**kw) -> SandboxPolicy:
    return resolve_policy("bwrap", **kw)


async def run(worktree: Path, command: str, policy: SandboxPolicy, timeout: float = 30.0):
    ctx = ToolContext(worktree=worktree, run_timeout_s=timeout, sandbox=policy)
    return await Toolbox().call(ctx, "run", json.dumps({"command": command}))


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@needs_bwrap
async def test_the_private_key_cannot_be_read(home: Path, worktree: Path) -> None:
    result = await run(worktree, "cat ~/.ssh/id_rsa", confined())
    assert not result.ok and "topsecret" not in result.output and "No such file" in result.output
    assert result.output.splitlines()[0].startswith("exit code")  # confined: no unconfined banner
    listing = await run(worktree, "ls -a ~/.ssh; cat ~/.netrc", confined())
    assert "id_rsa" not in listing.output and "hunter2" not in listing.output
    # The rest of HOME stays readable: the sandbox hides secrets, it does not hide your files.
    readable = await run(worktree, "cat ~/notes.txt", confined())
    assert readable.ok and "my notes" in readable.output


@needs_bwrap
async def test_rm_rf_home_leaves_every_file(home: Path, worktree: Path) -> None:
    before = files_under(home)
    result = await run(worktree, "rm -rf ~ ; rm -rf ~/project ~/.ssh", confined())
    assert not result.ok
    assert "Read-only file system" in result.output or "Device or resource busy" in result.output
    assert "the sandbox refused a write outside the worktree" in result.output
    assert files_under(home) == before


@needs_bwrap
async def test_writes_land_in_the_worktree_and_fail_outside(
    home: Path, worktree: Path, tmp_path: Path
) -> None:
    result = await run(worktree, "echo built > out.txt && mkdir -p build && echo o > build/a.o", confined())
    assert result.ok, result.output
    assert (worktree / "out.txt").read_text() == "built\n" and (worktree / "build" / "a.o").exists()
    outside = await run(worktree, f"echo x > {home}/new.txt", confined())
    assert not outside.ok and "Read-only file system" in outside.output
    assert "the sandbox refused a write" in outside.output
    assert not (home / "new.txt").exists()


@needs_bwrap
async def test_tmp_is_private(home: Path, worktree: Path) -> None:
    marker = Path(tempfile.mkdtemp(prefix="agentdeck-outside-")) / "visible.txt"
    marker.write_text("outside\n")
    try:
        result = await run(
            worktree, f"echo inside > /tmp/from-sandbox.txt; cat {marker}; ls /tmp", confined()
        )
        assert "outside" not in result.output.replace("agentdeck-outside", "")
        assert "from-sandbox.txt" in result.output
        assert not Path("/tmp/from-sandbox.txt").exists()
    finally:
        shutil.rmtree(marker.parent)


@needs_bwrap
async def test_tools_on_the_path_under_tmp_stay_reachable(
    home: Path, worktree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CI checkout (and its venv) often lives under /tmp: the private /tmp must not hide them.
    base = Path(tempfile.mkdtemp(prefix="agentdeck-tools-"))
    try:
        (base / "bin").mkdir()
        (base / "bin" / "hello-tool").write_text("#!/bin/sh\necho hello from the tool\n")
        (base / "bin" / "hello-tool").chmod(0o755)
        (base / "secret.txt").write_text("not a tool\n")
        monkeypatch.setenv("PATH", f"{base / 'bin'}{os.pathsep}{os.environ['PATH']}")
        result = await run(worktree, f"hello-tool; cat {base / 'secret.txt'}", confined())
        assert "hello from the tool" in result.output
        assert "not a tool" not in result.output  # only the PATH's directory, not what is beside it
    finally:
        shutil.rmtree(base)


def _loopback_server() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def accept() -> None:
        try:
            server.accept()[0].close()
        except OSError:
            pass  # closed by the test without a connection: the sandboxed one never arrived

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


CONNECT = (
    PY
    + " -c \"import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5); print('CONNECTED')\""
)


@needs_bwrap
async def test_network_off_reaches_neither_outside_nor_the_hosts_loopback(home: Path, worktree: Path) -> None:
    server, port = _loopback_server()
    try:
        outside = await run(worktree, f"{CONNECT} 1.1.1.1 80", confined())
        assert not outside.ok and "CONNECTED" not in outside.output
        assert "Network is unreachable" in outside.output
        assert 'sandbox.network = "on"' in outside.output  # the hint says how to allow it
        loopback = await run(worktree, f"{CONNECT} 127.0.0.1 {port}", confined())
        assert not loopback.ok and "CONNECTED" not in loopback.output
    finally:
        server.close()


@needs_bwrap
async def test_network_on_shares_the_hosts_network(home: Path, worktree: Path) -> None:
    server, port = _loopback_server()
    try:
        result = await run(worktree, f"{CONNECT} 127.0.0.1 {port}", confined(network=True))
        assert result.ok and "CONNECTED" in result.output, result.output
    finally:
        server.close()


@needs_bwrap
async def test_a_memory_hog_gets_the_memory_limit_error(home: Path, worktree: Path) -> None:
    policy = confined(max_memory_bytes=256 * 1024**2, memory_setting="256MB")
    result = await run(worktree, f"{PY} -c 'x = bytearray(1024 ** 3); print(len(x))'", policy)
    assert not result.ok
    assert "the command hit the memory limit (resources.max_memory_per_agent = 256MB)" in result.output
    small = await run(worktree, f"{PY} -c 'x = bytearray(10 * 1024 ** 2); print(len(x))'", policy)
    assert small.ok and "10485760" in small.output


@needs_bwrap
async def test_secret_environment_variables_are_absent(
    home: Path, worktree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-leak-me")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-leak-me")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-leak-me")
    monkeypatch.setenv("HARMLESS_SETTING", "visible")
    monkeypatch.setenv("PROJECT_API_KEY", "kept-on-purpose")
    result = await run(worktree, "env", confined(keep_env=["PROJECT_API_KEY"]))
    assert result.ok
    for leaked in ("sk-leak-me", "aws-leak-me", "tok-leak-me"):
        assert leaked not in result.output
    assert "HARMLESS_SETTING=visible" in result.output and "PROJECT_API_KEY=kept-on-purpose" in result.output


@needs_bwrap
async def test_git_works_in_the_worktree_but_cannot_move_the_users_branches(
    repo: Path, home: Path, worktree: Path
) -> None:
    (worktree / "README.md").write_text("# Changed\n")
    result = await run(
        worktree, "git status --short && git add README.md && git diff --cached --stat", confined()
    )
    assert result.ok, result.output
    assert "README.md" in result.output and "1 file changed" in result.output
    main_before = git(repo, "rev-parse", "main")
    moved = await run(
        worktree, "git branch -f main HEAD~0 && git update-ref refs/heads/main HEAD", confined()
    )
    assert not moved.ok
    assert git(repo, "rev-parse", "main") == main_before
    # The staged blob reached the repository's object store (agentdeck copied it out).
    staged = git(worktree, "diff", "--cached", "--stat")
    assert "README.md" in staged
    blob = git(worktree, "rev-parse", ":README.md").strip()
    assert git(repo, "cat-file", "-p", blob) == "# Changed\n"


async def test_mode_off_says_unconfined_on_the_first_line(home: Path, worktree: Path) -> None:
    result = await run(worktree, "echo hello", resolve_policy("off"))
    assert result.ok
    assert result.output.splitlines()[0] == "[unconfined: sandbox.mode = off]"


async def test_missing_bwrap_means_unconfined_with_the_install_hint(home: Path, worktree: Path) -> None:
    policy = resolve_policy("bwrap", bwrap="/nonexistent/bin/bwrap")
    assert not policy.confined
    assert "bwrap not found (/nonexistent/bin/bwrap)" in policy.label() and INSTALL_HINT in policy.label()
    result = await run(worktree, "cat ~/.ssh/id_rsa", policy)
    first = result.output.splitlines()[0]
    assert first.startswith("[unconfined: bwrap not found") and "apt-get install bubblewrap" in first


@needs_bwrap
async def test_an_agent_told_to_read_the_key_and_wipe_home_gets_sandbox_errors(
    repo: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted = ScriptedModel(
        [
            Turn("Reading the key.", [call("run", command="cat ~/.ssh/id_rsa")]),
            Turn("Wiping.", [call("run", command="rm -rf ~")]),
            finish("tried"),
        ]
    )
    monkeypatch.setattr(task_start, "client_for", lambda role, settings: scripted)
    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    before = files_under(home)
    started = await task_start.start_task(open_repository(repo), load_settings(repo), "be evil", bus)
    await asyncio.wait_for(started.agent.run(), 30)
    assert [e.sandbox for e in events if isinstance(e, AgentStarted)] == ["sandbox: bwrap, network off"]
    runs = [e for e in events if isinstance(e, ToolCallFinished) and e.name == "run"]
    assert len(runs) == 2 and not any(r.ok for r in runs)
    assert "topsecret" not in runs[0].output
    assert "the sandbox refused a write" in runs[1].output
    assert files_under(home) == before


def _processes_with(marker: str, anywhere: bool = False) -> list[int]:
    """Pids whose command line starts with (or, `anywhere`, contains) `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if (marker in line) if anywhere else line.startswith(marker):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@needs_bwrap
async def test_an_interrupted_confined_command_leaves_no_process(home: Path, worktree: Path) -> None:
    marker = "61.4321"
    task = asyncio.create_task(run(worktree, f"sleep {marker} & sleep {marker}", confined()))
    for _ in range(500):  # bounded: until a sleep exists (inside the sandbox, within milliseconds)
        if _processes_with(f"sleep {marker}"):
            break
        await asyncio.sleep(0.01)
    assert _processes_with(f"sleep {marker}"), "the confined command never started"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(500):  # the pid namespace dies with bwrap; give the kernel a moment to reap
        if not _processes_with(f"sleep {marker}"):
            break
        await asyncio.sleep(0.01)
    assert _processes_with(f"sleep {marker}") == []


@needs_bwrap
async def test_a_command_interrupted_while_bwrap_starts_leaves_no_process(home: Path, worktree: Path) -> None:
    marker = "62.4321"
    task = asyncio.create_task(run(worktree, f"sleep {marker}", confined()))
    for _ in range(500):  # bounded: cancel as soon as bwrap exists, before the command may have started
        if _processes_with(marker, anywhere=True):
            break
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(500):
        if not _processes_with(marker, anywhere=True):
            break
        await asyncio.sleep(0.01)
    assert _processes_with(marker, anywhere=True) == []


@needs_bwrap
async def test_background_jobs_of_a_confined_command_end_with_it(home: Path, worktree: Path) -> None:
    result = await run(worktree, "sleep 63.4321 > /dev/null 2>&1 & echo started", confined())
    assert result.ok and "started" in result.output
    for _ in range(500):
        if not _processes_with("sleep 63.4321"):
            break
        await asyncio.sleep(0.01)
    assert _processes_with("sleep 63.4321") == []


@needs_bwrap
async def test_a_fork_bomb_gets_the_process_limit_error(home: Path, worktree: Path) -> None:
    from agentdeck.agent.tools.cgroups import make_pids_cgroup, remove_cgroup

    probe = make_pids_cgroup(10)
    if os.geteuid() == 0 and probe is None:
        pytest.skip(
            "running as root without a writable pids cgroup: RLIMIT_NPROC does not bind root (docs/sandbox.md)"
        )
    if probe is not None:
        remove_cgroup(probe)
    policy = confined(max_processes=12)
    result = await run(worktree, "for i in $(seq 40); do sleep 5 & done; wait", policy)
    assert not result.ok
    assert "the command hit the process limit (resources.max_processes_per_agent = 12)" in result.output
    assert not list(Path("/sys/fs/cgroup/pids").glob(f"agentdeck-{os.getpid()}-*"))  # cleaned up


@needs_bwrap
async def test_the_session_directory_and_extra_hidden_paths_are_invisible(
    repo: Path, home: Path, worktree: Path
) -> None:
    session_dir = repo / ".git" / "agentdeck"
    (session_dir / "session.db").write_text("the store\n")
    (home / "private").mkdir()
    (home / "private" / "diary.txt").write_text("dear diary\n")
    result = await run(
        worktree,
        f"ls -a {session_dir}; cat {session_dir}/session.db; cat ~/private/diary.txt",
        confined(hide=["~/private"]),
    )
    assert "the store" not in result.output and "dear diary" not in result.output
    listing = await run(worktree, f"ls -a {session_dir}", confined())
    assert listing.ok and "session.db" not in listing.output and "worktrees" in listing.output
    # The worktree inside the hidden session directory is still there, writable.
    assert (await run(worktree, "echo ok > inside.txt", confined())).ok and (worktree / "inside.txt").exists()


def test_a_bad_memory_size_is_a_clear_config_error(repo: Path) -> None:
    from agentdeck.config import ConfigError

    (repo / "agentdeck.toml").write_text('[resources]\nmax_memory_per_agent = "lots"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(repo)
    assert "agentdeck.toml: resources.max_memory_per_agent" in str(caught.value)
    assert '"2GB", "512MB" or "1.5G"' in str(caught.value)
    (repo / "agentdeck.toml").write_text('[resources]\nmax_memory_per_agent = "1.5G"\n')
    assert load_settings(repo).resources.memory_bytes() == int(1.5 * 1024**3)


@needs_bwrap
async def test_a_role_with_network_on_gives_its_agents_the_network(
    repo: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, port = _loopback_server()
    scripted = ScriptedModel(
        [Turn("Connecting.", [call("run", command=f"{CONNECT} 127.0.0.1 {port}")]), finish()]
    )
    monkeypatch.setattr(task_start, "client_for", lambda role, settings: scripted)
    monkeypatch.setenv("AGENTDECK_EXECUTOR__NETWORK", "on")
    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    try:
        started = await task_start.start_task(open_repository(repo), load_settings(repo), "fetch", bus)
        await asyncio.wait_for(started.agent.run(), 30)
    finally:
        server.close()
    assert [e.sandbox for e in events if isinstance(e, AgentStarted)] == ["sandbox: bwrap, network on"]
    [ran] = [e for e in events if isinstance(e, ToolCallFinished) and e.name == "run"]
    assert ran.ok and "CONNECTED" in ran.output
