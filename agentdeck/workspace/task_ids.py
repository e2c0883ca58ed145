"""Human-readable, unique task ids."""

from __future__ import annotations

import re
import secrets
import threading
import unicodedata

MAX_SLUG_LENGTH = 24
MAX_SLUG_WORDS = 5

_issued: set[str] = set()
_lock = threading.Lock()


def _slug(task_text: str) -> str:
    # Fold accents ("café" -> "cafe") so non-English task text still gives a readable slug.
    ascii_text = unicodedata.normalize("NFKD", task_text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:MAX_SLUG_WORDS]
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > MAX_SLUG_LENGTH:
            # A single very long first word is cut rather than dropped, so the id keeps a hint.
            slug = slug or word[:MAX_SLUG_LENGTH]
            break
        slug = candidate
    return slug or "task"


def new_task_id(task_text: str) -> str:
    """A slug of the task's first words plus 4 random hex chars, e.g. "add-a-contributing-note-3f9c"."""
    slug = _slug(task_text)
    # 4 hex chars collide often enough to matter in one long session; remember what this
    # process handed out. Collisions with older tasks are caught by create_task_workspace.
    with _lock:
        while True:
            task_id = f"{slug}-{secrets.token_hex(2)}"
            if task_id not in _issued:
                _issued.add(task_id)
                return task_id
