"""How far a task's priority may go (no heavy imports: the parsers of `--priority` use it too).

Priorities are stored as SQLite integers (64-bit): a bound keeps a huge number a usage error
instead of a failure inside the store; nobody ranks tasks beyond a million.
"""

PRIORITY_LIMIT = 1_000_000
