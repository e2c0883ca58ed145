"""Model clients: litellm for every real provider, and the offline demo model."""

from __future__ import annotations

from agentdeck.llm.types import ModelClient, ModelError, ToolCall, TurnResult, Usage

__all__ = ["ModelClient", "ModelError", "ToolCall", "TurnResult", "Usage", "make_model_client"]


def make_model_client(
    model: str,
    api_base: str | None = None,
    *,
    demo_tokens_per_second: float = 40.0,
    max_retries: int = 3,
    backoff_base_s: float = 1.0,
    temperature: float | None = None,
) -> ModelClient:
    """The client for a model string: `demo`, or anything litellm understands."""
    if model == "demo":
        from agentdeck.llm.demo import DemoModel

        return DemoModel(tokens_per_second=demo_tokens_per_second)
    # Imported here: the module is light, but keep even that off the `--help` path.
    from agentdeck.llm.litellm_client import LiteLLMClient

    return LiteLLMClient(
        model, api_base, max_retries=max_retries, backoff_base_s=backoff_base_s, temperature=temperature
    )
