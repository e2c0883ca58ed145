"""The cockpit under load: keystroke-to-screen latency, UI CPU and memory, first paint, --help.

    .venv/bin/python -m tests.benchmarks.bench_cockpit [--minutes 10] [--panes 4] [--background 50]

A real session daemon runs the agents (the demo model at --tokens-per-second each); this
process runs only the cockpit, headless, attached over the socket as `agentdeck` is. Every
finished task is replaced by a new one, so 4 panes and 50 background agents keep streaming.

Keystroke-to-screen: a letter is typed into a pane's steer input 5 times a second; the
time runs until the app hands the driver a screen update (`App._display`, called with the
compositor's update) while the input holds the letter — the frame that shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable

CONFIG = """\
[executor]
model = "demo"
context_window = 32000
[budgets]
max_steps = 200
[demo]
tokens_per_second = {tps}
[plan]
background = false
[review]
verify = false
[session]
foreground_slots = {panes}
background_concurrency = {background}
"""


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def quietly(command) -> None:
    """A load-keeping command; refused ones (the session stopping at the end) do not matter."""
    from agentdeck.runtime.session_api import CommandError

    try:
        await command
    except CommandError:
        pass


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(repo: Path, minutes: float, panes: int, background: int) -> dict:
    from agentdeck.config import load_settings
    from agentdeck.events import TaskStateChanged
    from agentdeck.tui.app import CockpitApp
    from agentdeck.tui.link import DaemonLink

    settings = load_settings(repo)
    settings.ui.os_notifications = False
    settings.ui.bell = False
    app = CockpitApp(DaemonLink(repo), settings)
    latencies: list[float] = []
    rss: list[tuple[float, float]] = []
    streaming: list[int] = []
    async with app.run_test(size=(200, 50), notifications=False) as pilot:
        await app.cockpit.wait_attached()
        session = app.bridge.session
        daemon_pid = int(session.welcome["pid"])  # type: ignore[attr-defined]
        for n in range(panes):
            await session.enqueue(f"foreground task {n}: take notes on the project", foreground=True)
        for n in range(background + 20):
            await session.enqueue(f"background task {n}: take notes on the project")

        # Replace every task that ends, so the load stays where it was asked to be.
        original = app.cockpit.updated
        measuring = [True]

        def updated(event, update) -> None:
            original(event, update)
            if measuring[0] and isinstance(event, TaskStateChanged) and event.state in ("finished", "failed"):
                view = app.state.tasks.get(event.task_id or "")
                foreground = bool(view and view.foreground)
                app.call_later(quietly, session.enqueue("again: take notes on the project", foreground=foreground))
                if foreground and view is not None:
                    app.call_later(quietly, session.demote(view.id))  # close its pane for the new one

        app.cockpit.updated = updated  # type: ignore[method-assign]
        await app.cockpit.wait_until(lambda: len(app.cockpit.panes) >= panes, timeout=120)

        painted = asyncio.Event()
        expected = {"text": None, "input": None}
        display = app._display

        def watching_display(screen, renderable) -> None:
            display(screen, renderable)
            target = expected["input"]
            if renderable is not None and target is not None and target.value.endswith(expected["text"]):
                painted.set()

        app._display = watching_display  # type: ignore[method-assign]
        start_wall, start_cpu = time.monotonic(), time.process_time()
        start_daemon = cpu_seconds(daemon_pid)
        end = start_wall + minutes * 60
        next_sample = start_wall
        letters = "abcdefghij"
        count = lost = 0
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_sample:
                rss.append((now - start_wall, rss_mb()))
                streaming.append(sum(1 for v in app.state.tasks.values() if v.state == "running"))
                next_sample += 30
            pane = next(iter(app.cockpit.panes.values()), None)
            if pane is None:
                await asyncio.sleep(0.2)
                continue
            field = pane.steer_input
            if field.value and len(field.value) > 40 or app.focused is not field:
                field.value = ""
                field.focus()
                await pilot.pause()
            letter = letters[count % len(letters)]
            count += 1
            expected["input"], expected["text"] = field, field.value + letter
            painted.clear()
            t0 = time.perf_counter()
            press = asyncio.ensure_future(pilot.press(letter))
            try:
                await asyncio.wait_for(painted.wait(), 5)
                latencies.append((time.perf_counter() - t0) * 1000)
            except asyncio.TimeoutError:
                if app.focused is field:
                    latencies.append(5000.0)
                else:
                    lost += 1  # the pane closed under the keystroke (its task ended): not a latency
            await press
            expected["input"] = None
            await asyncio.sleep(0.2)  # the typing pace (5 keys a second), not synchronisation
        wall = time.monotonic() - start_wall
        cpu = time.process_time() - start_cpu
        daemon_cpu = cpu_seconds(daemon_pid) - start_daemon
        rss.append((wall, rss_mb()))
        daemon_rss = rss_mb(daemon_pid)
        measuring[0] = False
        await session.stop()
    return {
        "minutes": round(wall / 60, 2),
        "keystrokes": len(latencies),
        "keystrokes_lost_to_a_closing_pane": lost,
        "latency_ms_p50": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(percentile(latencies, 0.95), 1),
        "latency_ms_max": round(max(latencies), 1),
        "ui_cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "daemon_cpu_percent_of_one_core": round(100 * daemon_cpu / wall, 1),
        "ui_rss_mb": [(round(t), round(m, 1)) for t, m in rss],
        "daemon_rss_mb": round(daemon_rss, 1),
        "agents_running_avg": round(statistics.mean(streaming), 1) if streaming else 0,
    }


def first_paint(repo: Path, runs: int = 5) -> dict:
    """Median seconds from starting a command in a real terminal (tmux) to its first screen."""

    def screen_time(command: str, marker: str) -> float:
        times = []
        for i in range(runs):
            name = f"bench{os.getpid()}x{i}"
            tmux = ["tmux", "-L", name, "-f", "/dev/null"]
            t0 = time.perf_counter()
            subprocess.run([*tmux, "new-session", "-d", "-s", name, "-x", "160", "-y", "45",
                            f"env -u COLUMNS -u LINES TERM=xterm-256color {command}; sleep 60"], check=True)
            try:
                while marker not in subprocess.run([*tmux, "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout:
                    if time.perf_counter() - t0 > 60:
                        raise RuntimeError(f"{command!r} showed no {marker!r} within 60 s")
                    time.sleep(0.005)  # reading a terminal: there is no event to wait on
                times.append(time.perf_counter() - t0)
            finally:
                subprocess.run([*tmux, "kill-server"], capture_output=True)
        return statistics.median(times)

    baseline = screen_time(f"{PY} -c 'print(\"ready\")'", "ready")
    cockpit = screen_time(f"{PY} -m agentdeck attach -C {repo}", "agentdeck ·")
    litellm = screen_time(f"{PY} -c 'import litellm; print(\"ready\")'", "ready")
    subprocess.run([PY, "-m", "agentdeck", "stop", "-C", str(repo)], capture_output=True, timeout=60)
    return {"python_print_s": round(baseline, 3), "cockpit_first_paint_s": round(cockpit, 3), "import_litellm_s": round(litellm, 3)}


def help_time(runs: int = 10) -> dict:
    def median_of(args: list[str]) -> float:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(args, capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    bare = median_of([PY, "-c", "pass"])
    help_ = median_of([PY, "-m", "agentdeck", "--help"])
    return {"python_pass_s": round(bare, 4), "agentdeck_help_s": round(help_, 4), "ratio": round(help_ / bare, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--panes", type=int, default=4)
    parser.add_argument("--background", type=int, default=50)
    parser.add_argument("--tokens-per-second", type=float, default=100.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from agentdeck.workspace.sample_repo import create_sample_repository

    repo = Path(tempfile.mkdtemp(prefix="bench-cockpit-")) / "repo"
    create_sample_repository(repo, extra_files={
        "agentdeck.toml": CONFIG.format(tps=args.tokens_per_second, panes=args.panes, background=args.background)
    })
    try:
        results = {
            "help": help_time(),
            "first_paint": first_paint(repo),
            "load": asyncio.run(measure(repo, args.minutes, args.panes, args.background)),
        }
    finally:
        subprocess.run([PY, "-m", "agentdeck", "stop", "-C", str(repo)], capture_output=True, timeout=120)
    if args.json:
        print(json.dumps(results))
        return
    h, p, load = results["help"], results["first_paint"], results["load"]
    print(f"agentdeck --help: {h['agentdeck_help_s'] * 1000:.0f} ms = {h['ratio']} x python -c pass")
    print(f"first paint in a real terminal: {p['cockpit_first_paint_s'] * 1000:.0f} ms "
          f"(printing from python: {p['python_print_s'] * 1000:.0f} ms; import litellm: {p['import_litellm_s'] * 1000:.0f} ms)")
    print(f"load: {args.panes} panes + {args.background} background agents at {args.tokens_per_second:g} tokens/s for "
          f"{load['minutes']} min; {load['agents_running_avg']} agents running on average")
    print(f"keystroke to screen ({load['keystrokes']} keys): p50 {load['latency_ms_p50']} ms, "
          f"p95 {load['latency_ms_p95']} ms, max {load['latency_ms_max']} ms")
    print(f"UI process CPU: {load['ui_cpu_percent_of_one_core']}% of one core "
          f"(daemon: {load['daemon_cpu_percent_of_one_core']}%)")
    print(f"UI RSS over time (s, MB): {load['ui_rss_mb']}; daemon RSS {load['daemon_rss_mb']} MB")


if __name__ == "__main__":
    main()
