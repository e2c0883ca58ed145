"""agentdeck: a terminal cockpit for running coding agents in parallel."""

__version__ = "0.1.0"
