"""How many tokens of context a model takes."""

from __future__ import annotations

# The demo model "has" a window like a small hosted model, so its meter moves visibly.
DEMO_CONTEXT_WINDOW = 32_000


def context_window(model: str, override: int | None = None) -> int | None:
    """The window from config, else from litellm's model info; None when nobody knows it."""
    if override:
        return override
    if model == "demo":
        return DEMO_CONTEXT_WINDOW
    from agentdeck.llm.litellm_loader import load_litellm

    litellm = load_litellm()
    try:
        # max_input_tokens is the window; get_max_tokens() would be the OUTPUT limit.
        return int(litellm.get_model_info(model)["max_input_tokens"]) or None
    except Exception:  # litellm raises a bare Exception for unknown models
        return None
