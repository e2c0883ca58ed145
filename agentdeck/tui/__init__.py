"""The cockpit: the Textual app. The only package that imports textual (tests/test_layers.py)."""
