"""What a found value is: a placeholder someone typed ('your-key-here', 'xxxx', AWS's documented
examples), a made-up key ('sk-test-0123456789abcdef'), or a random one, as generated keys are; and
the spans of the text where credentials were found, kept apart."""

from __future__ import annotations

import math
import re
from bisect import bisect_right

Span = tuple[str, int, int]  # kind, start, end


class Spans:
    """The credentials found so far, none overlapping another: a text's first finding of a place wins
    (a GitHub token is not also a 'secret value'). Overlaps are found by bisection, so a text with
    thousands of keys costs no more per key than one with a few."""

    def __init__(self) -> None:
        self.items: list[Span] = []
        self._starts: list[int] = []
        self._ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, start)
        return (i > 0 and self._ends[i - 1] > start) or (i < len(self._starts) and self._starts[i] < end)

    def add(self, span: Span) -> bool:
        """Keeps `span` unless it overlaps one already kept; says whether it did."""
        _, start, end = span
        if self.overlaps(start, end):
            return False
        i = bisect_right(self._starts, start)
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        self.items.append(span)
        return True


_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
# Text that stands for a value: these anywhere; the short words below only apart from other letters
# (sk-your-key-here, YOUR_TOKEN_HERE), as inside a random key they turn up by chance.
_PLACEHOLDER_PARTS = ("example", "placeholder", "changeme", "change_me", "change-me", "redacted", "replace", "insert",
                      "dummy", "sample", "<", ">", "{{", "${", "...", "…", "****", "••")
_PLACEHOLDER_WORDS = ("your", "here", "xxxx", "todo")
# What makes a key one someone typed to stand for a key (a generated key has none of these, but
# for one in millions or so): the placeholders, these words, a run such as '01234' or 'abcde'.
_MADE_UP_PARTS = ("secret", "token", "password")
_MADE_UP_WORDS = ("test", "fake", "demo")
_SHORT_WORD = re.compile(r"(?<![a-z])(?:your|here|xxxx|todo|test|fake|demo)(?![a-z])", re.I)
_SAME_CHAR_RUN = re.compile(r"(.)\1{5}")
_ALIKE_RUN = re.compile(r"\d{5,}|[a-z]{5,}|[A-Z]{5,}")
_NOT_KEY_CHARS = frozenset("[]{}\\|,;<> \t")  # in code and prose, never in a generated key
_WORDS = re.compile(r"(?<![A-Za-z0-9])[a-z]{2,}(?![A-Za-z0-9])|[A-Z][a-z]{3,}(?![a-z])")


def lower_case(text: str) -> str:
    """`text` in lower case, each character where it was (İ's lower case is two characters long)."""
    lower = text.lower()
    return lower if len(lower) == len(text) else "".join(c.lower()[0] for c in text)


def placeholder(value: str) -> bool:
    """Text that stands for a value: 'your-key-here', 'xxxxxxxx', '<token>', AWS's documented examples."""
    lower = value.lower()
    return (any(part in lower for part in _PLACEHOLDER_PARTS) or _SAME_CHAR_RUN.search(value) is not None
            or (any(word in lower for word in _PLACEHOLDER_WORDS) and _has_short_word(value, _PLACEHOLDER_WORDS)))


def made_up(token: str) -> bool:
    """A key someone typed to stand for one: a placeholder, 'secret' or 'test' in it, '0123456789abcdef'."""
    lower = token.lower()
    if placeholder(token) or any(part in lower for part in _MADE_UP_PARTS):
        return True
    if any(word in lower for word in _MADE_UP_WORDS) and _has_short_word(token, _MADE_UP_WORDS):
        return True
    return any(_ascending_five(run) for run in _ALIKE_RUN.findall(token))


def _ascending_five(run: str) -> bool:
    steps = 0
    for a, b in zip(run, run[1:]):
        steps = steps + 1 if ord(b) - ord(a) == 1 else 0
        if steps == 4:
            return True
    return False


def _has_short_word(value: str, words: tuple[str, ...]) -> bool:
    return any(m.group().lower() in words for m in _SHORT_WORD.finditer(value))


def looks_random(value: str, min_length: int = 12) -> bool:
    """Long, letters and digits, high entropy, not words nor a run like 'abcdef123456': a generated key."""
    if len(value) < min_length or made_up(value):
        return False
    if not _NOT_KEY_CHARS.isdisjoint(value) or not has_letter(value):
        return False
    # letters and digits, or (20 characters or more) both cases: a generated key has these
    mixed = has_digit(value) or (len(value) >= 20 and not value.islower() and not value.isupper())
    return mixed and entropy(value) >= 3.0 and not wordy(value)


def has_digit(value: str) -> bool:
    return _DIGIT.search(value) is not None


def has_letter(value: str) -> bool:
    return _LETTER.search(value) is not None


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in map(value.count, set(value)))


def wordy(value: str) -> bool:
    """Mostly words: my-app-client-credentials, env-key-of-odd-shape-31, PKCS7PrivateKeyTypes."""
    words = sum(len(w) for w in _WORDS.findall(value))
    return words >= 0.6 * len(value)
