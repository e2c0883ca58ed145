"""Configuration: defaults < the user's agentdeck.toml < the repository's agentdeck.toml < AGENTDECK_* env.

The repository's file wins over the user's because it travels with the project (its test
command, its budgets); the environment wins over both for one-off overrides. A bad file
or value raises `ConfigError`, whose text is one line naming the file (or variable), the
key and what would be valid.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from agentdeck.config_files import (
    CONFIG_FILE_NAME,
    ENV_NESTED_DELIMITER,
    ENV_PREFIX,
    ConfigError,
    config_paths,
    merged,
    read_layers,
    user_config_path,
)

__all__ = [
    "CONFIG_FILE_NAME",
    "ConfigError",
    "Settings",
    "TaskRole",
    "UnknownRole",
    "config_paths",
    "load_settings",
    "user_config_path",
]

DEMO_MODEL = "demo"
BUILT_IN_ROLES = ("planner", "executor", "judge")
ROLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


class UnknownRole(ValueError):
    """A task asked for a role that agentdeck.toml does not define."""


def unknown_role_message(name: str, defined: list[str]) -> str:
    if not defined:
        return (
            f"unknown role {name!r}: no roles are defined; add a [roles.{name}] table to agentdeck.toml "
            "(see docs/configuration.md), or leave out --role to use the executor"
        )
    return (
        f"unknown role {name!r}: the roles defined in agentdeck.toml are {', '.join(sorted(defined))}; "
        "pick one of them, or leave out --role to use the executor"
    )


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelRole(_Section):
    """The model that plays one role: any litellm model string, or `demo`.

    `model = None` (planner, judge) means: the same model as the executor.
    """

    model: str | None = Field(default=None, min_length=1)
    api_base: str | None = None
    # Needed for local models and for tests: litellm does not know their window.
    context_window: int | None = Field(default=None, gt=0)
    # Network for the `run` commands of agents in this role; None: sandbox.network.
    network: Literal["off", "on"] | None = None
    # Sampling temperature sent with each request; None: the provider's default.
    temperature: float | None = Field(default=None, ge=0, le=2)

    def with_model(self, model: str | None) -> Self:
        """This role played by `model` (a --model override); None or the same model: this role as it is.

        Another model does not inherit the role's api_base or context_window (they belong to the
        configured model's server); what the role is allowed (network) and how it samples stay."""
        if not model or model == self.model:
            return self
        return self.model_copy(update={"model": model, "api_base": None, "context_window": None})


class RoleBudgets(_Section):
    """A role's own budgets; each one left out is the [budgets] one."""

    max_steps: int | None = Field(default=None, gt=0)
    max_cost_usd: float | None = Field(default=None, gt=0)
    max_wall_seconds: float | None = Field(default=None, gt=0)


class TaskRole(ModelRole):
    """A role a task can pick (`--role NAME`), defined as `[roles.NAME]`; `model = None`: the executor's."""

    # Skills the role's agents are told to use, before those the task names itself.
    skills: list[str] = Field(default_factory=list)
    # Added to the system prompt of the role's agents, under "## Your role: NAME".
    prompt: str | None = None
    budgets: RoleBudgets = Field(default_factory=RoleBudgets)


class Budgets(_Section):
    """Limits that stop an agent with a clear reason."""

    max_steps: int = Field(default=50, gt=0)
    max_cost_usd: float = Field(default=5.0, gt=0)
    max_wall_seconds: float = Field(default=1800.0, gt=0)

    def under(self, role: RoleBudgets) -> Budgets:
        """These budgets with a role's own ones in place of those it sets."""
        return self.model_copy(update=role.model_dump(exclude_none=True))


class RunTool(_Section):
    """The `run` tool: shell commands in the worktree."""

    timeout_seconds: float = Field(default=120.0, gt=0)
    output_cap_bytes: int = Field(default=16_000, ge=1000)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str | int) -> int:
    """'2GB', '512MB', '1.5G', '4096' -> bytes (binary units); ValueError says what is accepted."""
    if isinstance(text, int):
        return text
    found = _SIZE.match(str(text))
    if not found:
        raise ValueError(f'not a size: {text!r}; write a number with a unit, e.g. "2GB", "512MB" or "1.5G"')
    number, unit = float(found.group(1)), found.group(2).upper()
    value = int(number * _UNITS[unit])
    if value < 16 * 1024**2:
        raise ValueError(f"{text!r} is too small to run a shell; use at least 16MB")
    return value


class SandboxSettings(_Section):
    """How the `run` tool confines commands (docs/sandbox.md)."""

    # "bwrap": bubblewrap when it works here (else unconfined, shown everywhere); "off": unconfined.
    mode: Literal["bwrap", "off"] = "bwrap"
    # "on" shares the host's network with the agent's commands; a task can ask for it too.
    network: Literal["off", "on"] = "off"
    # More paths to hide from commands, besides the built-in secrets (~ is the user's home).
    hide: list[str] = Field(default_factory=list)
    # Environment variables kept although they look secret (names or fnmatch patterns).
    keep_env: list[str] = Field(default_factory=list)
    # The bubblewrap binary (a path or a name on PATH).
    bwrap: str = "bwrap"


class ResourceLimits(_Section):
    """Limits per `run` command of an agent (prlimit-style; see docs/sandbox.md for root)."""

    max_memory_per_agent: str | None = "2GB"
    max_processes_per_agent: int | None = Field(default=256, gt=0)

    @field_validator("max_memory_per_agent")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is not None:
            parse_size(value)  # raises ValueError with what is accepted
        return value

    def memory_bytes(self) -> int | None:
        """max_memory_per_agent in bytes (None: no limit)."""
        return None if self.max_memory_per_agent is None else parse_size(self.max_memory_per_agent)


class DemoModel(_Section):
    """The offline demo model."""

    # Streaming pace; 0 streams as fast as possible (tests, benchmarks).
    tokens_per_second: float = Field(default=40.0, ge=0)


class Retries(_Section):
    """Retries of model calls on rate limits, 5xx and timeouts."""

    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_base_seconds: float = Field(default=1.0, ge=0)


class SplitPolicy(_Section):
    """How an agent splits its work into sub-agents when its context fills up."""

    # A sub-agent of a sub-agent is depth 2; at the bound the agent finishes with what it has.
    max_depth: int = Field(default=2, ge=0, le=5)
    max_fanout: int = Field(default=4, ge=1, le=8)
    # Sub-agents one after another in the parent's worktree (default), or side by side in
    # child worktrees merged back into the parent's branch.
    parallel: bool = False


class PlanPolicy(_Section):
    """Whether a task starts with a plan written by the planner model."""

    foreground: bool = False
    background: bool = True


class SessionPolicy(_Section):
    """The session daemon: foreground slots, the background queue, the inbox, crash recovery."""

    foreground_slots: int = Field(default=3, ge=2, le=4)
    background_concurrency: int = Field(default=4, ge=1, le=200)
    # Spent by background tasks together; once reached, no new background task starts.
    queue_budget_usd: float | None = Field(default=None, gt=0)
    queue_budget_tokens: int | None = Field(default=None, gt=0)
    # Relative to the repository root; dropped *.md files become background tasks.
    inbox_dir: Path = Path(".agentdeck/inbox")
    # Resume agents that a crash or `agentdeck stop` cut off, when the daemon starts again.
    auto_resume: bool = False
    # `--after ID` starts when ID is merged into your branch, or as soon as ID finished.
    after_waits_for: Literal["merged", "finished"] = "merged"
    # A running agent with no event for this long is marked stalled (a hung command, a stream
    # that stopped, retries that keep failing) and asks for your attention once.
    stall_seconds: float = Field(default=300.0, gt=0)
    # Disk budget of all task worktrees (build output included), in GB. Over it, `gc` of merged
    # and rejected tasks runs by itself, and if still over, no new background task starts.
    max_worktree_gb: float | None = Field(default=None, gt=0)


class UIPolicy(_Section):
    """The cockpit (`agentdeck`, `agentdeck demo`): theme, attention and keys."""

    # A theme's `name` from themes/*.toml or $XDG_CONFIG_HOME/agentdeck/themes/*.toml.
    theme: str = "agentdeck-dark"
    # When an agent needs you: the terminal bell, and a desktop notification where there is one.
    bell: bool = True
    os_notifications: bool = True
    # Binding id -> key(s), e.g. {"interrupt" = "ctrl+c", "new_task" = "ctrl+n,f2"}.
    keys: dict[str, str] = Field(default_factory=dict)
    # Blocks (prose, tool calls) a pane keeps; older ones are dropped from the screen, not the store.
    transcript_blocks: int = Field(default=80, ge=10, le=2000)


class ReviewPolicy(_Section):
    """Verification after each agent finishes (tests, checks, judge), and the review of results."""

    # Run the test command, the checks and the judge when an agent finishes.
    verify: bool = True
    # Ask the judge model for a verdict (off: tests and checks only).
    judge: bool = True
    test_timeout_seconds: float = Field(default=600.0, gt=0)
    # Test runs at the same time, across tasks: test suites often share ports, caches, databases.
    test_concurrency: int = Field(default=1, ge=1, le=16)
    # Reviewability budget: a change of more lines (added + removed) is flagged "split it".
    diff_budget_lines: int = Field(default=400, gt=0)
    # The diff the judge sees is cut here (the judge is told so).
    judge_diff_chars: int = Field(default=60_000, ge=2_000)
    judge_timeout_seconds: float = Field(default=300.0, gt=0)


class Settings(BaseSettings):
    """Everything agentdeck can be told; see docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
        validate_assignment=True,
    )

    planner: ModelRole = Field(default_factory=ModelRole)
    executor: ModelRole = Field(default_factory=lambda: ModelRole(model=DEMO_MODEL))
    judge: ModelRole = Field(default_factory=ModelRole)
    budgets: Budgets = Field(default_factory=Budgets)
    split_threshold: float = Field(default=0.6, gt=0, le=1)
    split: SplitPolicy = Field(default_factory=SplitPolicy)
    plan: PlanPolicy = Field(default_factory=PlanPolicy)
    # The project's tests, run in each agent's worktree once it finishes (see [review]).
    test_command: str | None = None
    # None: <git common dir>/agentdeck/worktrees, outside the user's working tree.
    worktrees_dir: Path | None = None
    run_tool: RunTool = Field(default_factory=RunTool)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    resources: ResourceLimits = Field(default_factory=ResourceLimits)
    retries: Retries = Field(default_factory=Retries)
    demo: DemoModel = Field(default_factory=DemoModel)
    session: SessionPolicy = Field(default_factory=SessionPolicy)
    ui: UIPolicy = Field(default_factory=UIPolicy)
    review: ReviewPolicy = Field(default_factory=ReviewPolicy)
    # Roles a task can pick with --role: [roles.NAME] tables.
    roles: dict[str, TaskRole] = Field(default_factory=dict)

    @field_validator("roles")
    @classmethod
    def _role_names(cls, roles: dict[str, TaskRole]) -> dict[str, TaskRole]:
        for name in roles:
            if name in BUILT_IN_ROLES:
                raise ValueError(
                    f"[roles.{name}]: {name} is a built-in role, set as [{name}]; give this role another name"
                )
            if not ROLE_NAME.fullmatch(name):
                raise ValueError(
                    f"[roles.{name}]: a role name is letters, digits, - and _ (at most 32), e.g. [roles.database]"
                )
        return roles

    def task_role(self, name: str) -> TaskRole:
        """The role `name` of [roles], its unset model, api_base and window the executor's; UnknownRole if none."""
        role = self.roles.get(name)
        if role is None:
            raise UnknownRole(unknown_role_message(name, list(self.roles)))
        if role.model is not None:
            return role
        executor = self.role("executor")
        return role.model_copy(
            update={
                "model": executor.model,
                "api_base": role.api_base or executor.api_base,
                "context_window": role.context_window or executor.context_window,
            }
        )

    @field_validator("planner", "executor", "judge", mode="before")
    @classmethod
    def _model_string_shorthand(cls, value: Any) -> Any:
        # `executor = "openai/gpt-4o"` is the common case; the table form adds api_base.
        return {"model": value} if isinstance(value, str) else value

    def role(self, name: str) -> ModelRole:
        """The model for a role, falling back to the executor's for an unset planner/judge."""
        role: ModelRole = getattr(self, name)
        if role.model is None and name == "executor":
            return role.model_copy(update={"model": DEMO_MODEL})
        if role.model is None:
            executor = self.executor
            return ModelRole(
                model=executor.model or DEMO_MODEL,
                api_base=role.api_base or executor.api_base,
                context_window=role.context_window or executor.context_window,
            )
        return role

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The merged TOML files arrive as init kwargs; the environment overrides them.
        return (env_settings, init_settings)


def load_settings(repo_root: Path | None) -> Settings:
    """Load and validate the configuration that applies in `repo_root`."""
    layers = read_layers(repo_root)
    try:
        settings = Settings(**merged(layers))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, layers)) from None
    except SettingsError as exc:  # an AGENTDECK_* variable that is not valid JSON for a table
        found = re.search(r'field "(\w+)"', str(exc))
        field = found.group(1) if found else "?"
        raise ConfigError(
            f"environment variable {ENV_PREFIX}{field.upper()}: not valid JSON for the table {field}; "
            f"set its keys one by one instead, e.g. {ENV_PREFIX}{field.upper()}{ENV_NESTED_DELIMITER}MODEL=..."
        ) from None
    if settings.worktrees_dir is not None and repo_root is not None:
        # Relative to the repository, not to wherever agentdeck happens to be started.
        settings.worktrees_dir = (repo_root / settings.worktrees_dir.expanduser()).resolve()
        root = repo_root.resolve()
        if settings.worktrees_dir == root or root in settings.worktrees_dir.parents:
            raise ConfigError(
                f"{_source_of(['worktrees_dir'], layers)}: worktrees_dir: {settings.worktrees_dir} is inside the repository's working tree, where "
                "agent files would show up in your git status; choose a directory outside it"
            )
    if repo_root is not None:
        settings.session.inbox_dir = (repo_root / settings.session.inbox_dir.expanduser()).resolve()
    return settings


def _describe(exc: ValidationError, layers: list[tuple[str, dict[str, Any]]]) -> str:
    """One line for the first error: where it came from, which key, what would be valid."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    key = ".".join(loc)
    source = _source_of(loc, layers)
    if error["type"] == "extra_forbidden":
        valid = ", ".join(sorted(_fields_at(loc[:-1])))
        problem = f"unknown key (valid keys here: {valid})"
    else:
        problem = error["msg"]
        if "input" in error and not isinstance(error["input"], dict):
            problem += f" (got {error['input']!r})"
    return f"{source}: {key}: {problem}"


def _source_of(loc: list[str], layers: list[tuple[str, dict[str, Any]]]) -> str:
    env_name = ENV_PREFIX + ENV_NESTED_DELIMITER.join(loc).upper()
    if env_name in os.environ or (ENV_PREFIX + loc[0].upper()) in os.environ:
        return f"environment variable {env_name}"
    for name, data in reversed(layers):
        node: Any = data
        for part in loc:
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            return name
    return "configuration"


def _fields_at(loc: list[str]) -> list[str]:
    model: type[BaseModel] = Settings
    for part in loc:
        field = model.model_fields.get(part)
        if field is None or not (
            isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        ):
            break
        model = field.annotation
    return list(model.model_fields)
