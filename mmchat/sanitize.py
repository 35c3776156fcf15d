"""Make model text safe to show: it is text, never terminal control."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls. Removing ESC (0x1b) and
# the 8-bit CSI/OSC introducers (0x9b, 0x9d) defuses every escape sequence: what is
# left of one ("[2J", "]52;c;…") prints as harmless literal text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Return `text` with terminal control characters removed (\\r\\n becomes \\n)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return _CONTROL.sub("", text)


# A lone surrogate cannot be encoded: it is how Python keeps a byte that was not UTF-8
# (U+DC80–U+DCFF, the surrogateescape of argv and the environment), or half of a pair.
_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_text(data: bytes | str) -> tuple[str, int]:
    """Text from bytes, or from a str that may hold surrogate escapes (argv), with every
    byte that is not UTF-8 replaced by U+FFFD; and how many were replaced."""
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    return _SURROGATE.subn("\ufffd", text)
