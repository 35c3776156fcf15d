"""A command's prompt: from its arguments, or else piped on stdin, as UTF-8 text."""

from __future__ import annotations

import sys

from mmchat.sanitize import utf8_text


def read_prompt(given: str | None, command: str) -> str | None:
    """`given` (the prompt words joined), or else piped stdin; '' when there is neither; None when
    stdin is refused (said why on stderr).

    Bytes that are not UTF-8 (a latin-1 file, `git diff` of one) are replaced by U+FFFD with a
    one-line warning: the rest of the text is still worth reading. NUL bytes are refused: they
    mean binary input (an image, a UTF-16 file), which no model reads as a prompt.
    """
    if given:
        text, replaced = utf8_text(given)  # argv keeps non-UTF-8 bytes as surrogates
        where = "the prompt"
    elif sys.stdin is not None and not sys.stdin.isatty():
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        if ("\0" if isinstance(data, str) else b"\0") in data:
            print(f"mmchat: stdin looks binary (NUL bytes): pipe text to `mmchat {command}`, not a file such as "
                  "an image", file=sys.stderr)
            return None
        text, replaced = utf8_text(data)
        where = "stdin"
    else:
        return ""
    if replaced:
        print(f"mmchat: {where} is not valid UTF-8: replaced {replaced} byte{'s' * (replaced != 1)} with U+FFFD",
              file=sys.stderr)
    return text
