"""Routing tags typed in a prompt (#private, #fast ...): found outside code, then stripped from what is sent."""

from __future__ import annotations

import re

BUILTIN_TAGS = frozenset({"private", "local", "fast", "cheap", "best"})

# '#word' not glued to a word, '#', '&' or '/' before it (URLs, '&#39;', 'C#'), and ending at a word boundary.
_TAG = re.compile(r"(?<![\w#&/])#([A-Za-z][\w-]*)(?![\w-])")


def extract_tags(text: str, prose: str, known: frozenset[str]) -> tuple[tuple[str, ...], str]:
    """(tags found, sorted; the text without them).

    `prose` is `text` with code blanked out (same positions), so '#include'
    or a '#private' inside a code block is left alone. Only `known` tag names
    count: '#1' or '#todo' in a sentence stay as they are.
    """
    if "#" not in prose:
        return (), text
    spans: list[tuple[int, int]] = []
    tags: set[str] = set()
    for match in _TAG.finditer(prose):
        name = match.group(1).lower()
        if name in known:
            tags.add(name)
            spans.append(match.span())
    if not spans:
        return (), text
    return tuple(sorted(tags)), _remove(text, spans)


def _remove(text: str, spans: list[tuple[int, int]]) -> str:
    """Cuts each span with the spaces after it (or, at a line's end, before it)."""
    parts = []
    pos = 0
    for start, end in spans:
        while end < len(text) and text[end] in " \t":
            end += 1
        if end == len(text) or text[end] == "\n":
            while start > pos and text[start - 1] in " \t":
                start -= 1
        parts.append(text[pos:start])
        pos = end
    parts.append(text[pos:])
    return "".join(parts).strip()
