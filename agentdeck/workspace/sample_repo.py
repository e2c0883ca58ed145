"""A small sample project in a fresh repository, for `agentdeck demo` to work on."""

from __future__ import annotations

from pathlib import Path

import pygit2

from agentdeck.workspace.checkpoints import signature
from agentdeck.workspace.errors import WorkspaceError

# Two larger files, so that reading the project fills a small context window and shows a split.
INVOICING_RULES = """\
# Invoicing rules

These are the rules the helpers in `invoice_tools` follow. They come from the finance
team's handbook; when the code and this page disagree, this page wins.

## Lines

- An invoice has one or more lines. Each line has a `quantity` (a whole number, at least 1)
  and a `unit_price` (a decimal amount in the invoice's currency, never negative).
- A line may carry a `discount` between 0 and 1, applied to that line only, before tax.
- Lines are kept in the order the customer ordered them; totals never reorder them.

## Totals

- The subtotal is the sum of quantity times unit price, after line discounts.
- Tax is applied once, to the subtotal, at the invoice's `tax_rate` (for example 0.2).
- Every amount shown to a customer is rounded to cents, half up. Intermediate sums are not
  rounded: round once, at the end, or the totals drift by a cent on long invoices.
- A credit note is an invoice whose lines have negative quantities; the same rules apply.

## Currencies

- Amounts are always in one currency per invoice. Mixing currencies is an error, not a
  conversion: the helpers must refuse it with a clear message.
- Currency codes are ISO 4217 (EUR, USD, GBP). Formatting follows the customer's locale,
  but the code is always printed beside the amount on documents that leave the company.

## Numbering

- Invoice numbers are sequential per year: 2026-0001, 2026-0002, and so on. A gap in the
  sequence must be explained in the ledger; never reuse a number, even after a cancellation.

## What is not done yet

- Discounts per line are specified here but not implemented.
- Currency checks are not implemented.
- Rounding to cents is missing from `total` (see the TODO in totals.py).
"""

FORMATTING = '''\
"""Formatting amounts and invoice lines for documents that customers read."""

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_amount(amount, currency="EUR"):
    """An amount with two decimals and its currency code, e.g. '12.50 EUR'.

    The code is printed even when a symbol exists, because documents that leave the
    company must name the currency unambiguously (see docs/invoicing-rules.md).
    """
    # TODO: round half up instead of Python's round-half-even
    return f"{amount:.2f} {currency}"


def format_line(line, currency="EUR"):
    """One invoice line as a row: quantity, unit price and line total."""
    quantity = line["quantity"]
    unit_price = line["unit_price"]
    line_total = quantity * unit_price
    return f"{quantity:>4} x {format_amount(unit_price, currency):>14} = {format_amount(line_total, currency):>14}"


def format_invoice(lines, tax_rate, currency="EUR"):
    """The body of an invoice: its lines, then subtotal, tax and total."""
    from invoice_tools.totals import subtotal, total

    rows = [format_line(line, currency) for line in lines]
    rows.append("-" * 40)
    rows.append(f"{'subtotal':>20} {format_amount(subtotal(lines), currency):>19}")
    rows.append(f"{'tax':>20} {format_amount(subtotal(lines) * tax_rate, currency):>19}")
    rows.append(f"{'total':>20} {format_amount(total(lines, tax_rate), currency):>19}")
    return "\\n".join(rows)


def symbol_for(currency):
    """The currency's symbol, or its code when it has none we know."""
    # FIXME: unknown codes should be refused, not passed through
    return CURRENCY_SYMBOLS.get(currency, currency)
'''

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
    "docs/invoicing-rules.md": INVOICING_RULES,
    "invoice_tools/formatting.py": FORMATTING,
    "tests/test_totals.py": (
        "import unittest\n\nfrom invoice_tools.totals import subtotal\n\n\n"
        "class SubtotalTest(unittest.TestCase):\n"
        "    def test_sums_lines(self):\n"
        "        lines = [{'quantity': 2, 'unit_price': 3.5}, {'quantity': 1, 'unit_price': 1.0}]\n"
        "        self.assertEqual(subtotal(lines), 8.0)\n"
    ),
}


def create_sample_repository(path: Path, extra_files: dict[str, str] | None = None) -> pygit2.Repository:
    """Init a repository at `path` (which must be absent or empty) with the sample project committed.

    `extra_files` (relative path -> text) go into the same commit, e.g. the demo's agentdeck.toml.
    """
    if path.exists() and any(path.iterdir()):
        raise WorkspaceError(f"{path} is not empty: give a new directory for the demo repository")
    path.mkdir(parents=True, exist_ok=True)
    repo = pygit2.init_repository(str(path), initial_head="main")
    for relative, text in {**SAMPLE_FILES, **(extra_files or {})}.items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    author = signature(repo)
    repo.create_commit("HEAD", author, author, "Sample project for the agentdeck demo", tree, [])
    return repo
