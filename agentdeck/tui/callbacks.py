"""Callbacks for `push_screen`, which types them as returning None.

A `@work` method returns its Worker and a `yes and ...` lambda a bool; Textual drops either, so
the wrapper only says so to the type checker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def ignoring_result(callback: Callable[[T], object]) -> Callable[[T], None]:
    def call(value: T) -> None:
        callback(value)

    return call
