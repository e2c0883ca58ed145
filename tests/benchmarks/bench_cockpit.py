"""The cockpit under load: keystroke-to-screen latency, UI CPU and memory; first paint; --help.

    /work/venv/bin/python -m tests.benchmarks.bench_cockpit [--minutes 10] [--panes 4]
        [--background 50] [--tokens-per-second 100] [--keys-per-second 5] [--json]

Load: a real session daemon (its own process, started here through `SessionClient`) runs
`--panes` foreground and `--background` background agents on the demo model at
`--tokens-per-second` words a second each. A demo task is short (~116 words over 13
turns, the rest tool calls and commits), so every task that ends is replaced by a new one
at once, over a second connection that carries commands only (its few commands a second
are the only work here besides the cockpit). How many agents ran and how many distinct
tasks were at work (had an event) is sampled every 5 s. This process runs only the cockpit
(`CockpitApp(DaemonLink(repo), ...)`), headless at 200×50 via `App.run_test`, attached
over the socket as `agentdeck` is, with in-app notifications on as in a terminal.

Painting: headless Textual composes every frame (`Screen._refresh_layout` or
`Screen._compositor_refresh` hands the compositor's update to `App._display`), but its
`_display` returns before turning the update into terminal output. The benchmark wraps
`App._display` and does that work for every frame as the terminal path does
(`update.render_segments(console)`, written to /dev/null), so the CPU and latency
include it; its share is reported, and so is the time spent laying out and painting.

Keystroke to screen: at most `--keys-per-second`, and never before the previous key is on
screen, a letter goes to the focused pane's steer input through the driver
(`driver.send_message(events.Key(...))`, as a terminal's input thread delivers it).
`pilot.press` is not used: after each key it waits for the process to look idle, which
under load takes up to a second twice a key. The time runs until a frame handed to
`App._display` paints the input's row, in the input's own columns, beginning with the
input's new value (`painted_row`): the bytes a terminal would get show the letter. It
stops when that frame's bytes are written, not when this benchmark's coroutine next runs
(the loop may paint another frame first, which the key did not wait for). A key
whose pane closes first (its task ended) or whose input lost the focus is counted as
lost, not as a latency; one in the input but not on screen after 30 s, as never painted.
The input is cleared every 30 letters.

Memory: VmRSS of this process every 30 s, with what could grow (tasks known to the
cockpit, widgets on the screen, events received but not yet folded in); the daemon's at
the end. First paint: from starting `agentdeck attach -C REPO` in a fresh detached tmux
server of 160×45 until `tmux capture-pane` shows the top bar ("agentdeck ·"), polled every
5 ms; median of `--paint-runs` rounds, with the daemon running (idle) and with none (attach
starts it). The same for `python -c 'print(...)'`, for importing what the cockpit imports
before it paints, and for `python -c 'import litellm'`. `agentdeck --help`: median of 10
runs of the venv's `agentdeck` script against `python -c pass`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from agentdeck.api import Enqueue, Stop
from tests.benchmarks.timing import median_wall_time
from tests.tui.waiting import wait_until

PY = sys.executable
AGENTDECK = str(Path(PY).with_name("agentdeck"))
SIZE = (200, 50)
SAMPLE_S = 5.0
RSS_SAMPLE_S = 30.0
CLEAR_AFTER = 30
TOPBAR = "agentdeck ·"

CONFIG = """\
[executor]
model = "demo"
context_window = 32000
[budgets]
max_steps = 500
max_cost_usd = 1000
max_wall_seconds = {wall}
[demo]
tokens_per_second = {tps}
[plan]
foreground = false
background = false
[review]
verify = false
[session]
foreground_slots = {panes}
background_concurrency = {background}
[ui]
bell = false
os_notifications = false
"""


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def object_counts() -> Counter:
    import gc

    gc.collect()
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def painted_row(update, y: int, x1: int, x2: int) -> str | None:
    """The cells [x1, x2) of row y that this compositor update paints ("\\0" where it leaves the terminal as it was)."""
    from textual._compositor import ChopsUpdate, LayoutUpdate
    from textual.strip import Strip

    if isinstance(update, LayoutUpdate):  # a full frame: every cell of every row
        row = y - update.region.y
        if not 0 <= row < len(update.strips):
            return None
        return Strip.join(list(update.strips[row])).crop(x1, x2).text.ljust(x2 - x1, "\0")
    if not isinstance(update, ChopsUpdate):
        return None
    spans = [(a, b) for sy, a, b in update.spans if sy == y]
    if not spans or y >= len(update.chops):
        return None
    cells = ["\0"] * (x2 - x1)
    for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items()):
        if strip is None:
            continue
        for a, b in spans:
            left, right = max(x, a, x1), min(end, b, x2)
            if left < right:
                for i, char in enumerate(strip.crop(left - x, right - x).text):
                    if left + i < x2:
                        cells[left - x1 + i] = char
    return "".join(cells)


class Painter:
    """Wraps `App._display`: encodes every frame as a terminal driver would, and watches for one key."""

    def __init__(self, app) -> None:
        self.app = app
        self.display = app._display
        self.sink = open(os.devnull, "w")
        self.frames = 0
        self.bytes = 0
        self.encode_s = 0.0
        self.field = None
        self.expected = ""
        self.painted = asyncio.Event()
        self.painted_at = 0.0
        app._display = self  # instance attribute: `Screen` calls `self.app._display(screen, update)`

    def __call__(self, screen, update) -> None:
        self.display(screen, update)
        if update is None or self.app._batch_count:
            return
        from textual._compositor import CompositorUpdate

        if not isinstance(update, CompositorUpdate):
            return
        t0 = time.perf_counter()
        data = update.render_segments(self.app.console)
        self.sink.write(data)
        self.encode_s += time.perf_counter() - t0
        self.frames += 1
        self.bytes += len(data)
        field = self.field
        if field is not None and field.is_attached and field.value == self.expected:
            region = field.content_region
            row = painted_row(update, region.y, region.x, region.right)
            if row is not None and row.startswith(self.expected):
                # The time the terminal got it: the loop may run another frame before the
                # waiting benchmark wakes up, and that frame is not part of this key's wait.
                self.painted_at = time.perf_counter()
                self.painted.set()

    def expect(self, field, text: str) -> None:
        self.field, self.expected = field, text
        self.painted.clear()

    def close(self) -> None:
        self.app._display = self.display
        self.sink.close()


class Keeper:
    """Keeps the load where it was asked to be: every task that ends is replaced by a new one."""

    def __init__(self, client, state) -> None:
        self.client = client
        self.state = state
        self.active = True
        self.queued = 0
        self.refused = 0
        self._tasks: set[asyncio.Task] = set()

    def replace(self, task_id: str) -> None:
        view = self.state.tasks.get(task_id)
        if not self.active or view is None:
            return
        self.enqueue(view.foreground)

    def enqueue(self, foreground: bool) -> None:
        n = self.queued = self.queued + 1
        kind = "foreground" if foreground else "background"
        task = asyncio.create_task(self._send(f"{kind} task {n}: take notes on the project", foreground))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, text: str, foreground: bool) -> None:
        from agentdeck.runtime.command_error import CommandError

        try:
            await self.client.execute(Enqueue(task=text, foreground=foreground))
        except CommandError:
            self.refused += 1  # the session stopping at the end


class Probe:
    """What the cockpit received and drew: events, their age on arrival, pane redraws, who streamed."""

    def __init__(self, app, keeper: Keeper) -> None:
        from agentdeck.events import TaskStateChanged, TextDelta

        self.app = app
        self.events = 0
        self.deltas = 0
        self.lags: list[float] = []  # seconds from the daemon's timestamp to the cockpit, every 20th event
        self.lag_max = 0.0
        self.streamed: set[str] = set()
        self.flushes: Counter[str] = Counter()
        self.flush_second: Counter[tuple[str, int]] = Counter()
        self.flush_max_per_s = 0
        self.ended: Counter[str] = Counter()
        screen = app.cockpit
        original_updated, original_flush = screen.updated, screen._flush_pane

        # The main stream carries no text deltas (each pane follows its own task): an agent
        # counts as at work in a window when any of its events arrived; deltas are the panes'.
        original_apply_pane = app.state.apply_pane

        def apply_pane(event):
            self.events += 1
            if isinstance(event, TextDelta):
                self.deltas += 1
            self.streamed.add(event.task_id or "")
            return original_apply_pane(event)

        app.state.apply_pane = apply_pane

        def updated(event, update) -> None:
            self.events += 1
            self.streamed.add(event.task_id or "")
            if self.events % 20 == 0:
                lag = time.time() - event.ts
                self.lags.append(lag)
                self.lag_max = max(self.lag_max, lag)
            original_updated(event, update)
            if isinstance(event, TaskStateChanged) and event.state in ("finished", "failed", "cancelled"):
                self.ended[event.state] += 1
                keeper.replace(event.task_id or "")

        async def flush_pane(task_id: str) -> None:
            self.flushes[task_id] += 1
            key = (task_id, int(time.monotonic()))
            self.flush_second[key] += 1
            self.flush_max_per_s = max(self.flush_max_per_s, self.flush_second[key])
            if len(self.flush_second) > 1000:
                self.flush_second.clear()
            await original_flush(task_id)

        # Frame work: a layout (`Screen._refresh_layout`: reflow, then paint) or a paint alone
        # (`Screen._compositor_refresh`). Both are looked up on the instance when called.
        self.layouts = self.paints = 0
        self.frame_s = 0.0
        refresh_layout, compositor_refresh = screen._refresh_layout, screen._compositor_refresh
        inside = [False]

        def timed_layout(*args, **kwargs) -> None:
            self.layouts += 1
            t0, inside[0] = time.perf_counter(), True
            try:
                refresh_layout(*args, **kwargs)
            finally:
                inside[0] = False
                self.frame_s += time.perf_counter() - t0

        def timed_paint() -> None:
            if inside[0]:
                compositor_refresh()
                return
            self.paints += 1
            t0 = time.perf_counter()
            try:
                compositor_refresh()
            finally:
                self.frame_s += time.perf_counter() - t0

        screen.updated = updated  # type: ignore[method-assign]
        screen._flush_pane = flush_pane  # type: ignore[method-assign]
        screen._refresh_layout = timed_layout  # type: ignore[method-assign]
        screen._compositor_refresh = timed_paint  # type: ignore[method-assign]

    def reset(self) -> None:
        self.events = self.deltas = 0
        self.lags.clear()
        self.lag_max = 0.0
        self.flushes.clear()
        self.flush_max_per_s = 0
        self.ended.clear()
        self.layouts = self.paints = 0
        self.frame_s = 0.0
        self.announced = len(self.app.announced)


async def measure(repo: Path, args: argparse.Namespace) -> dict:
    from textual import events

    from agentdeck.cockpit_settings import CockpitSettings
    from agentdeck.config import load_settings
    from agentdeck.server.client import SessionClient
    from agentdeck.server.paths import session_paths
    from agentdeck.tui.app import CockpitApp
    from agentdeck.tui.link import DaemonLink
    from agentdeck.workspace import open_repository

    settings = load_settings(repo)
    t_start = time.monotonic()
    client = await SessionClient.connect(repo, session_paths(open_repository(repo)), start=True)
    assert client is not None
    daemon_pid = int(client.welcome["pid"])
    daemon_start_s = time.monotonic() - t_start
    app = CockpitApp(DaemonLink(repo), CockpitSettings.from_settings(settings))
    result: dict = {"daemon_pid": daemon_pid, "daemon_start_s": round(daemon_start_s, 2)}
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        keeper = Keeper(client, app.state)
        probe = Probe(app, keeper)
        await app.cockpit.wait_attached()
        for _ in range(args.panes):
            keeper.enqueue(True)
        # A few more than run at a time, so a slot that frees finds a task waiting.
        for _ in range(args.background + 10):
            keeper.enqueue(False)

        def running() -> tuple[int, int]:
            views = [v for v in app.state.tasks.values() if v.state == "running"]
            fg = sum(1 for v in views if v.foreground)
            return fg, len(views) - fg

        def memory_sample() -> dict:
            backlog = getattr(app.bridge.api, "_events", None)  # events received, not yet folded in
            kinds = Counter(type(widget).__name__ for widget in app.screen.walk_children())
            return {
                "tasks_known": len(app.state.tasks),
                "widgets": sum(kinds.values()),
                "widget_kinds": dict(kinds.most_common(8)),
                "backlog": backlog.qsize() if backlog is not None else -1,
            }

        t0 = time.monotonic()
        try:
            await wait_until(
                app,
                lambda: len(app.cockpit.panes) >= args.panes and running() == (args.panes, args.background),
                timeout=180,
            )
        except TimeoutError:
            pass  # measure anyway; the averages below say what ran
        result["load_ready_s"] = round(time.monotonic() - t0, 1)
        await pilot.pause()

        painter = Painter(app)
        probe.reset()
        latencies: list[float] = []
        lost = unpainted = 0
        samples: list[dict] = []  # every SAMPLE_S: who ran and who streamed in the window just ended
        rss: list[tuple[int, float]] = []
        memory: list[dict] = []  # every RSS_SAMPLE_S: what could make the UI's memory grow
        objects_before: Counter | None = None  # --objects: live objects by type after the first minute
        object_growth: dict = {}
        start_wall, start_cpu, start_daemon = time.monotonic(), time.process_time(), cpu_seconds(daemon_pid)
        end = start_wall + args.minutes * 60
        next_sample, next_rss = start_wall + SAMPLE_S, start_wall
        probe.streamed = set()
        next_key = start_wall
        letters = "abcdefghijklmnopqrstuvwxyz"
        count = 0
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_sample:
                fg, bg = running()
                streamed = probe.streamed
                panes = set(app.cockpit.panes)
                samples.append(
                    {
                        "running_fg": fg,
                        "running_bg": bg,
                        "streamed_fg": len(streamed & panes),
                        "streamed_bg": len(streamed - panes),
                    }
                )
                probe.streamed = set()
                next_sample += SAMPLE_S
            if now >= next_rss:
                rss.append((round(now - start_wall), round(rss_mb(), 1)))
                memory.append(memory_sample())
                next_rss += RSS_SAMPLE_S
                if args.objects and objects_before is None and now - start_wall >= 60:
                    objects_before = object_counts()
            await asyncio.sleep(max(0.0, next_key - time.monotonic()))
            next_key += 1 / args.keys_per_second
            focused = app.focused
            field = next(
                (p.steer_input for p in app.cockpit.panes.values() if p.steer_input is focused), None
            )
            if field is None:
                pane = next(reversed(list(app.cockpit.panes.values())), None)
                if pane is None:
                    continue
                pane.steer_input.focus()
                continue  # the focus paints first; type from the next tick
            if len(field.value) >= CLEAR_AFTER:
                field.value = ""
            letter = letters[count % len(letters)]
            count += 1
            painter.expect(field, field.value + letter)
            key = events.Key(letter, letter)
            key.set_sender(app)
            t_key = time.perf_counter()
            app._driver.send_message(key)
            while True:
                try:
                    await asyncio.wait_for(painter.painted.wait(), 0.25)
                    latencies.append((painter.painted_at - t_key) * 1000)
                    break
                except TimeoutError:
                    if not field.is_attached or (
                        app.focused is not field and field.value != painter.expected
                    ):
                        lost += (
                            1  # its pane closed (the task ended), or the focus moved, before the key landed
                        )
                        break
                    if time.perf_counter() - t_key > 30:
                        unpainted += 1  # in the input, never on screen: a missed repaint
                        break
            painter.expect(None, "")
            if time.monotonic() > next_key:  # a slow paint: do not fire the missed ticks in a burst
                next_key = time.monotonic()
        wall = time.monotonic() - start_wall
        cpu = time.process_time() - start_cpu
        daemon_cpu = cpu_seconds(daemon_pid) - start_daemon
        rss.append((round(wall), round(rss_mb(), 1)))
        memory.append(memory_sample())
        if objects_before is not None:
            after = object_counts()
            growth = {name: after[name] - objects_before.get(name, 0) for name in after}
            object_growth = dict(sorted(growth.items(), key=lambda item: -item[1])[:10])
            # Widgets and screens apart: one that stays after its removal holds all it drew.
            nodes = {
                name: n
                for name, n in growth.items()
                if name.startswith(("textual.widgets", "agentdeck", "textual.screen", "textual.containers"))
            }
            object_growth.update(sorted(nodes.items(), key=lambda item: -item[1])[:10])
        keeper.active = False
        painter.close()
        result["daemon_rss_mb"] = round(rss_mb(daemon_pid), 1)
        lags = probe.lags or [0.0]

        def mean_of(key: str) -> float:
            return round(statistics.mean(s[key] for s in samples), 1)

        result.update(
            minutes=round(wall / 60, 2),
            keystrokes=len(latencies),
            keystrokes_lost_to_a_closing_pane=lost,
            keystrokes_never_painted_in_30s=unpainted,
            latency_ms_p50=round(statistics.median(latencies), 1),
            latency_ms_p95=round(percentile(latencies, 0.95), 1),
            latency_ms_p99=round(percentile(latencies, 0.99), 1),
            latency_ms_max=round(max(latencies), 1),
            latency_over_50ms=sum(1 for v in latencies if v > 50),
            ui_cpu_percent=round(100 * cpu / wall, 1),
            ui_frame_encoding_percent=round(100 * painter.encode_s / wall, 1),
            daemon_cpu_percent=round(100 * daemon_cpu / wall, 1),
            frames_per_s=round(painter.frames / wall, 1),
            frames_with_layout_percent=round(100 * probe.layouts / max(probe.layouts + probe.paints, 1)),
            frame_work_ms_mean=round(1000 * probe.frame_s / max(probe.layouts + probe.paints, 1), 1),
            frame_work_percent=round(100 * probe.frame_s / wall, 1),
            terminal_kb_per_s=round(painter.bytes / wall / 1024, 1),
            pane_redraws_per_s=round(sum(probe.flushes.values()) / wall / args.panes, 1),
            panes_shown=len(probe.flushes),
            pane_redraws_max_in_one_second=probe.flush_max_per_s,
            events_per_s=round(probe.events / wall),
            text_deltas_per_s=round(probe.deltas / wall),
            event_age_ms_p50=round(1000 * statistics.median(lags), 1),
            event_age_ms_p95=round(1000 * percentile(lags, 0.95), 1),
            event_age_ms_max=round(1000 * probe.lag_max, 1),
            running_fg_avg=mean_of("running_fg"),
            running_bg_avg=mean_of("running_bg"),
            streaming_fg_avg=mean_of("streamed_fg"),
            streaming_bg_avg=mean_of("streamed_bg"),
            streaming_min=min(s["streamed_fg"] + s["streamed_bg"] for s in samples),
            tasks_ended=dict(probe.ended),
            tasks_ended_per_s=round(sum(probe.ended.values()) / wall, 1),
            announcements_per_s=round((len(app.announced) - probe.announced) / wall, 1),
            load_average=os.getloadavg(),
            ui_rss_mb=rss,
            ui_rss_at_1_minute_mb=[m for t, m in rss if t <= 60][-1],
            ui_rss_last_mb=rss[-1][1],
            ui_rss_max_mb=max(m for _, m in rss),
            memory_samples=memory,
            object_growth=object_growth,
        )
        try:
            await client.execute(Stop())
        except Exception:
            pass  # the `agentdeck stop` in main's finally is the backstop
        await client.close()
    return result


TMUX_SERVERS: list[str] = []  # every tmux server started, so the end (or Ctrl-C) can kill them all


def tmux_first_screen(command: str, marker: str, timeout: float = 60.0) -> float:
    """Seconds from starting `command` in a fresh detached tmux server (160×45) until its screen shows `marker`."""
    # A server of its own each time: a socket reused right after kill-server can refuse the next session.
    name = f"benchcockpit{os.getpid()}-{len(TMUX_SERVERS)}"
    TMUX_SERVERS.append(name)
    tmux = ["tmux", "-L", name, "-f", "/dev/null"]
    t0 = time.perf_counter()
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "b", "-x", "160", "-y", "45", f"{command}; sleep 600"], check=True
    )
    try:
        while (
            marker
            not in subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True
            ).stdout
        ):
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"{command!r} showed no {marker!r} within {timeout:.0f} s")
            time.sleep(0.005)  # reading another process's terminal: there is no event to wait on
        return time.perf_counter() - t0
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def stop_daemon(repo: Path) -> None:
    subprocess.run([AGENTDECK, "stop", "-C", str(repo)], capture_output=True, timeout=120)


def first_paint(repo: Path, runs: int) -> dict:
    """Medians over `runs` rounds; each round runs every command once, in turn, so drift hits them alike."""
    env = f"env -u COLUMNS -u LINES TERM=xterm-256color XDG_CONFIG_HOME={os.environ['XDG_CONFIG_HOME']}"
    commands = {
        "python_print": (f"{env} {PY} -c 'print(\"ready\")'", "ready"),
        # What the cockpit imports before it can paint, and nothing else: the floor for its first paint.
        "cockpit_imports": (
            f"{env} {PY} -c 'import agentdeck.cli, agentdeck.config, agentdeck.tui.app; print(\"ready\")'",
            "ready",
        ),
        "cockpit_warm": (f"{env} {AGENTDECK} attach -C {repo}", TOPBAR),
        "cockpit_cold": (f"{env} {AGENTDECK} attach -C {repo}", TOPBAR),
        "import_litellm": (f"{env} {PY} -c 'import litellm; print(\"ready\")'", "ready"),
    }
    times: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(runs):
        for key, (command, marker) in commands.items():
            if key == "cockpit_cold":
                stop_daemon(repo)  # none running: attach starts it (behind the first paint)
            elif key == "cockpit_warm":
                subprocess.run(
                    [AGENTDECK, "status", "-C", str(repo)], capture_output=True, timeout=120
                )  # one running, idle
            times[key].append(tmux_first_screen(command, marker))
    stop_daemon(repo)
    result = {f"{key}_s": round(statistics.median(values), 3) for key, values in times.items()}
    result["runs"] = runs
    return result


def help_time(runs: int = 10) -> dict:
    bare = median_wall_time([PY, "-c", "pass"], runs)
    help_ = median_wall_time([AGENTDECK, "--help"], runs)
    return {
        "python_pass_s": round(bare, 4),
        "agentdeck_help_s": round(help_, 4),
        "ratio": round(help_ / bare, 2),
    }


def report(results: dict, args: argparse.Namespace) -> None:
    h, p, load = results.get("help"), results.get("first_paint"), results["load"]
    if h:
        print(
            f"agentdeck --help: {h['agentdeck_help_s'] * 1000:.0f} ms = {h['ratio']} × python -c pass ({h['python_pass_s'] * 1000:.0f} ms); median of 10"
        )
    if p:
        litellm = p["import_litellm_s"]
        print(
            f"first paint in tmux (median of {p['runs']}): cockpit {p['cockpit_warm_s'] * 1000:.0f} ms with the daemon running, "
            f"{p['cockpit_cold_s'] * 1000:.0f} ms starting it; python printing a line {p['python_print_s'] * 1000:.0f} ms; "
            f"importing what the cockpit needs {p['cockpit_imports_s'] * 1000:.0f} ms; "
            f"python importing litellm {litellm * 1000:.0f} ms ({litellm / p['cockpit_warm_s']:.1f} × the cockpit's first paint)"
        )
    print(
        f"load: {args.panes} panes + {args.background} background agents, demo at {args.tokens_per_second:g} tokens/s, "
        f"{load['minutes']} min measured (full load after {load['load_ready_s']} s; load average at the end {load['load_average'][0]:.1f})"
    )
    print(
        f"  at work (an event in each 5 s): {load['streaming_fg_avg']} in panes + {load['streaming_bg_avg']} in the background "
        f"on average, fewest {load['streaming_min']}; running: {load['running_fg_avg']} + {load['running_bg_avg']}"
    )
    print(
        f"  tasks ended: {load['tasks_ended_per_s']}/s {load['tasks_ended']}, each replaced by a new one; "
        f"{load['panes_shown']} tasks had a pane in turn; the cockpit announced {load['announcements_per_s']} results/s"
    )
    print(
        f"  into the cockpit: {load['events_per_s']} events/s ({load['text_deltas_per_s']} text deltas/s); event age on arrival "
        f"p50 {load['event_age_ms_p50']} ms, p95 {load['event_age_ms_p95']} ms, max {load['event_age_ms_max']} ms"
    )
    print(
        f"  drawing: {load['frames_per_s']} frames/s ({load['terminal_kb_per_s']} KB/s of terminal output), "
        f"{load['frames_with_layout_percent']} % of them with a full layout; {load['frame_work_ms_mean']} ms of layout and "
        f"paint a frame ({load['frame_work_percent']} % of one core)"
    )
    print(
        f"  panes: "
        f"{load['pane_redraws_per_s']} redraws/s per pane slot, at most {load['pane_redraws_max_in_one_second']} "
        f"of one pane in one second (FRAME_HZ caps it)"
    )
    print(
        f"keystroke to screen ({load['keystrokes']} keys; {load['keystrokes_lost_to_a_closing_pane']} lost to a closing pane, "
        f"{load['keystrokes_never_painted_in_30s']} never painted): "
        f"p50 {load['latency_ms_p50']} ms, p95 {load['latency_ms_p95']} ms, p99 {load['latency_ms_p99']} ms, "
        f"max {load['latency_ms_max']} ms; {load['latency_over_50ms']} over 50 ms"
    )
    print(
        f"CPU: UI process {load['ui_cpu_percent']} % of one core (of which encoding frames for the terminal "
        f"{load['ui_frame_encoding_percent']} %); daemon {load['daemon_cpu_percent']} %"
    )
    print(
        f"UI RSS: {load['ui_rss_at_1_minute_mb']} MB after the first minute, {load['ui_rss_last_mb']} MB at the end, "
        f"max {load['ui_rss_max_mb']} MB; daemon {load['daemon_rss_mb']} MB at the end"
    )
    print("  (s, MB):", ", ".join(f"{t}: {m}" for t, m in load["ui_rss_mb"]))
    print(
        "  (tasks known, widgets, event backlog):",
        ", ".join(f"{m['tasks_known']}/{m['widgets']}/{m['backlog']}" for m in load["memory_samples"]),
    )
    print("  widgets at the end, most common:", load["memory_samples"][-1]["widget_kinds"])
    if load["object_growth"]:
        print("  live objects gained from the first minute to the end, by type:", load["object_growth"])


def interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load is measured")
    parser.add_argument("--panes", type=int, default=4, help="foreground agents, one pane each (2-4)")
    parser.add_argument("--background", type=int, default=50, help="background agents at a time")
    parser.add_argument(
        "--tokens-per-second", type=float, default=100.0, help="the demo model's pace, per agent"
    )
    parser.add_argument("--keys-per-second", type=float, default=5.0, help="typing pace into a steer input")
    parser.add_argument("--paint-runs", type=int, default=5, help="rounds of the first-paint measurement")
    parser.add_argument(
        "--skip-startup", action="store_true", help="only the load (no --help, no first paint)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument(
        "--objects", action="store_true", help="also count live objects by type (finds what grows; slow)"
    )
    args = parser.parse_args()
    if not 2 <= args.panes <= 4:
        parser.error("--panes must be 2-4 (the session's foreground_slots)")

    from agentdeck.workspace.sample_repo import create_sample_repository

    tmp = Path(tempfile.mkdtemp(prefix="bench-cockpit-"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")  # no personal config in the figures
    repo = tmp / "repo"
    wall = int(args.minutes * 60 + 1800)
    create_sample_repository(
        repo,
        extra_files={
            "agentdeck.toml": CONFIG.format(
                wall=wall, tps=args.tokens_per_second, panes=args.panes, background=args.background
            )
        },
    )
    # Ctrl-C and SIGTERM both unwind through the `finally`: the daemon stops, tmux servers go.
    signal.signal(signal.SIGTERM, interrupted)
    results: dict = {}
    try:
        if not args.skip_startup:
            results["help"] = help_time()
            results["first_paint"] = first_paint(repo, args.paint_runs)
        results["load"] = asyncio.run(measure(repo, args))
    finally:
        for name in TMUX_SERVERS:
            subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)
        stop_daemon(repo)
        shutil.rmtree(tmp, ignore_errors=True)
    results["command"] = " ".join(["python -m tests.benchmarks.bench_cockpit", *sys.argv[1:]])
    if args.json:
        print(json.dumps(results))
    else:
        report(results, args)


if __name__ == "__main__":
    main()
