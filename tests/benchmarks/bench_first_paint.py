"""The newcomer's first second: time to the first frame, on the README's install, beside the Textual floor.

    python -m tests.benchmarks.bench_first_paint [--runs 5] [--venv DIR] [--also NAME=VENV ...]

What a new user gets: a fresh virtual environment with `pip install -e '.[test]'` of this
checkout (the README's set-up; pass --venv to reuse one made that way), a fresh HOME with
no config, PYTHONDONTWRITEBYTECODE=1 as this environment sets it, and a real terminal
(tmux, 160x45). Each figure is the time from starting the command until the screen shows
the top bar ("agentdeck ·"):

- floor: a bare Textual app with a top bar and four bordered panes: what any Textual app costs;
- demo: `agentdeck demo` (a new sample repository each time; its daemon is stopped after);
- attach: `agentdeck` on a repository whose session daemon is already running;
- imports: python importing what the cockpit imports before its first frame, and nothing else;
- compile: of that, compiling agentdeck's own modules among them (measured in process, with
  `compile()`): what every start pays when there is no bytecode to read, as with an editable
  install under PYTHONDONTWRITEBYTECODE=1 (a wheel's install compiles once instead).

`--also before=VENV` times `agentdeck demo` and `agentdeck` from another install in the same
rounds (an older commit's, a wheel's), since the floor moves by a third from run to run
here and only figures from one run compare.

The first run of each command after the install is reported on its own (nothing cached
yet); the medians are over the runs after it. Each round runs every command once, in
turn, so drift hits them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
# What `agentdeck` imports before its first frame (commands/cockpit.py), themes included.
FIRST_FRAME_IMPORTS = "agentdeck.cli, agentdeck.commands.cockpit, agentdeck.cockpit_settings, agentdeck.tui.app, agentdeck.tui.themes"
MARKER = "agentdeck ·"

FLOOR_APP = """
from textual.app import App
from textual.containers import Horizontal
from textual.widgets import Static


class Floor(App):
    CSS = "#top { height: 1; } .pane { border: round $primary; width: 1fr; height: 1fr; }"

    def compose(self):
        yield Static("agentdeck · floor", id="top")
        with Horizontal():
            for number in range(4):
                yield Static(f"pane {number}", classes="pane")


Floor().run()
"""


def newcomer_venv(where: Path) -> Path:
    """The README's set-up in a new virtual environment; returns its bin directory."""
    venv = where / "venv"
    print(f"installing into a fresh venv ({venv}) as the README says ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log = where / "pip.log"
    with log.open("w") as output:  # pip's notes about the index; shown only if the install fails
        installed = subprocess.run(
            [venv / "bin" / "pip", "install", "--quiet", "-e", f"{CHECKOUT}[test]"], stderr=output
        )
    if installed.returncode:
        sys.exit(f"the install failed:\n{log.read_text()}")
    return venv / "bin"


def first_screen(command: str, env: dict[str, str], timeout: float = 60.0) -> float:
    """Seconds from starting `command` in a fresh tmux server until its screen shows the top bar."""
    name = f"benchpaint{os.getpid()}-{time.monotonic_ns()}"
    tmux = ["tmux", "-L", name, "-f", "/dev/null"]
    exports = " ".join(f"{key}={value}" for key, value in env.items())
    t0 = time.perf_counter()
    subprocess.run(
        [
            *tmux,
            "new-session",
            "-d",
            "-s",
            "b",
            "-x",
            "160",
            "-y",
            "45",
            f"env -u COLUMNS -u LINES {exports} {command}; sleep 600",
        ],
        check=True,
    )
    try:
        while (
            MARKER
            not in subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True
            ).stdout
        ):
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"{command!r} showed no {MARKER!r} within {timeout:.0f} s")
            time.sleep(0.005)  # reading another process's terminal: there is no event to wait on
        return time.perf_counter() - t0
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


COMPILE_PROBE = f"""
import sys, time
import {FIRST_FRAME_IMPORTS}
sources = [m.__file__ for name, m in list(sys.modules.items()) if name.startswith("agentdeck") and getattr(m, "__file__", None)]
start = time.perf_counter()
for path in sources:
    with open(path, encoding="utf-8") as handle:
        compile(handle.read(), path, "exec")
print(len(sources), time.perf_counter() - start)
"""


def compile_seconds(py: Path, env: dict[str, str]) -> tuple[int, float]:
    """(modules, seconds): compiling the agentdeck sources the first frame imports."""
    out = subprocess.run([py, "-c", COMPILE_PROBE], capture_output=True, text=True, check=True, env=env)
    modules, seconds = out.stdout.split()
    return int(modules), float(seconds)


def install_arg(text: str) -> tuple[str, Path]:
    """NAME=VENV of --also: a name for the figures, a venv with agentdeck installed."""
    name, _, venv = text.partition("=")
    if not name or not venv or "-" in name or not (Path(venv) / "bin" / "agentdeck").exists():
        raise argparse.ArgumentTypeError(
            f"{text!r}: want NAME=VENV (NAME without '-'), a venv with agentdeck in it"
        )
    return name, Path(venv).resolve()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="rounds after the first one (default 5)")
    parser.add_argument(
        "--venv", type=Path, help="a venv made with the README's set-up (default: make a fresh one)"
    )
    parser.add_argument(
        "--only", metavar="A,B", help="measure only these of floor,demo,attach,imports (the floor always)"
    )
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        type=install_arg,
        metavar="NAME=VENV",
        help="also time demo and attach from another install (e.g. before=/tmp/old-venv, a wheel's "
        "venv), in the same rounds: shown as demo-NAME and attach-NAME; repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()
    names = [name for name, _ in args.also]
    if len(set(names)) != len(names):
        parser.error(f"--also: each NAME once (got {', '.join(names)})")
    if shutil.which("tmux") is None:
        parser.error("tmux is needed (apt-get install -y tmux)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-first-paint-"))
    bin_dir = (args.venv / "bin") if args.venv else newcomer_venv(tmp)
    py = bin_dir / "python"
    home = tmp / "home"
    home.mkdir()
    env = {
        "TERM": "xterm-256color",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    run_env = {**os.environ, **env}
    (tmp / "floor.py").write_text(FLOOR_APP)
    installs = {"": bin_dir, **{f"-{name}": Path(venv) / "bin" for name, venv in args.also}}
    repos: dict[str, Path] = {}  # attach's repository, per install, with its daemon
    demos: list[tuple[Path, Path]] = []  # (agentdeck, sample repository) of each demo run

    def demo_command(bin_of: Path) -> str:
        demos.append((bin_of / "agentdeck", tmp / f"demo-{len(demos)}"))
        return f"{bin_of / 'agentdeck'} demo --path {demos[-1][1]}"

    commands: dict[str, Callable[[], str]] = {"floor": lambda: f"{py} {tmp / 'floor.py'}"}
    for suffix, bin_of in installs.items():
        repos[suffix] = tmp / f"attach-repo{suffix}"
        commands[f"demo{suffix}"] = partial(demo_command, bin_of)
        commands[f"attach{suffix}"] = partial("{} attach -C {}".format, bin_of / "agentdeck", repos[suffix])
    commands["imports"] = lambda: f"{py} -c 'import {FIRST_FRAME_IMPORTS}; print(\"{MARKER}\")'"
    if args.only:
        wanted = {"floor", *args.only.split(",")}
        commands = {key: command for key, command in commands.items() if key.partition("-")[0] in wanted}
    if not any(key.startswith("attach") for key in commands):
        repos.clear()
    first: dict[str, float] = {}
    times: dict[str, list[float]] = {key: [] for key in commands}
    try:
        for suffix, repo in repos.items():  # made by each install's own agentdeck
            subprocess.run(
                [
                    installs[suffix] / "python",
                    "-c",
                    f"from pathlib import Path; from agentdeck.workspace.sample_repo import create_sample_repository as c; c(Path({str(repo)!r}))",
                ],
                check=True,
                env=run_env,
            )
        for round_number in range(args.runs + 1):
            for key, command in commands.items():
                kind, dash, name = key.partition("-")  # "attach-before": attach, from --also before=
                suffix = dash + name
                if kind == "attach":  # one daemon running, idle
                    subprocess.run(
                        [installs[suffix] / "agentdeck", "status", "-C", str(repos[suffix])],
                        capture_output=True,
                        timeout=120,
                        env=run_env,
                    )
                seconds = first_screen(command(), env)
                if kind == "demo":
                    subprocess.run(
                        [demos[-1][0], "stop", "-C", str(demos[-1][1])],
                        capture_output=True,
                        timeout=120,
                        env=run_env,
                    )
                if round_number == 0:
                    first[key] = seconds
                else:
                    times[key].append(seconds)
        # While the venv is still there (the finally below removes it).
        compiled = [compile_seconds(py, run_env) for _ in range(args.runs)] if "imports" in commands else []
    finally:
        stops = [(installs[suffix] / "agentdeck", path) for suffix, path in repos.items()] + demos
        for stop_with, path in stops:
            subprocess.run(
                [stop_with, "stop", "-C", str(path)], capture_output=True, timeout=120, env=run_env
            )
        shutil.rmtree(tmp, ignore_errors=True)
    medians = {key: statistics.median(values) for key, values in times.items()}
    results = {
        "first_run_s": {key: round(value, 3) for key, value in first.items()},
        "median_s": {key: round(value, 3) for key, value in medians.items()},
        "ratio_to_floor": {key: round(value / medians["floor"], 2) for key, value in medians.items()},
        "runs": args.runs,
        **(
            {
                "compile_s": round(statistics.median(t for _, t in compiled), 3),
                "compiled_modules": compiled[0][0],
            }
            if compiled
            else {}
        ),
        "command": " ".join(["python -m tests.benchmarks.bench_first_paint", *sys.argv[1:]]),
    }
    if args.json:
        print(json.dumps(results))
        return
    print(f"first paint in tmux, median of {args.runs} runs after the first (first run in brackets):")
    width = max(map(len, commands))
    for key in commands:
        print(
            f"  {key:{width}} {medians[key] * 1000:5.0f} ms  ({first[key] * 1000:.0f} ms)  {results['ratio_to_floor'][key]:.2f} x the floor"
        )
    if compiled:
        print(
            f"  of the imports, compiling agentdeck's {results['compiled_modules']} modules: "
            f"{results['compile_s'] * 1000:.0f} ms ({results['compile_s'] / medians['floor']:.2f} x the floor)"
        )
    print(f"  ({results['command']})")


if __name__ == "__main__":
    main()
