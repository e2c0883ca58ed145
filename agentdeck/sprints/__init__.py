"""Sprints: one feature in, a planned team of role agents out, integrated and verified as one result."""
