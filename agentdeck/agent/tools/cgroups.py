"""A pids cgroup per sandboxed command: the process limit that also holds for root.

RLIMIT_NPROC counts processes per user and root ignores it, so when agentdeck runs as root the
only working process limit is a cgroup's `pids.max`. Where a pids controller is writable here
(cgroup v1 `/sys/fs/cgroup/pids`, or cgroup v2 with `pids` delegated to our cgroup), each
command gets its own child cgroup; elsewhere `make_pids_cgroup` returns None and the limit is
RLIMIT_NPROC only (see docs/sandbox.md).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

V1_ROOT = Path("/sys/fs/cgroup/pids")
V2_ROOT = Path("/sys/fs/cgroup")


def _v2_parent() -> Path | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            parent = V2_ROOT / line[3:].lstrip("/")
            try:
                if "pids" in (parent / "cgroup.subtree_control").read_text().split():
                    return parent
            except OSError:
                return None
    return None


def make_pids_cgroup(max_processes: int) -> Path | None:
    """A fresh cgroup with pids.max = `max_processes`, or None where none can be made."""
    parents = [V1_ROOT] if (V1_ROOT / "cgroup.procs").exists() else []
    v2 = _v2_parent()
    if v2 is not None:
        parents.append(v2)
    for parent in parents:
        group = parent / f"agentdeck-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(max_processes))
            return group
        except OSError:
            remove_cgroup(group)
    return None


def join_cgroup(group: Path) -> None:
    """Move the calling process into `group` (from a preexec_fn: its children follow)."""
    (group / "cgroup.procs").write_text(str(os.getpid()))


def remove_cgroup(group: Path) -> bool:
    """Remove an emptied cgroup; False (never an error) while processes are still leaving it."""
    try:
        group.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True
