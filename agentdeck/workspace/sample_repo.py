"""A small sample project in a fresh repository, for `agentdeck demo` to work on."""

from __future__ import annotations

from pathlib import Path

import pygit2

from agentdeck.workspace.checkpoints import signature
from agentdeck.workspace.errors import WorkspaceError

SAMPLE_FILES = {
    "README.md": "# invoice-tools\n\nSmall helpers for totalling invoices.\n\nRun the tests with `python -m unittest`.\n",
    "invoice_tools/__init__.py": '"""Small helpers for totalling invoices."""\n',
    "invoice_tools/totals.py": (
        "def subtotal(lines):\n"
        '    """Sum of quantity * unit price over invoice lines."""\n'
        "    return sum(line['quantity'] * line['unit_price'] for line in lines)\n"
        "\n\n"
        "def total(lines, tax_rate):\n"
        "    # TODO: round to cents\n"
        "    return subtotal(lines) * (1 + tax_rate)\n"
    ),
    "tests/test_totals.py": (
        "import unittest\n\nfrom invoice_tools.totals import subtotal\n\n\n"
        "class SubtotalTest(unittest.TestCase):\n"
        "    def test_sums_lines(self):\n"
        "        lines = [{'quantity': 2, 'unit_price': 3.5}, {'quantity': 1, 'unit_price': 1.0}]\n"
        "        self.assertEqual(subtotal(lines), 8.0)\n"
    ),
}


def create_sample_repository(path: Path) -> pygit2.Repository:
    """Init a repository at `path` (which must be absent or empty) with the sample project committed."""
    if path.exists() and any(path.iterdir()):
        raise WorkspaceError(f"{path} is not empty: give a new directory for the demo repository")
    path.mkdir(parents=True, exist_ok=True)
    repo = pygit2.init_repository(str(path), initial_head="main")
    for relative, text in SAMPLE_FILES.items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    author = signature(repo)
    repo.create_commit("HEAD", author, author, "Sample project for the agentdeck demo", tree, [])
    return repo
