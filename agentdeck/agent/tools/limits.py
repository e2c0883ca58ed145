"""Why a command failed, when the reason is a limit or the sandbox: one line the model can act on."""

from __future__ import annotations

from agentdeck.agent.tools.sandbox import SandboxPolicy

_MEMORY_SIGNS = (
    "cannot allocate memory",
    "memoryerror",
    "out of memory",
    "std::bad_alloc",
    "failed to allocate",
)
_PROCESS_SIGNS = (
    "fork: resource temporarily unavailable",
    "fork: retry",
    "cannot fork",
    "can't fork",
    "blockingioerror",
)
_NETWORK_SIGNS = (
    "network is unreachable",
    "could not resolve host",
    "temporary failure in name resolution",
    "name or service not known",
    "no address associated with hostname",
    "failed to resolve",
)


def explain_failure(output: str, exit_code: int | None, policy: SandboxPolicy) -> str | None:
    """The limit or sandbox rule a failed command most likely hit, or None when nothing points to one."""
    text = output.lower()
    if policy.max_memory_bytes is not None and any(sign in text for sign in _MEMORY_SIGNS):
        return f"the command hit the memory limit (resources.max_memory_per_agent = {policy.memory_setting or policy.max_memory_bytes})"
    if policy.max_processes is not None and (
        any(sign in text for sign in _PROCESS_SIGNS)
        or ("resource temporarily unavailable" in text and "fork" in text)
    ):
        return (
            f"the command hit the process limit (resources.max_processes_per_agent = {policy.max_processes})"
        )
    if not policy.confined:
        return None
    if "read-only file system" in text:
        return (
            "the sandbox refused a write outside the worktree: only the worktree, its git admin dir and a "
            "private /tmp are writable (see docs/sandbox.md)"
        )
    if not policy.network and any(sign in text for sign in _NETWORK_SIGNS):
        return 'the sandbox has no network (sandbox.network = "off"); set sandbox.network = "on" for this task or in agentdeck.toml to allow it'
    return None
