"""Make model text safe to show: it is text, never terminal control."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls. Removing ESC (0x1b) and
# the 8-bit CSI/OSC introducers (0x9b, 0x9d) defuses every escape sequence: what is
# left of one ("[2J", "]52;c;…") prints as harmless literal text.
# Unicode's bidirectional controls (embeddings and overrides U+202A–U+202E, isolates
# U+2066–U+2069, the marks U+200E, U+200F and U+061C) change the order text is shown in,
# so an answer could show one thing and be another ("Trojan Source"): each is shown as a
# visible marker, "<U+202E>", never silently removed (that would hide that it was there).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A lone surrogate (half of a pair a server escaped badly) cannot be written out: shown as U+FFFD.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff" + "".join(sorted(_BIDI)) + "]")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char in _BIDI:
        return f"<U+{ord(char):04X}>"
    return "\ufffd" if "\ud800" <= char <= "\udfff" else ""


def printable(text: str) -> str:
    """Return `text` with terminal control characters removed (\\r\\n becomes \\n) and
    bidirectional controls shown as markers ("<U+202E>").

    Character by character, so the pieces of a stream give what the whole text gives."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(_shown, text)


def printable_json(text: str) -> str:
    """JSON (as json.dumps writes it) safe to show: the characters `printable` removes or
    marks are written as JSON escapes ("\\u202e") instead, so the data stays the same."""
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


# A lone surrogate cannot be encoded: it is how Python keeps a byte that was not UTF-8
# (U+DC80–U+DCFF, the surrogateescape of argv and the environment), or half of a pair.
_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_text(data: bytes | str) -> tuple[str, int]:
    """Text from bytes, or from a str that may hold surrogate escapes (argv), with every
    byte that is not UTF-8 replaced by U+FFFD; and how many were replaced."""
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    return _SURROGATE.subn("\ufffd", text)
