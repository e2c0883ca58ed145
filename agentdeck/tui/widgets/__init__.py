"""The cockpit's widgets: each renders what it is given and owns no session logic."""
