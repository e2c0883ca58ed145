"""Configuration layers and the one-line errors a user sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdeck.config import ConfigError, load_settings, user_config_path


def test_layers_override_in_order_user_repo_env(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = user_config_path()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('executor = "openai/from-user"\n[budgets]\nmax_steps = 7\nmax_cost_usd = 1.5\n')
    (repo / "agentdeck.toml").write_text("[budgets]\nmax_steps = 9\n")
    monkeypatch.setenv("AGENTDECK_BUDGETS__MAX_COST_USD", "2.5")

    settings = load_settings(repo)

    assert settings.executor.model == "openai/from-user"
    assert (settings.budgets.max_steps, settings.budgets.max_cost_usd) == (9, 2.5)


def test_defaults_run_the_demo_model_and_unset_roles_follow_the_executor(repo: Path) -> None:
    settings = load_settings(repo)
    assert settings.role("executor").model == "demo"
    assert settings.role("judge").model == "demo" and settings.split_threshold == 0.6


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "[budgets]\nmax_stepz = 3\n",
            "budgets.max_stepz: unknown key (valid keys here: max_cost_usd, max_steps, max_wall_seconds)",
        ),
        ("split_threshold = 2\n", "split_threshold: Input should be less than or equal to 1 (got 2)"),
        ("[executor]\ncontext_window = 'big'\n", "executor.context_window: Input should be a valid integer"),
        ("bad = = toml\n", "not valid TOML"),
        ('worktrees_dir = "inside"\n', "worktrees_dir: "),
    ],
)
def test_a_bad_repo_file_names_file_key_and_what_is_valid(repo: Path, content: str, expected: str) -> None:
    (repo / "agentdeck.toml").write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(repo)
    message = str(caught.value)
    assert message.startswith(f"{repo / 'agentdeck.toml'}: ") and expected in message
    assert "\n" not in message


def test_a_bad_environment_variable_is_named(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDECK_BUDGETS__MAX_STEPS", "lots")
    with pytest.raises(
        ConfigError, match=r"^environment variable AGENTDECK_BUDGETS__MAX_STEPS: budgets.max_steps"
    ):
        load_settings(repo)
    monkeypatch.delenv("AGENTDECK_BUDGETS__MAX_STEPS")
    monkeypatch.setenv("AGENTDECK_EXECUTOR", "{not json")
    with pytest.raises(ConfigError, match=r"^environment variable AGENTDECK_EXECUTOR: not valid JSON"):
        load_settings(repo)


def test_relative_worktrees_dir_is_relative_to_the_repository(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (repo / "agentdeck.toml").write_text('worktrees_dir = "../agent-worktrees"\n')
    monkeypatch.chdir(tmp_path)
    assert load_settings(repo).worktrees_dir == (repo.parent / "agent-worktrees").resolve()


def test_a_model_override_keeps_what_the_role_allows_and_drops_its_servers_settings() -> None:
    from agentdeck.config import ModelRole

    role = ModelRole(
        model="local/qwen", api_base="http://gpu:8000", context_window=32000, network="on", temperature=0.2
    )
    other = role.with_model("openai/gpt-5-mini")
    assert (other.model, other.api_base, other.context_window) == ("openai/gpt-5-mini", None, None)
    assert (other.network, other.temperature) == ("on", 0.2)
    assert role.with_model(None) is role and role.with_model("local/qwen") is role
