"""The Markdown parser for agents' prose: Textual's gfm-like one, with `_` never emphasis.

Agents write file paths and identifiers in prose without backticks: CommonMark reads
`invoice_tools/__init__.py` as `invoice_tools/` + bold `init` + `.py`, and `_private_`
as italics. Models emphasise with `*`/`**`, so underscores are taken as written; code
spans and fences are parsed before this rule and are untouched.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline


def _underscores_as_text(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "_":
        return False
    end = state.pos
    while end < state.posMax and state.src[end] == "_":
        end += 1
    if not silent:
        state.pending += state.src[state.pos : end]
    state.pos = end
    return True


def prose_parser() -> MarkdownIt:
    """A new parser per document, as Textual makes its default one."""
    parser = MarkdownIt("gfm-like")
    parser.inline.ruler.before("emphasis", "underscores_as_text", _underscores_as_text)
    return parser
