"""Where a repository's session lives: `<common git dir>/agentdeck/` (socket, pid, lock, log, store), mode 0700."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

# sun_path holds 108 bytes on Linux; longer paths are reached through a directory fd.
_SUN_PATH_MAX = 100
_dir_fds: dict[Path, int] = {}


@dataclass(frozen=True)
class SessionPaths:
    dir: Path

    @property
    def socket(self) -> Path:
        return self.dir / "session.sock"

    @property
    def pid(self) -> Path:
        return self.dir / "daemon.pid"

    @property
    def lock(self) -> Path:
        return self.dir / "daemon.lock"

    @property
    def log(self) -> Path:
        return self.dir / "daemon.log"

    @property
    def db(self) -> Path:
        return self.dir / "session.db"

    def make_dir(self) -> Path:
        """Create the session directory, private to this user (0700): the socket, store and log are nobody else's.

        Another user can then not even reach the socket (mode 0600 besides). A directory made
        by an older agentdeck, or under a loose umask, is tightened.
        """
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(self.dir.stat().st_mode) != 0o700:
            os.chmod(self.dir, 0o700)
        return self.dir

    def socket_address(self) -> str:
        """A path `bind`/`connect` accept, even when the real one is too long for sun_path."""
        path = str(self.socket)
        if len(path) <= _SUN_PATH_MAX:
            return path
        fd = _dir_fds.get(self.dir)
        if fd is None:
            fd = _dir_fds[self.dir] = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY)
        return f"/proc/self/fd/{fd}/{self.socket.name}"


def session_paths(repo) -> SessionPaths:
    """The session directory of a pygit2 repository (shared by all its worktrees)."""
    from agentdeck.workspace.repository import common_git_dir

    return SessionPaths(common_git_dir(repo) / "agentdeck")
