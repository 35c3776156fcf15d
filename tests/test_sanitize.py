"""mmchat.sanitize: model and user text made safe to show, and input bytes made text."""

from __future__ import annotations

import json

from mmchat.sanitize import printable, printable_json, utf8_text


def test_utf8_text_replaces_each_invalid_byte_and_counts_them():
    assert utf8_text("caf\xe9 \u2713".encode()) == ("caf\xe9 \u2713", 0)  # valid UTF-8 is left alone
    assert utf8_text(b"caf\xe9 cr\xe8me") == ("caf\ufffd cr\ufffdme", 2)
    assert utf8_text(b"\xed\xa0\x80") == ("\ufffd" * 3, 3)  # an encoded surrogate is not UTF-8 either


def test_utf8_text_of_an_argument_with_surrogate_escapes():
    assert utf8_text(b"caf\xe9".decode("utf-8", "surrogateescape")) == ("caf\ufffd", 1)
    assert utf8_text("half \ud83d pair") == ("half \ufffd pair", 1)
    assert utf8_text("plain") == ("plain", 0)


# What "Trojan Source" (CVE-2021-42574) hides behind: the text reads one way, shows another.
DISGUISED = 'access = "user\u202e \u2066// admin only\u2069 \u2066"'
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_printable_shows_every_bidirectional_control_as_a_marker():
    assert printable(DISGUISED) == 'access = "user<U+202E> <U+2066>// admin only<U+2069> <U+2066>"'
    shown = printable(BIDI)
    assert shown == "".join(f"<U+{ord(c):04X}>" for c in BIDI)
    assert not set(BIDI) & set(shown)


def test_printable_still_removes_terminal_controls_and_keeps_other_text():
    assert printable("a\x1b[2Jb\x9b31m\r\nc\td \u05e9\u05dc\u05d5\u05dd \u200d\U0001f600") == (
        "a[2Jb31m\nc\td \u05e9\u05dc\u05d5\u05dd \u200d\U0001f600"  # right-to-left letters and emoji joiners stay
    )


def test_printable_of_the_pieces_of_a_stream_is_printable_of_the_whole():
    text = "x\u202ey\r\nz\x1b[1m\u2069"
    pieces = [text[i : i + 2] for i in range(0, len(text), 2)]
    assert "".join(printable(p) for p in pieces) == printable(text)
    assert printable(printable(text)) == printable(text)  # a marker is plain text


def test_printable_json_escapes_instead_so_the_data_is_unchanged():
    value = {"content": DISGUISED + "\x85\x1b"}
    text = json.dumps(value, ensure_ascii=False)
    shown = printable_json(text)
    assert json.loads(shown) == value
    assert not (set(BIDI) | {"\x85", "\x1b"}) & set(shown)
    assert "\\u202e" in shown
