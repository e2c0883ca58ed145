"""The session daemon and its client: one daemon per repository, over a Unix socket (JSON lines)."""
