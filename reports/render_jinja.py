"""The two template environments (``reports/templates/``) and the Markdown filters.

:func:`html_env` autoescapes everything; :func:`markdown_env` does not, so its templates
pass free text through :func:`md_cell`, :func:`md_text`, :func:`md_code` or
:func:`md_fence`, which make any string safe inside a table cell, a paragraph, an inline
code span or a fenced block. Both environments use ``StrictUndefined``: a template that
names a missing field raises instead of printing nothing.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

__all__ = ["html_env", "markdown_env", "md_cell", "md_code", "md_fence", "md_text"]

TEMPLATES = Path(__file__).with_name("templates")

_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")


def _escape_html_chars(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def md_cell(value: Any) -> str:
    """``value`` as one GFM table cell: pipes escaped, ``<``/``>`` as entities, newlines as
    ``<br>``, surrounding blanks stripped."""
    text = _escape_html_chars(str(value).strip()).replace("|", "\\|")
    return _NEWLINES.sub("<br>", text)


def md_text(value: Any) -> str:
    """``value`` as inline paragraph text: ``<``/``>`` as entities, newlines as spaces."""
    return _NEWLINES.sub(" ", _escape_html_chars(str(value)))


def md_code(value: Any, cell: bool = False) -> str:
    """``value`` as an inline code span whose delimiter is longer than any backtick run in
    it; newlines become spaces; ``cell=True`` also escapes pipes (GFM tables)."""
    text = _NEWLINES.sub(" ", str(value))
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    tick = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{tick}{pad}{text}{pad}{tick}"


def md_fence(value: Any, lang: str = "") -> str:
    """``value`` as a fenced code block (fence longer than any backtick run inside)."""
    text = _NEWLINES.sub("\n", str(value)).rstrip("\n")
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def _env(autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def html_env() -> Environment:
    """The HTML environment: autoescape on for every template and expression."""
    return _env(autoescape=True)


@functools.cache
def markdown_env() -> Environment:
    """The Markdown environment: no autoescape; filters ``cell``, ``text``, ``code``,
    ``fence``."""
    env = _env(autoescape=False)
    env.filters.update(cell=md_cell, text=md_text, code=md_code, fence=md_fence)
    return env
