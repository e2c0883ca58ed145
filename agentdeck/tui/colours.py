"""Theme colours for Rich renderables (DataTable cells, Text), which know no theme variables."""

from __future__ import annotations

from textual.color import Color


def theme_colour(app, name: str, fallback: str = "") -> str:
    """The theme's `$name` as Rich takes it: "#rrggbb", alpha blended onto the background
    (Rich has no alpha, and a theme's muted colours often carry one)."""
    variables = app.theme_variables
    try:
        colour = Color.parse(variables[name])
        if colour.a < 1:
            colour = Color.parse(variables.get("background", "#000000")).blend(colour.with_alpha(1), colour.a)
        return colour.hex6
    except (KeyError, ValueError):
        return fallback


def theme_style(app, spec: str) -> str:
    """A Rich style from one with theme variables: "bold $warning" -> "bold #ffa62b"."""
    return " ".join(
        theme_colour(app, word[1:]) if word.startswith("$") else word for word in spec.split()
    ).strip()
