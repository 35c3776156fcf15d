"""Secrets and personal data in a prompt, by kind only: the values themselves are never kept.

Each key shape is looked for only when its prefix occurs in the text (a fast
literal search), so a long prompt without any costs one quick scan per shape.
"""

from __future__ import annotations

import re

# (a quick scan that must find something first, ((kind, pattern), ...)): one scan per prefix.
_SHAPES: tuple[tuple[re.Pattern[str], tuple[tuple[str, re.Pattern[str]], ...]], ...] = tuple(
    (re.compile(trigger), tuple((kind, re.compile(pattern)) for kind, pattern in shapes))
    for trigger, shapes in (
        ("sk-", (("anthropic-key", r"(?<![\w-])sk-ant-[A-Za-z0-9_\-]{20,}"),
                 ("openai-key", r"(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?([A-Za-z0-9_\-]{20,})"))),
        ("AIza", (("google-key", r"(?<![\w-])AIza[0-9A-Za-z_\-]{35}(?![\w-])"),)),
        ("gh[pousr]_|github_pat_",
         (("github-token", r"(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})"),)),
        ("A[KS]IA", (("aws-access-key", r"(?<![A-Z0-9])(?:AKIA|ASIA)([0-9A-Z]{16})(?![A-Z0-9])"),)),
        ("xox", (("slack-token", r"(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}"),)),
        ("_live_", (("stripe-key", r"(?<![\w-])(?:sk|rk)_live_[A-Za-z0-9]{20,}"),)),
        ("eyJ", (("jwt", r"(?<![\w-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),)),
        ("PRIVATE KEY", (("private-key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"),)),
    )
)
SECRET_KINDS = tuple(sorted(kind for _, shapes in _SHAPES for kind, _ in shapes))
PERSONAL_KINDS = ("card", "email")

# Matched from the '@' (a fast literal search); the local part is read backwards from there.
_EMAIL_DOMAIN = re.compile(r"@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![\w-])")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
# Domains reserved for examples and tests (RFC 2606, RFC 6761), and addresses that name no one.
_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "example", "test", "invalid", "localhost", "local")
_NOT_PEOPLE = frozenset({"git", "noreply", "no-reply", "user", "username", "you", "your", "name", "foo", "bar"})

_CARD = re.compile(r"\d(?:[ -]?\d){12,18}(?!\d)")
_NOT_DIGITS = bytes(b for b in range(256) if not 48 <= b <= 57)
# Numbers payment networks publish for testing: not anyone's card.
_TEST_CARDS = frozenset({
    "4111111111111111", "4242424242424242", "4012888888881881", "4000056655665556", "5555555555554444",
    "5105105105105100", "2223003122003222", "378282246310005", "371449635398431", "6011111111111117",
    "3056930009020004", "3566002020360505", "4000000000000002", "5200828282828210",
})


def find_secrets(text: str) -> tuple[str, ...]:
    """Kinds of credentials in `text` (sorted, each once)."""
    found = []
    for trigger, shapes in _SHAPES:
        if trigger.search(text):
            found += [kind for kind, pattern in shapes if any(_plausible(kind, m) for m in pattern.finditer(text))]
    return tuple(sorted(found))


def _plausible(kind: str, match: re.Match[str]) -> bool:
    """Rules out placeholders such as sk-your-key-here-xxxxxxxxxxxxxxxx or AWS's documented example key."""
    if kind == "openai-key":
        body = match.group(1)
        return any(c.isdigit() for c in body) and any(c.isalpha() for c in body) and body.count("-") <= 4
    if kind == "aws-access-key":
        return "EXAMPLE" not in match.group(1)
    return True


def find_personal(text: str) -> tuple[str, ...]:
    """Kinds of personal data in `text`: 'card' (passes the Luhn check), 'email'."""
    found = []
    if _has_card(text):
        found.append("card")
    if "@" in text and any(_is_personal_email(text, m) for m in _EMAIL_DOMAIN.finditer(text)):
        found.append("email")
    return tuple(found)


def _is_personal_email(text: str, match: re.Match[str]) -> bool:
    start = match.start()
    while start > 0 and text[start - 1] in _LOCAL_CHARS:
        start -= 1
    local, domain = text[start:match.start()].lower().strip("."), match.group(1).lower()
    if not local or local in _NOT_PEOPLE:
        return False
    return not any(domain == d or domain.endswith("." + d) for d in _EXAMPLE_DOMAINS)


def _has_card(text: str) -> bool:
    # A card has 13 digits at least; UTF-8 encodes nothing else with the bytes of ASCII digits.
    if len(text.encode().translate(None, _NOT_DIGITS)) < 13:
        return False
    for match in _CARD.finditer(text):
        if match.start() and text[match.start() - 1] in "0123456789.,-":
            continue  # part of a longer number, a decimal or a range
        raw = match.group()
        if " " in raw and "-" in raw:
            continue  # mixed separators: a table of figures, not a card
        digits = raw.replace(" ", "").replace("-", "")
        if _issuer_known(digits) and luhn_valid(digits) and digits not in _TEST_CARDS:
            return True
    return False


def _issuer_known(digits: str) -> bool:
    """The number starts as a payment network's cards do, with a length that network uses."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16  # Mastercard
    if two in (34, 37):
        return n == 15  # American Express
    if digits.startswith(("6011", "65")) or 644 <= int(digits[:3]) <= 649:
        return 16 <= n <= 19  # Discover
    if 3528 <= four <= 3589:
        return 16 <= n <= 19  # JCB
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return n == 14  # Diners Club
    return False


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
