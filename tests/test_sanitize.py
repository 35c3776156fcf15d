"""mmchat.sanitize: model and user text made safe to show, and input bytes made text."""

from __future__ import annotations

from mmchat.sanitize import utf8_text


def test_utf8_text_replaces_each_invalid_byte_and_counts_them():
    assert utf8_text("caf\xe9 \u2713".encode()) == ("caf\xe9 \u2713", 0)  # valid UTF-8 is left alone
    assert utf8_text(b"caf\xe9 cr\xe8me") == ("caf\ufffd cr\ufffdme", 2)
    assert utf8_text(b"\xed\xa0\x80") == ("\ufffd" * 3, 3)  # an encoded surrogate is not UTF-8 either


def test_utf8_text_of_an_argument_with_surrogate_escapes():
    assert utf8_text(b"caf\xe9".decode("utf-8", "surrogateescape")) == ("caf\ufffd", 1)
    assert utf8_text("half \ud83d pair") == ("half \ufffd pair", 1)
    assert utf8_text("plain") == ("plain", 0)
