"""SprintState: the one enum of a stored sprint's states (what people read is sprint_views' words)."""

from __future__ import annotations

from enum import StrEnum


class SprintState(StrEnum):
    RUNNING = "running"  # its role tasks run (or wait for their dependencies)
    INTEGRATING = "integrating"  # the role branches are being merged into one
    VERIFYING = "verifying"  # the tests and the judge run on the whole
    READY = "ready"  # integrated (and verified, when verification is on): for review
    NEEDS_YOU = "needs_you"  # the integration stopped; its reason says why
    MERGED = "merged"
    CANCELLED = "cancelled"
