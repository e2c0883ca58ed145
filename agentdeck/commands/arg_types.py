"""Argument types shared by the commands' parsers (argparse only: `--help` stays light)."""

from __future__ import annotations

import argparse

from agentdeck.task_limits import MAX_ATTEMPTS, PRIORITY_LIMIT


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 1, e.g. 0.6")
    return value


def priority(text: str) -> int:
    """--priority N: a whole number within the range the session stores."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if abs(value) > PRIORITY_LIMIT:
        raise argparse.ArgumentTypeError(
            f"{value} is out of range: a priority is between -{PRIORITY_LIMIT:,} and {PRIORITY_LIMIT:,}"
        )
    return value


def attempts(text: str) -> int:
    """--attempts N: 1 (no best-of-N) up to MAX_ATTEMPTS."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_ATTEMPTS:
        raise argparse.ArgumentTypeError(
            f"{value} attempts: give 2 to {MAX_ATTEMPTS} (1 is an ordinary task)"
        )
    return value


def model_list(text: str) -> list[str]:
    """--models a,b: model names separated by commas, none empty."""
    models = [name.strip() for name in text.split(",")]
    if not all(models):
        raise argparse.ArgumentTypeError(f"an empty model name in {text!r}: give names separated by commas")
    return models


def add_repo(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "-C", "--repo", default=".", metavar="PATH", help="the repository (default: the current directory)"
    )
    return parser
