"""The cockpit's screens: the dashboard, and the dialogs and views it opens."""
