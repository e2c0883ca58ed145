"""Import litellm lazily, once, configured to stay offline at import and quiet on screen.

`import litellm` costs 3.6–5.6 s and ~170 MB, so nothing imports it at module level: the
first model call pays for it through `load_litellm()`.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from types import ModuleType

_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")

_lock = threading.Lock()
_litellm: ModuleType | None = None


def load_litellm() -> ModuleType:
    """The litellm module, imported on first use and configured for agentdeck."""
    global _litellm
    if _litellm is not None:
        return _litellm
    with _lock:
        if _litellm is None:
            # Without this litellm fetches its cost map over the network at import
            # (5 s timeout, then a background retry thread).
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            # token_counter otherwise retries a tokenizer download for ~23 s offline.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import litellm

            litellm.suppress_debug_info = True  # "Provider List" / "Give Feedback" banners
            _silence_loggers()
            _litellm = litellm
    return _litellm


def _silence_loggers() -> None:
    """Keep litellm's log lines and warnings off stdout/stderr: they would tear a TUI.

    litellm attaches its own stream handler to its loggers; drop it and stop propagation
    so the root logger's last-resort handler does not print warnings either. Errors
    still reach the caller as exceptions, which the client turns into one clear line.
    """
    # Its pydantic models warn on every streamed response in some versions.
    warnings.filterwarnings("ignore", module=r"litellm(\.|$)")
    warnings.filterwarnings("ignore", message="Pydantic serializer warnings")
    for name in _LITELLM_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
