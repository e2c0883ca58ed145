"""Real git repositories for tests, made with the git CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

DEFAULT_FILES = {
    "README.md": "# Demo\n\nA small project for tests.\n",
    "src/app.py": 'def greet(name):\n    return f"hello {name}"\n',
}

USER_NAME = "Test User"
USER_EMAIL = "test@example.com"


def git(repo: Path, *args: str) -> str:
    """Run `git -C repo ARGS...` and return stdout; raise CalledProcessError on failure."""
    result = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return result.stdout


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """Init a repo at `path` (branch main, local user.name/email) with one commit of `files`.

    `files` maps relative paths to text (default: a README.md and src/app.py). Returns `path`.
    """
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", USER_NAME)
    git(path, "config", "user.email", USER_EMAIL)
    # A developer's global signing setup must not make test commits prompt or fail.
    git(path, "config", "commit.gpgsign", "false")
    for relative, text in (DEFAULT_FILES if files is None else files).items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "--allow-empty", "-m", "Initial commit")
    return path
