"""Bounds on what a task may ask for (no heavy imports: the command-line parsers use them too).

Priorities are stored as SQLite integers (64-bit): a bound keeps a huge number a usage error
instead of a failure inside the store; nobody ranks tasks beyond a million.
"""

PRIORITY_LIMIT = 1_000_000
# Best-of-N: more attempts than this cost more than a person will compare.
MAX_ATTEMPTS = 5
