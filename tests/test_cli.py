"""`agentdeck` as a user runs it: a real subprocess, a real repository, the offline demo model."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from agentdeck.events import (
    AgentFinished,
    AgentStarted,
    SplitTriggered,
    SubAgentFinished,
    SubAgentSpawned,
    parse_event,
)
from agentdeck.workspace.sample_repo import create_sample_repository
from tests.support.cli import run_cli
from tests.support.git_repos import git, make_repo


def test_run_on_the_demo_model_changes_a_file_on_its_own_branch(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "run", "write notes on the project", cwd=repo)

    assert result.returncode == 0, result.stderr
    assert "offline demo model" in result.stderr
    assert "[demo model: offline, no API key]" in result.stdout
    assert re.search(r"✔ finished in \d+ steps", result.stdout)
    branches = git(repo, "branch", "--list", "--format=%(refname:short)", "agentdeck/*").split()
    assert len(branches) == 1
    notes = git(repo, "show", f"{branches[0]}:agentdeck-demo-notes.md")
    assert "Task: write notes on the project" in notes and "- [x] Write these notes" in notes
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / "agentdeck-demo-notes.md").exists()


def test_json_mode_prints_only_events_one_per_line(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "run", "--json", "take notes", cwd=repo)

    assert result.returncode == 0, result.stderr
    events = [parse_event(line) for line in result.stdout.splitlines()]
    assert isinstance(events[0], AgentStarted) and events[0].demo and events[0].model == "demo"
    assert isinstance(events[-1], AgentFinished) and events[-1].files_changed == 1
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    kinds = {json.loads(line)["type"] for line in result.stdout.splitlines()}
    assert {"text_delta", "tool_call_started", "tool_call_finished", "checkpointed", "context_usage"} <= kinds


def test_near_max_steps_the_agent_is_told_to_wrap_up_and_finishes_with_what_it_has(
    repo: Path, agentdeck_cmd
) -> None:
    # A model that ignores the note is stopped by the budget (exit 1): test_agent_loop covers that.
    result = run_cli(agentdeck_cmd, "run", "--max-steps", "3", "take notes", cwd=repo)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "My budget is nearly spent, so I am finishing with what I have. Done: list ×1." in result.stdout


def test_not_a_git_repository_is_a_one_line_error_with_status_2(tmp_path: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "run", "anything", cwd=tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agentdeck: error: ")
    assert "is not inside a git repository" in lines[0] and "git init" in lines[0]
    assert "Traceback" not in result.stderr


def test_repository_without_commits_is_a_clear_error(tmp_path: Path, agentdeck_cmd) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = run_cli(agentdeck_cmd, "run", "anything", cwd=tmp_path)

    assert result.returncode == 2
    assert "no commits yet" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_config_names_file_key_and_fix_with_status_2(repo: Path, agentdeck_cmd) -> None:
    (repo / "agentdeck.toml").write_text("[budgets]\nmax_steps = 0\n")
    result = run_cli(agentdeck_cmd, "run", "anything", cwd=repo)

    assert result.returncode == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert str(repo / "agentdeck.toml") in line and "budgets.max_steps" in line and "greater than 0" in line


def test_uncommitted_changes_are_left_alone_and_the_user_is_told(repo: Path, agentdeck_cmd) -> None:
    (repo / "README.md").write_text("my unsaved work\n")
    (repo / "scratch.txt").write_text("untracked\n")
    before = git(repo, "status", "--porcelain")
    result = run_cli(agentdeck_cmd, "run", "take notes", cwd=repo)

    assert result.returncode == 0, result.stderr
    assert "uncommitted changes" in result.stderr and "starts from HEAD" in result.stderr
    assert git(repo, "status", "--porcelain") == before
    assert (repo / "README.md").read_text() == "my unsaved work\n"


def test_ctrl_c_interrupts_keeps_the_worktree_and_exits_130(repo: Path, agentdeck_cmd) -> None:
    # A slow pace, so the agent is surely mid-stream when the signal arrives.
    process = subprocess.Popen(
        [*agentdeck_cmd, "run", "--json", "take notes"],
        cwd=repo,
        env={**os.environ, "AGENTDECK_DEMO__TOKENS_PER_SECOND": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = parse_event(process.stdout.readline())
    assert isinstance(first, AgentStarted)
    process.stdout.readline()  # the first streamed fragment: the agent is working
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)

    assert process.returncode == 130
    assert f"its work is kept on branch {first.branch} in {first.worktree}" in err
    assert '"type":"agent_waiting"' in out
    assert Path(first.worktree).is_dir()
    assert git(repo, "branch", "--list", first.branch).strip()


def test_help_is_fast_and_loads_no_heavy_module(tmp_path: Path) -> None:
    probe = (
        "import sys, time\n"
        "from agentdeck.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('asyncio', 'litellm', 'pygit2', 'pydantic', 'textual', 'rich') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert "usage: agentdeck" in result.stdout
    assert "HEAVY=\n" in result.stdout


COCKPIT_COMMAND_LINES = (
    ["attach"],
    ["attach", "-C", "/tmp/project"],
    ["demo"],
    ["demo", "--path", "/tmp/d", "--json"],
    ["demo", "--plain"],
)


def test_a_cockpit_command_parses_alike_with_its_own_module_or_the_whole_command_line() -> None:
    from agentdeck.cli import COCKPIT_COMMANDS, build_parser

    whole = build_parser()
    for argv in COCKPIT_COMMAND_LINES:
        own = build_parser([COCKPIT_COMMANDS[argv[0]]])
        assert vars(own.parse_args(argv)) == vars(whole.parse_args(argv))
        assert own.format_usage() == whole.format_usage()


def test_opening_the_cockpit_imports_no_other_command_module(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from agentdeck.cli import main\n"
        "for argv in (['attach', '--help'], ['demo', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('agentdeck.commands.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout.strip().splitlines()[-1] == (
        "['agentdeck.commands.cockpit', 'agentdeck.commands.demo', 'agentdeck.commands.exit_status']"
    )


def test_run_help_explains_and_shows_examples(agentdeck_cmd, tmp_path: Path) -> None:
    result = run_cli(agentdeck_cmd, "run", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "examples:" in result.stdout and "--api-base" in result.stdout and "Exit status" in result.stdout


def test_no_command_prints_help_with_status_2(agentdeck_cmd, tmp_path: Path) -> None:
    result = run_cli(agentdeck_cmd, cwd=tmp_path)
    assert result.returncode == 2 and "usage: agentdeck" in result.stdout


def test_repo_option_runs_in_another_directory(tmp_path: Path, agentdeck_cmd) -> None:
    other = make_repo(tmp_path / "elsewhere")
    result = run_cli(agentdeck_cmd, "run", "-C", str(other), "take notes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert git(other, "branch", "--list", "agentdeck/*").strip()


def test_demo_model_with_a_small_window_fills_splits_and_lands_sub_agent_work_on_the_branch(
    tmp_path: Path, agentdeck_cmd
) -> None:
    sample = tmp_path / "sample"
    create_sample_repository(sample)
    result = run_cli(
        agentdeck_cmd,
        "run",
        "--model",
        "demo",
        "--context-window",
        "4000",
        "--json",
        "review the project",
        cwd=sample,
    )

    assert result.returncode == 0, result.stderr
    events = [parse_event(line) for line in result.stdout.splitlines()]
    [split] = [e for e in events if isinstance(e, SplitTriggered)]
    assert 0.55 <= split.fraction <= 0.65
    spawned = [e for e in events if isinstance(e, SubAgentSpawned)]
    assert spawned and len(
        [e for e in events if isinstance(e, SubAgentFinished) and e.status == "finished"]
    ) == len(spawned)
    assert isinstance(events[-1], AgentFinished)
    reviews = git(sample, "ls-tree", "-r", "--name-only", events[0].branch, "agentdeck-demo-reviews/").split()
    assert len(reviews) == len(spawned)
    assert "agentdeck-demo-notes.md" in git(sample, "ls-tree", "-r", "--name-only", events[0].branch)


def test_split_threshold_out_of_range_is_a_usage_error(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "run", "--split-threshold", "1.5", "anything", cwd=repo)

    assert result.returncode == 2 and "--split-threshold" in result.stderr and "at most 1" in result.stderr
