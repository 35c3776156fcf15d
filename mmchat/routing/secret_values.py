"""What a found value is: a placeholder someone typed ('your-key-here', 'xxxx', AWS's documented
examples), a key that says it is fake, or a random one, as generated keys are; and
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
                      "dummy", "sample", "<", ">", "{{", "${", "...", "…", "****", "••",
                      # references a secrets manager resolves at run time
                      "vault:", "op://", "ssm:", "arn:aws:secretsmanager", "akv:", "sm://", "gcp:secretmanager")
_PLACEHOLDER_WORDS = ("your", "here", "xxxx", "todo")
# A key that says it is not one ('ghp_FAKE…', 'sk-demo-…'). Nothing else counts as made up: a
# typed run such as 'abcdef123456' or a value with 'secret' or 'test' in it may be a real one
# (Stripe's sk_test_ keys are credentials), and when in doubt a turn stays local.
_MADE_UP_WORDS = ("fake", "demo")
_SHORT_WORD = re.compile(r"(?<![a-z])(?:your|here|xxxx|todo|fake|demo)(?![a-z])", re.I)
_SAME_CHAR_RUN = re.compile(r"(.)\1{5}")
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
    """A key that stands for one: a placeholder, or one that says it is fake ('ghp_FAKE_for_docs')."""
    lower = token.lower()
    return placeholder(token) or (any(word in lower for word in _MADE_UP_WORDS)
                                  and _has_short_word(token, _MADE_UP_WORDS))


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
