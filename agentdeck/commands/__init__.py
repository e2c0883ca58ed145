"""One module per CLI command; each imports what it needs only when it runs."""
