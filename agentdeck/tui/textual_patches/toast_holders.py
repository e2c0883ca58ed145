"""Toasts that Textual drops as stale take their holder with them.

Textual (8.2.8, pinned) wraps each toast in a `ToastHolder`. A toast removes its holder when
its own timer fires, but `ToastRack.show` removes a toast whose notification has already
expired by the clock (the notification's time starts before the toast is mounted, so any
notification shown in that gap finds one) and leaves its holder behind, empty, for the
app's life. Under bench_cockpit's load, 37 empty holders piled up in 10 minutes: a slow
leak that every layout also walks. `install()` removes the holder instead; it is
idempotent, and tests/tui/test_frame_costs.py fails if an upgrade changes this.
"""

from __future__ import annotations

from functools import cache

from textual.notifications import Notifications
from textual.widgets._toast import Toast, ToastHolder, ToastRack


@cache  # once per process: a second install would patch the patch
def install() -> None:
    show = ToastRack.show

    def show_without_empty_holders(self: ToastRack, notifications: Notifications) -> None:
        live = {notification.identity for notification in notifications}  # iterating drops the expired
        for toast in self.query(Toast):
            if toast._notification.identity not in live and isinstance(toast.parent, ToastHolder):
                toast.parent.remove()  # Textual's `show` would remove the toast alone
        # It still does, for these same toasts: removing what is already being removed is a no-op.
        show(self, notifications)

    show_without_empty_holders.__doc__ = show.__doc__
    ToastRack.show = show_without_empty_holders  # type: ignore[method-assign]
