"""The sandbox of the `run` tool: a command + a policy -> the argv (and env) that confines it.

Confinement is bubblewrap (`bwrap`): the whole file system read-only, the worktree and its own
git admin directory writable, /tmp a private tmpfs, the user's secrets and agentdeck's session
directory hidden, the network off unless the policy allows it, a private pid namespace that dies
with agentdeck. Where bwrap is missing or does not work, the policy says *unconfined* and why, and
every surface shows it: there is no silent fallback.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentdeck.config import Settings

INSTALL_HINT = (
    "install bubblewrap: apt-get install bubblewrap (Debian/Ubuntu) or dnf install bubblewrap (Fedora)"
)

# Relative to $HOME: hidden when they exist (a tmpfs over a directory, /dev/null over a file).
SECRET_PATHS = (
    ".ssh",
    ".aws",
    ".config/gcloud",
    ".netrc",
    ".gnupg",
    ".local/share/keyrings",
    ".password-store",
    ".docker/config.json",
    ".kube",
    ".git-credentials",
    ".config/gh",
)

# Environment variables that look like credentials: litellm's provider keys live in these, and an
# agent's shell must not be able to print them into a transcript or send them anywhere.
SECRET_ENV_PATTERNS = (
    "*_API_KEY",
    "*_APIKEY",
    "*_TOKEN",
    "*_SECRET",
    "*_SECRET_KEY",
    "*_PASSWORD",
    "*_PASSWD",
    "*_CREDENTIALS",
    "*_ACCESS_KEY",
    "*_PRIVATE_KEY",
    "AWS_*",
    "AZURE_*",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "SSH_AUTH_SOCK",
    "GPG_AGENT_INFO",
    "GH_*",
    "GITHUB_TOKEN",
    "HF_TOKEN",
    "VAULT_*",
)

_BWRAP_PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class BwrapCheck:
    """Whether bubblewrap can confine a command here, and if not, what is wrong."""

    ok: bool
    problem: str = ""


@lru_cache(maxsize=8)
def check_bwrap(binary: str = "bwrap") -> BwrapCheck:
    """Try `bwrap ... true` once per binary (cached): present is not enough, it must work here."""
    if not sys.platform.startswith("linux"):
        return BwrapCheck(False, f"bubblewrap needs Linux (this is {sys.platform})")
    try:
        probe = subprocess.run(
            [binary, *_base_args(network=False), "true"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_BWRAP_PROBE_TIMEOUT_S,
        )
    except FileNotFoundError:
        return BwrapCheck(False, f"bwrap not found ({binary}); {INSTALL_HINT}")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return BwrapCheck(False, f"bwrap ({binary}) could not run: {exc}; {INSTALL_HINT}")
    if probe.returncode != 0:
        why = probe.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [
            f"exit code {probe.returncode}"
        ]
        return BwrapCheck(False, f"bwrap ({binary}) does not work here: {why[0]}")
    return BwrapCheck(True)


@dataclass(frozen=True)
class SandboxPolicy:
    """How the `run` tool confines a command; `confined` False means it runs as the user, unconfined.

    Build it with `resolve_policy`, which checks bubblewrap; the default is unconfined (mode off).
    """

    confined: bool = False
    # Why commands are unconfined (shown on every surface); empty when confined.
    reason: str = "sandbox.mode = off"
    network: bool = False
    bwrap: str = "bwrap"
    hide: tuple[str, ...] = ()
    keep_env: tuple[str, ...] = ()
    max_memory_bytes: int | None = None
    max_processes: int | None = None
    # The configured values, as the user wrote them, for error messages that name the limit.
    memory_setting: str = ""
    extra_env: dict[str, str] = field(default_factory=dict[str, str])

    def label(self) -> str:
        """One short line for status, panes and events: 'sandbox: bwrap, network off' or 'unconfined: ...'."""
        if self.confined:
            return f"sandbox: bwrap, network {'on' if self.network else 'off'}"
        return f"unconfined: {self.reason}"


def resolve_policy(
    mode: str,
    *,
    network: bool = False,
    hide: tuple[str, ...] | list[str] = (),
    keep_env: tuple[str, ...] | list[str] = (),
    max_memory_bytes: int | None = None,
    memory_setting: str = "",
    max_processes: int | None = None,
    bwrap: str = "bwrap",
) -> SandboxPolicy:
    """The policy for a session: mode "bwrap" is confined only when bubblewrap works here."""

    def policy(confined: bool, reason: str) -> SandboxPolicy:
        return SandboxPolicy(
            confined=confined,
            reason=reason,
            network=network,
            bwrap=bwrap,
            hide=tuple(hide),
            keep_env=tuple(keep_env),
            max_memory_bytes=max_memory_bytes,
            memory_setting=memory_setting,
            max_processes=max_processes,
        )

    if mode == "off":
        return policy(False, "sandbox.mode = off")
    check = check_bwrap(bwrap)
    return policy(True, "") if check.ok else policy(False, check.problem)


def sandbox_environment(env: dict[str, str], keep: tuple[str, ...] = ()) -> dict[str, str]:
    """`env` without secret-looking variables, except those named (or matched) in `keep`."""

    def secret(name: str) -> bool:
        upper = name.upper()
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in keep):
            return False
        return any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_ENV_PATTERNS)

    return {name: value for name, value in env.items() if not secret(name)}


@dataclass(frozen=True)
class GitDirs:
    """A worktree's own git admin dir (writable in the sandbox) and the repository's common dir."""

    admin: Path
    common: Path


def worktree_git_dirs(worktree: Path) -> GitDirs | None:
    """Read `<worktree>/.git` (a `gitdir:` file for a linked worktree); None for anything else."""
    dot_git = worktree / ".git"
    try:
        text = dot_git.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("gitdir:"):
        return None
    admin = Path(text[len("gitdir:") :].strip())
    if not admin.is_absolute():
        admin = worktree / admin
    admin = admin.resolve()
    try:
        common = (admin / (admin / "commondir").read_text(encoding="utf-8").strip()).resolve()
    except OSError:
        return None
    return GitDirs(admin=admin, common=common)


def hidden_paths(policy: SandboxPolicy, home: str | None, session_dirs: tuple[Path, ...] = ()) -> list[Path]:
    """The existing paths the sandbox hides: secrets under `home`, the extra `hide` paths, session dirs."""
    candidates: list[Path] = []
    if home:
        candidates += [Path(home) / rel for rel in SECRET_PATHS]
    for extra in policy.hide:
        # "~/..." is the HOME the command sees (which may differ from the daemon's own).
        candidates.append(
            Path(home) / extra[2:] if home and extra.startswith("~/") else Path(os.path.expanduser(extra))
        )
    candidates += list(session_dirs)
    found: list[Path] = []
    for path in candidates:
        if path.is_symlink() or path.exists():
            resolved = path.resolve()
            if resolved.exists() and resolved not in found:
                found.append(resolved)
    return found


def tools_under_tmp(path_variable: str) -> list[Path]:
    """The running Python's environment and the PATH's directories that lie under /tmp."""
    tmp = Path("/tmp").resolve()
    candidates = [Path(sys.prefix), *(Path(entry) for entry in path_variable.split(os.pathsep) if entry)]
    found: list[Path] = []
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except OSError:
            continue
        if resolved.is_relative_to(tmp) and resolved != tmp and resolved.is_dir() and resolved not in found:
            found.append(resolved)
    return found


def _base_args(network: bool) -> list[str]:
    args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    if not network:
        args.append("--unshare-net")
    return args + ["--unshare-pid", "--die-with-parent", "--new-session"]


def confine(
    command: str, policy: SandboxPolicy, worktree: Path, env: dict[str, str], info_fd: int | None = None
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run `command` with /bin/sh in `worktree` under `policy`.

    `info_fd`: bwrap writes `{"child-pid": N}` there, the host pid of the sandbox's pid 1.
    """
    shell = ["/bin/sh", "-c", command]
    clean_env = {**sandbox_environment(env, policy.keep_env), **policy.extra_env}
    if not policy.confined:
        return shell, clean_env
    worktree = worktree.resolve()
    args = [
        policy.bwrap,
        *(["--info-fd", str(info_fd)] if info_fd is not None else []),
        *_base_args(policy.network),
    ]
    # The private /tmp must not take the tools away: Python's environment and the PATH's
    # directories stay visible (read-only) when they live under /tmp (a CI checkout often does).
    for path in tools_under_tmp(env.get("PATH", "")):
        args += ["--ro-bind", str(path), str(path)]
    git = worktree_git_dirs(worktree)
    session_dirs: tuple[Path, ...] = ()
    if git is not None:
        # Visible (read-only) even when it lives under /tmp, so git works; agentdeck's session
        # directory inside it (socket, store, other agents' worktrees) is hidden.
        args += ["--ro-bind", str(git.common), str(git.common)]
        session_dirs = (git.common / "agentdeck",)
    for path in hidden_paths(policy, env.get("HOME"), session_dirs):
        if path == worktree:
            continue  # never hide the worktree itself (one inside a hidden dir is bound back below)
        if path.is_dir():
            args += ["--tmpfs", str(path)]
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    # Binds last: they must win over the hides and the tmpfs they may sit inside.
    args += ["--bind", str(worktree), str(worktree)]
    if git is not None:
        args += ["--bind", str(git.admin), str(git.admin)]
        objects = git.admin / SANDBOX_OBJECTS
        objects.mkdir(exist_ok=True)
        # New objects (`git add`) land in the writable admin dir; agentdeck copies them into the
        # repository after the command (verified by hash), so the object store stays read-only.
        clean_env["GIT_OBJECT_DIRECTORY"] = str(objects)
        clean_env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = str(git.common / "objects")
    args += ["--chdir", str(worktree), *shell]
    return args, clean_env


# The directory, inside a worktree's git admin dir, where sandboxed git writes new objects.
SANDBOX_OBJECTS = "agentdeck-objects"


def limit_setter(policy: SandboxPolicy, pids_cgroup: Path | None = None):
    """A preexec_fn that applies the policy's memory (RLIMIT_AS) and process (RLIMIT_NPROC, and
    the pids cgroup when there is one) limits."""
    if policy.max_memory_bytes is None and policy.max_processes is None:
        return None
    import resource

    from agentdeck.agent.tools.cgroups import join_cgroup

    def apply() -> None:
        if pids_cgroup is not None:
            join_cgroup(pids_cgroup)
        if policy.max_memory_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (policy.max_memory_bytes, policy.max_memory_bytes))
        if policy.max_processes is not None:
            # Counted per user, and ignored for root: see docs/sandbox.md.
            resource.setrlimit(resource.RLIMIT_NPROC, (policy.max_processes, policy.max_processes))

    return apply


def sandbox_policy(settings: Settings, network: str | None = None) -> SandboxPolicy:
    """The `run` tool's sandbox for a task: [sandbox] and [resources], bwrap checked (once, cached)."""
    box, limits = settings.sandbox, settings.resources
    return resolve_policy(
        box.mode,
        network=(network or box.network) == "on",
        hide=box.hide,
        keep_env=box.keep_env,
        max_memory_bytes=limits.memory_bytes(),
        memory_setting=limits.max_memory_per_agent or "",
        max_processes=limits.max_processes_per_agent,
        bwrap=box.bwrap,
    )
