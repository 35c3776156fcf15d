"""Deciding a check on an answer's text: every kind but judge, which needs a model (the runner's job)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from mmchat.bench.suite import Check
from mmchat.store.bench_records import CheckOutcome

# A number not glued to a word or to a previous number's dot: an optional minus (ASCII or
# U+2212), then digits with commas between groups of three, or plain digits, then decimals.
_NUMBER = re.compile(
    r"(?<![\w.])[-\u2212]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
    r"|(?<![\w.])[-\u2212]?\.\d+"
)
# A fenced block: its language tag and body (a block's closing fence never opens the next).
_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
_SHOWN = 40  # characters of a text quoted in a detail


def evaluate(check: Check, text: str) -> CheckOutcome:
    """The outcome of `check` on the answer `text` (ValueError for a judge check)."""
    decide = _DECIDERS.get(check.kind)
    if decide is None:
        raise ValueError("a judge check needs a model: the runner decides it" if check.kind == "judge"
                         else f"unknown check kind {check.kind!r}")
    passed, detail = decide(check, text)
    return CheckOutcome(kind=check.kind, passed=passed, detail=detail)


def result_passed(outcomes: Sequence[CheckOutcome]) -> bool | None:
    """An answer's verdict from its checks: failed when one failed, else undecided (None)
    when one could not be decided, else passed (an answer with no checks passes)."""
    if any(o.passed is False for o in outcomes):
        return False
    return None if any(o.passed is None for o in outcomes) else True


def last_number(text: str) -> float | None:
    """The last number written in `text`, or None."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    return float(found[-1].replace(",", "").replace("\u2212", "-"))


def json_text(text: str) -> str:
    """What a json check parses: the first fenced block (```json or ```), else the whole answer."""
    for fence in _FENCE.finditer(text):
        if fence.group(1).lower() in ("", "json"):
            return fence.group(2).strip()
    return text.strip()


def _contains(check: Check, text: str) -> tuple[bool, str]:
    found = _fold(check.text or "", check) in _fold(text, check)
    return found, f"{'found' if found else 'missing'} {_quote(check.text or '')}"


def _not_contains(check: Check, text: str) -> tuple[bool, str]:
    found = _fold(check.text or "", check) in _fold(text, check)
    return not found, f"{'found' if found else 'no'} {_quote(check.text or '')}"


def _regex(check: Check, text: str) -> tuple[bool, str]:
    match = re.search(check.pattern or "", text, 0 if check.case_sensitive else re.IGNORECASE)
    if match is None:
        return False, f"no match for /{check.pattern}/"
    return True, f"matched {_quote(match.group(0))}"


def _equals(check: Check, text: str) -> tuple[bool, str]:
    expected = check.text or ""
    answer = text.strip()
    if _fold(answer, check) == _fold(expected, check):
        return True, f"equals {_quote(expected)}"
    return False, f"expected {_quote(expected)}, got {_quote(answer)}"


def _number(check: Check, text: str) -> tuple[bool, str]:
    expected = check.number if check.number is not None else 0.0
    wanted = _show(expected) + (f" ± {_show(check.tolerance)}" if check.tolerance else "")
    found = last_number(text)
    if found is None:
        return False, f"no number, expected {wanted}"
    # A little slack for binary fractions: 0.1 + 0.2 is within 0.3 ± 0.
    passed = abs(found - expected) <= check.tolerance + 1e-9 * max(1.0, abs(expected))
    return passed, f"last number {_show(found)}, expected {wanted}"


def _json(check: Check, text: str) -> tuple[bool, str]:
    try:
        value = json.loads(json_text(text))
    except json.JSONDecodeError as exc:
        return False, f"invalid JSON: {exc.msg} at {exc.lineno}:{exc.colno}"
    if not check.keys:
        return True, "valid JSON"
    if not isinstance(value, dict):
        return False, f"JSON {type(value).__name__ if value is not None else 'null'}, not an object"
    missing = [key for key in check.keys if key not in value]
    if missing:
        return False, f"missing keys: {', '.join(missing)}"
    return True, f"JSON object with {', '.join(check.keys)}"


def _length(check: Check, text: str) -> tuple[bool, str]:
    size = len(text.strip())
    if check.min_chars is not None and size < check.min_chars:
        return False, f"{size} chars, min {check.min_chars}"
    if check.max_chars is not None and size > check.max_chars:
        return False, f"{size} chars, max {check.max_chars}"
    return True, f"{size} chars"


_DECIDERS: dict[str, Callable[[Check, str], tuple[bool, str]]] = {
    "contains": _contains,
    "not_contains": _not_contains,
    "regex": _regex,
    "equals": _equals,
    "number": _number,
    "json": _json,
    "length": _length,
}


def _fold(text: str, check: Check) -> str:
    return text if check.case_sensitive else text.casefold()


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= _SHOWN else flat[: _SHOWN - 1] + "…")


def _show(number: float) -> str:
    """42.0 as '42', 41.5 as '41.5'."""
    number = float(number)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
