"""The demo model's sprint parts: planner, contracts writer, role agents and integrator (offline, deterministic).

The plan it makes for any feature: a core module first (published to its dependants as an
artifact); then a CLI, its tests (run against the published module) and its docs side by side,
each depending on the core. The CLI and the docs both add a section to README.md (a
shared file), so the integration meets a real conflict and resolves it by keeping both sections.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agentdeck.llm.types import Message

# Must match agentdeck.sprints.planner.PLAN_HEADING, contracts.CONTRACTS_HEADING,
# integration.CONFLICT_HEADING, runtime.sprint_views.ROLE_HEADING and runtime.sprint_fix.FIX_HEADING (the llm layer imports none of them).
SPRINT_PLAN_HEADING = "# Sprint planning request"
SPRINT_CONTRACTS_HEADING = "# Sprint contracts request"
SPRINT_CONFLICT_HEADING = "# Sprint conflict to resolve"
SPRINT_ROLE_HEADING = "## Your sprint role"
SPRINT_FIX_HEADING = "## The integrated sprint fails its tests"
LABEL = "[demo model: offline, no API key]"

_FILLER = frozenset(
    "a an the to and or with of for in on into from add adds adding make build write new support some "
    "tests test testing docs doc documentation please that this".split()
)


def module_name(feature: str) -> str:
    """A Python module name from the feature's own words: "Add an export to CSV" -> "export_csv"."""
    words = [w for w in re.findall(r"[a-z][a-z0-9]*", feature.lower()) if w not in _FILLER]
    return "_".join(words[:2]) or "feature"


def _parses(path: str) -> str:
    # ast, not py_compile or import: those leave __pycache__ behind, which would be checkpointed.
    return f"python3 -c \"import ast; ast.parse(open('{path}').read()); print('{path} parses')\""


def plan(feature: str) -> str:
    name = module_name(feature)
    tests = f"python3 -B -m unittest discover -s tests -p 'test_{name}.py'"
    tasks = [
        {
            "id": "core",
            "role": "backend",
            "brief": f"Write {name}.py with {name}(rows, path) as the contracts say.",
            "files": [f"{name}.py"],
            "acceptance": _parses(f"{name}.py"),
            "publishes": [f"{name}.py"],
        },
        {
            "id": "cli",
            "role": "cli",
            "brief": f"Write {name}_cli.py, a command line for {name}(), and say how to use it in README.md.",
            "files": [f"{name}_cli.py", "README.md"],
            "acceptance": _parses(f"{name}_cli.py"),
            "depends_on": ["core"],
        },
        {
            "id": "tests",
            "role": "testing",
            "brief": f"Write tests/test_{name}.py: rows in, the CSV file read back, the header and the count checked.",
            "files": [f"tests/test_{name}.py"],
            # core's module reaches this task as an artifact: the tests run against it before the integration.
            "acceptance": f"PYTHONPATH=.agentdeck/artifacts/core {tests}",
            "depends_on": ["core"],
        },
        {
            "id": "docs",
            "role": "docs",
            "brief": f"Write docs/{name}.md on what {name}() does, and link it from README.md.",
            "files": [f"docs/{name}.md", "README.md"],
            "acceptance": f"test -s docs/{name}.md",
            "depends_on": ["core"],
        },
    ]
    data = {
        "feature": feature,
        "summary": f"{LABEL} the core module first, then its CLI, tests and docs in parallel",
        "tasks": tasks,
        "shared": ["README.md"],
        "test_command": tests,
    }
    return json.dumps(data, indent=2)


def contracts(task: str) -> str:
    feature = _section(task, "## The feature")
    name = module_name(feature)
    return (
        f"# Contracts\n\n{LABEL}\n\nFeature: {feature}\n\n"
        f"## `{name}.py`\n\n"
        f"- `{name}(rows: list[dict[str, object]], path: str) -> int`: writes `rows` to `path` as CSV, "
        "UTF-8, a header line of the first row's keys in their order, one line per row; returns the number "
        "of rows written. An empty `rows` writes nothing and returns 0.\n\n"
        f"## `{name}_cli.py`\n\n- `python3 {name}_cli.py INPUT.json OUTPUT.csv`: reads a JSON list of objects, "
        "writes the CSV, prints `wrote N rows to OUTPUT.csv`.\n\n"
        f"## Tests and docs\n\n- `tests/test_{name}.py` (unittest) · `docs/{name}.md` · README.md gets one "
        "section per role that adds one (shared: the integration merges them).\n"
    )


def _section(text: str, heading: str) -> str:
    if heading not in text:
        return ""
    return text.split(heading, 1)[1].split("\n## ", 1)[0].strip()


def _files(task: str) -> list[str]:
    found = re.search(r"^Files in scope \(write only these\): (.+)$", task, re.MULTILINE)
    return [f.strip() for f in found.group(1).split(",")] if found else []


def _feature(task: str) -> str:
    found = re.search(r"of the sprint for: (.+)\)$", task, re.MULTILINE)
    return found.group(1) if found else "the feature"


def _content(path: str, role: str, name: str, readme: str) -> str:
    if path == "README.md":
        section = {
            "cli": f"## {name} from the command line\n\n    python3 {name}_cli.py rows.json out.csv\n",
            "docs": f"## {name}\n\nSee [docs/{name}.md](docs/{name}.md) for what it writes.\n",
        }.get(role, f"## {role}\n\nAdded by the {role} role.\n")
        return (readme.rstrip("\n") + "\n\n" if readme.strip() else "") + section
    if path.startswith("tests/"):
        return (
            "import csv\nimport os\nimport tempfile\nimport unittest\n\n"
            f"from {name} import {name}\n\n\n"
            f"class Test{name.title().replace('_', '')}(unittest.TestCase):\n"
            "    def test_rows_come_back_with_a_header(self):\n"
            "        path = os.path.join(tempfile.mkdtemp(), 'out.csv')\n"
            f"        count = {name}([{{'id': 1, 'name': 'Ada'}}, {{'id': 2, 'name': 'Grace'}}], path)\n"
            "        with open(path, newline='', encoding='utf-8') as handle:\n"
            "            rows = list(csv.reader(handle))\n"
            "        self.assertEqual(count, 2)\n"
            "        self.assertEqual(rows, [['id', 'name'], ['1', 'Ada'], ['2', 'Grace']])\n\n"
            "    def test_no_rows_write_nothing(self):\n"
            f"        self.assertEqual({name}([], os.path.join(tempfile.mkdtemp(), 'x.csv')), 0)\n\n\n"
            "if __name__ == '__main__':\n    unittest.main()\n"
        )
    if path.startswith("docs/"):
        return (
            f"# {name}\n\n`{name}(rows, path)` writes a list of dicts to a CSV file: a header of the first "
            "row's keys, one line per row, UTF-8. It returns how many rows it wrote; no rows, no file.\n\n"
            f"From the command line: `python3 {name}_cli.py rows.json out.csv`.\n"
        )
    if path.endswith("_cli.py"):
        return (
            f'"""Command line for {name}: a JSON list of objects in, a CSV file out."""\n\n'
            f"import json\nimport sys\n\nfrom {name} import {name}\n\n\n"
            "def main(argv):\n    source, target = argv\n"
            "    with open(source, encoding='utf-8') as handle:\n        rows = json.load(handle)\n"
            f"    print(f'wrote {{{name}(rows, target)}} rows to {{target}}')\n    return 0\n\n\n"
            "if __name__ == '__main__':\n    sys.exit(main(sys.argv[1:]))\n"
        )
    return (
        f'"""{name}: rows (a list of dicts) written as CSV, as CONTRACTS.md says."""\n\n'
        "import csv\n\n\n"
        f"def {name}(rows, path):\n"
        '    """Write `rows` to `path` as CSV with a header; return the number of rows written."""\n'
        "    if not rows:\n        return 0\n"
        "    with open(path, 'w', newline='', encoding='utf-8') as handle:\n"
        "        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))\n"
        "        writer.writeheader()\n        writer.writerows(rows)\n"
        "    return len(rows)\n"
    )


def role_step(
    task: str, made: list[dict[str, Any]], output_of
) -> tuple[str, tuple[str, dict[str, Any]] | None]:
    """A role agent: read README.md when it is in scope, write each file of its scope, check, finish."""
    role = re.search(r"^Role: (\S+)", task, re.MULTILINE)
    role_name = role.group(1) if role else "role"
    files = _files(task)
    name = module_name(_feature(task))
    names = [c["function"]["name"] for c in made]
    if "README.md" in files and "read" not in names:
        return (
            f"{LABEL} I play the {role_name} role of this sprint. The contracts in my context say what the "
            "other roles rely on, and README.md is shared with another role, so I'll read it first and add my "
            "own section at its end rather than rewrite what is there.\n",
            ("read", {"path": "README.md"}),
        )
    readme_call = next((c for c in made if c["function"]["name"] == "read"), None)
    readme = output_of(readme_call["id"]) if readme_call else ""
    written = [
        json.loads(c["function"]["arguments"]).get("path") for c in made if c["function"]["name"] == "write"
    ]
    for path in files:
        if path not in written:
            return (
                f"Writing {path}. It follows the contracts to the letter (names, arguments, return values), so "
                "the roles that work beside me, and the integration that joins our branches at the end, can rely "
                f"on it without asking; I stay inside my scope ({', '.join(files)}).\n",
                ("write", {"path": path, "content": _content(path, role_name, name, _plain_readme(readme))}),
            )
    acceptance = re.search(r"^Acceptance check: (.+)$", task, re.MULTILINE)
    if "run" not in names and acceptance:
        return (
            "My files are written. Now the acceptance check from the plan, run in my worktree, so I finish only "
            "on something that works.\n",
            ("run", {"command": acceptance.group(1)}),
        )
    if "finish" not in names:
        summary = f"{LABEL} The {role_name} role wrote {', '.join(files)} to the contracts."
        return (
            "The check passed. I'll finish with a summary the roles that depend on me will see when they start.\n",
            ("finish", {"summary": summary}),
        )
    return ("I have already finished.\n", None)


def _plain_readme(output: str) -> str:
    """The README's text from the read tool's output (which may number its lines)."""
    lines = [found.group(1) for line in output.splitlines() if (found := re.match(r"^\s*\d+\| ?(.*)$", line))]
    return "\n".join(lines) + ("\n" if lines else "")


def resolve(messages: list[Message]) -> tuple[str, tuple[str, dict[str, Any]]]:
    """The integrator: keep both sides of every conflict hunk (each role added its own section)."""
    task = next((str(m.get("content") or "") for m in messages if m.get("role") == "user"), "")
    marked = task.split("```\n", 1)[1].rsplit("\n```", 1)[0] if "```\n" in task else ""
    kept = [
        line
        for line in marked.splitlines(keepends=True)
        if not line.startswith(("<<<<<<<", "=======", ">>>>>>>"))
    ]
    path = re.search(r"File `([^`]+)`", task)
    why = "both sides added their own section; kept ours first, then theirs, nothing dropped"
    text = f"{LABEL} Resolving {path.group(1) if path else 'the file'}: {why}.\n"
    return text, ("resolve_conflict", {"content": "".join(kept), "why": why})


def fix_step(task: str, made: list[dict[str, Any]]) -> tuple[str, tuple[str, dict[str, Any]] | None]:
    """The integration agent after failing tests: the demo runs them again and says it cannot fix code."""
    names = [c["function"]["name"] for c in made]
    command = re.search(r"^Command: `(.+?)` \(", task, re.MULTILINE)
    if "run" not in names and command:
        return (
            f"{LABEL} The tests fail on the merged whole; I'll run them to see.\n",
            ("run", {"command": command.group(1)}),
        )
    if "finish" not in names:
        summary = f"{LABEL} The demo model cannot fix code: the failing tests are shown in review for you to decide."
        return ("I'll leave it to you.\n", ("finish", {"summary": summary}))
    return ("I have already finished.\n", None)
