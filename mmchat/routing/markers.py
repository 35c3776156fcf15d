"""What a prompt's prose asks for: math, multi-step reasoning, how complex the question is, how long an answer.

Words are looked up in the set of the prose's words, and a phrase is searched
for (as a substring) only when its key word is in that set: a long prompt
costs one split, where an alternation of regular expressions would take
milliseconds.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation.replace("'", "") + "\n\r\t“”‘’«»¿¡…–—،؛؟"})


# A long prompt's request is at its start or its end (a pasted document sits in the middle):
# words are read from there only, which bounds the cost. Code and secrets are looked for everywhere.
HEAD_CHARS = 3000
TAIL_CHARS = 1500


@dataclass(frozen=True)
class Words:
    sample: str  # the prose read for words: all of it, or its head and tail
    text: str  # the sample in lower case, punctuation as spaces, a space at each end
    set: frozenset[str]

    @classmethod
    def of(cls, prose: str) -> Words:
        sample = prose if len(prose) <= HEAD_CHARS + TAIL_CHARS else f"{prose[:HEAD_CHARS]}\n{prose[-TAIL_CHARS:]}"
        text = f" {sample.lower().translate(_PUNCTUATION)} "
        return cls(sample, text, frozenset(text.split()))


Phrases = tuple[tuple[str, str, str | None], ...]  # (label, key word, the whole phrase or None for one word)


def phrases(*entries: str) -> Phrases:
    """A phrase's key is its longest (so rarest) word: the phrase is searched for only when the key is there."""
    return tuple((e, max(e.split(), key=len), f" {e} " if " " in e else None) for e in entries)


def found(words: Words, phrases: Phrases) -> list[str]:
    return [label for label, key, phrase in phrases if key in words.set and (phrase is None or phrase in words.text)]


_MATH_WORDS = phrases(
    "integral", "integrals", "derivative", "derivatives", "differentiate", "equation", "equations", "theorem",
    "lemma", "prove that", "probability", "eigenvalue", "eigenvalues", "eigenvector", "eigenvectors", "polynomial",
    "polynomials", "logarithm", "factorise", "factorize", "solve for", "modulo", "convergence", "converges",
    "combinatorics", "calculus",
)
# π counts only outside Greek words ("πώς" is Greek for "how").
_MATH_SYMBOLS = re.compile(r"[∫∑∏√∞≤≥≠≈∂∇]|(?<![\u0370-\u03ff])π(?![\u0370-\u03ff])")
_TEX = ("\\frac", "\\int", "\\sum", "\\sqrt", "\\lim", "\\partial", "\\infty", "\\mathbb", "\\cdot", "\\alpha",
        "\\theta", "\\lambda")
_INLINE_TEX = re.compile(r"\$[^$\n]{1,80}[=^_\\][^$\n]{0,80}\$")
_POWER = re.compile(r"(?:\b[a-z]|\)|\d)\s*\^\s*\d")  # x^2, (x+1)^2, 2^100
_EQUATION = re.compile(r"\b\d*[a-z]\s*[+\-*/]\s*\d+\s*=\s*-?\d")  # 2x + 3 = 7
_AROUND = 24  # characters looked at around each '^' or '='
_LOOKS = 20  # occurrences looked at

_REASONING = phrases(
    "step by step", "think carefully", "think hard", "think through", "reason about", "reason through", "prove",
    "derive", "trade off", "trade offs", "tradeoff", "tradeoffs", "pros and cons", "compare", "analyze", "analyse",
    "architecture", "design", "root cause", "debug", "debugging", "optimize", "optimise", "evaluate", "why",
    "what would happen", "plan", "strategy", "in depth", "rigorous", "rigorously", "edge cases", "refactor",
    "justify",
)
# Searched in "\n" + text: the literal line break first keeps the search fast.
_LIST_ITEM = re.compile(r"\n[ \t]{0,8}(?:\d{1,3}[.)]|[-*•])[ \t]+\S")


def list_items(text: str) -> int:
    """The lines of `text` that start a numbered or bulleted list item."""
    return len(_LIST_ITEM.findall("\n" + text))


_SHORT = phrases("briefly", "brief", "short", "shortly", "one line", "one sentence", "one word", "in a word", "tldr",
                  "tl dr", "yes or no", "concise", "concisely")
_LONG = phrases("in detail", "detailed", "thorough", "thoroughly", "comprehensive", "full code", "full implementation",
                 "full example", "essay", "complete code", "complete program", "complete implementation")


def has_math(prose: str, words: Words) -> bool:
    if found(words, _MATH_WORDS):
        return True
    if not prose.isascii() and _MATH_SYMBOLS.search(prose):
        return True
    if "\\" in prose and any(command in prose for command in _TEX):
        return True
    if "$" in prose and ("$$" in prose or _INLINE_TEX.search(prose)):
        return True
    return _near(prose, "^", _POWER) or _near(prose, "=", _EQUATION)


def _near(prose: str, mark: str, pattern: re.Pattern[str]) -> bool:
    """`pattern` found in the few characters around one of the first occurrences of `mark`."""
    at = prose.find(mark)
    for _ in range(_LOOKS):
        if at < 0:
            return False
        if pattern.search(prose, max(0, at - _AROUND), at + _AROUND):
            return True
        at = prose.find(mark, at + 1)
    return False


def reasoning_markers(words: Words) -> tuple[str, ...]:
    """The distinct multi-step/reasoning phrases found."""
    return tuple(found(words, _REASONING))


def complexity(words: Words, tokens: int, *, intent: str, reasoning: int) -> str:
    """'simple', 'moderate' or 'complex': a light intent is simple, a reasoning one complex; between
    them size, markers and structure decide, and nothing else is ever simple."""
    if intent == "light":
        return "simple"
    if intent == "reasoning":
        return "complex"
    score = min(reasoning, 3) + (intent == "code")
    score += (tokens > 300) + (tokens > 1500)
    score += words.sample.count("?") >= 2
    score += list_items(words.sample) >= 3
    return "complex" if score >= 4 else "moderate"


def answer_length(words: Words) -> str:
    """'short', 'long' or 'normal': what the prompt asks of the answer's length."""
    if found(words, _SHORT):
        return "short"
    if found(words, _LONG):
        return "long"
    return "normal"
