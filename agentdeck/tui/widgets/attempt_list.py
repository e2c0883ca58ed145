"""Best of N in the review screen: a group's attempts, the judge's pick first, as Rich text."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text


@dataclass
class AttemptColours:
    """Styles from the current theme (the screen resolves them; this module knows no theme)."""

    accent: str = "bold"
    pick: str = "bold"
    warning: str = ""
    # By TestsResult.status: "passed" -> a success colour, failures -> an error colour.
    tests: dict[str, str] = field(default_factory=dict)


def render_attempt_list(group, shown: str, colours: AttemptColours, keys: tuple[str, str]) -> Text:
    """Every attempt of `group` (a ReviewItem) with its place, reason and tests; ▶ marks `shown`."""
    next_key, merge_key = keys
    body = Text()
    body.append(f"best of {len(group.attempts)}", style="bold")
    body.append(
        f" — {next_key} shows the next attempt; {merge_key} merges the one shown and rejects the others\n",
        style="dim",
    )
    for entry in group.attempts:
        on_screen = entry.task_id == shown
        body.append("▶ " if on_screen else "  ", style=colours.accent)
        place = f"{entry.rank}." if entry.rank else "·"
        body.append(f"{place} {entry.task_id}", style="bold" if on_screen else "")
        if entry.rank == 1 and not group.ranking_note:
            body.append(" judge's pick", style=colours.pick)
        body.append(f" · {entry.model or 'executor.model'} · ")
        tests = (entry.tests or "—").replace("_", " ")
        body.append(f"tests {tests}", style=colours.tests.get(entry.tests or "", ""))
        body.append(f" · +{entry.insertions} −{entry.deletions}")
        if entry.decision or not entry.needs_decision:
            body.append(f" · {entry.decision or entry.state}", style="dim")
        body.append("\n")
        if entry.reason:
            body.append(f"     {entry.reason}\n", style="" if on_screen else "dim")
    for note in (group.ranking_note, group.ranking_warning):
        if note:
            body.append(f"  ⚑ {note}\n", style=colours.warning)
    body.append("\n")
    return body
