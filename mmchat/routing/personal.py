"""Personal data in a text: card numbers, IBANs, national identifiers, emails and phone numbers.

A check digit or a word next to the number keeps false alarms down. Numbers are read from one
scan for runs of digits (with single spaces or dashes between groups), so a text with few
digits costs little. Emails and phone numbers count only in prose: code is full of addresses
that name no one (authors, fixtures, config samples).
"""

from __future__ import annotations

import re
from collections import Counter

from mmchat.routing.secret_values import Span
from mmchat.routing.code import find_code

LABELS = {
    "card": "card number", "email": "email address", "iban": "IBAN", "ssn": "US Social Security number",
    "uk-nino": "UK National Insurance number", "passport": "passport number", "de-tax-id": "German tax ID",
    "nhs-number": "NHS number", "phone": "phone number",
}

# Digits -> '0', space and '-' -> 's', the rest -> 'x': runs of digits are found on this mask
# with a regular expression that starts with a literal, far faster than \d over the text.
_NUMBER_MASK = bytes(48 if 48 <= b <= 57 else 115 if b in (32, 45) else 120 for b in range(256))
_RUN = re.compile(rb"0(?<!00)0*(?:s0+)+|0(?<!00)0{5,}")  # digit groups with single separators, or 6 digits
_GROUP = re.compile(r"\d+")
_CARD_STRETCH = re.compile(rb"0(?<!00)00+(?:s000+)*")  # groups of 3 digits or more, single separators
_SSN_DASHED = re.compile(r"(?<![\d-])\d{3}-\d\d-\d{4}(?![\d-])")
_NINE = re.compile(r"\d{9}|\d{3} \d\d \d{4}")  # SSN without dashes: 078 05 1120
_TEN = re.compile(r"\d{10}|\d{3}([ -])\d{3}\1\d{4}")  # NHS: 943 476 5919
_ELEVEN = re.compile(r"\d{11}|\d\d ?\d{3} ?\d{3} ?\d{3}")  # Steuer-ID: 86 095 742 719
_SIX = re.compile(r"\d{6}|\d\d ?\d\d ?\d\d")  # NI number: AB 12 34 56 C
_CONTEXT = 40  # characters before a number where a word that names it is looked for
_SSN_WORDS = ("ssn", "social security", "social-security", "my social", "social is", "social number")
_NHS_WORDS = ("nhs",)
_TAX_WORDS = ("steuer", "idnr", "identifikationsnummer", "tax id", "tax-id", "tin")
_PHONE_WORDS = re.compile(  # Tel., phone_number, Handynummer ...
    r"(?:\b(?:phone|tel|mobile?|mob|cell|fax|whatsapp|call me|callback|telefon|handy|t[ée]l[ée]phone|tel[ée]fono"
    r"|m[óo]vil|portable)|携帯|電話|手机|电话|휴대폰|전화)"
    r"(?:[_ -]?(?:number|nummer|no))?\b"
)
_PHONE_HINTS = ("phone", "tel", "mobil", "mob", "cell", "fax", "whatsapp", "call me", "callback", "handy", "portable",
                "móvil", "携帯", "電話", "手机", "电话", "휴대폰", "전화")
_PHONE_START = re.compile(r"[+(]?[\d()./ -]*?(?=\d)")  # from '+' or '(' or a digit, up to a run
_PASSPORT_WORDS = ("passport", "reisepass", "passeport", "pasaporte", "passaporto", "paszport", "паспорт")
_PASSPORT = re.compile(r"[^\n]{0,30}?(?<![A-Z0-9])([A-Z0-9]{6,9})(?![A-Za-z0-9])")

# IBAN lengths by country (SWIFT's registry).
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})(\d\d)((?: ?[A-Z0-9]){10,30})")
_NINO_BEFORE = re.compile(r"(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\Z")
_NINO_AFTER = re.compile(r" ?[A-D](?![A-Za-z0-9])")
_NOT_NINO = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")

# Matched from the '@' (a fast literal search); the local part is read backwards from there.
_EMAIL_DOMAIN = re.compile(r"@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![\w-])")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
# Domains reserved for examples and tests (RFC 2606, RFC 6761) or used as placeholders.
_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "example", "test", "invalid", "localhost", "local",
                    "domain.com", "yourdomain.com", "mydomain.com", "company.com", "yourcompany.com", "email.com",
                    "openssh.com",  # SSH algorithm names: aes256-gcm@openssh.com
                    "gserviceaccount.com")  # Google service accounts: a robot
_NOT_PEOPLE = frozenset({"git", "noreply", "no-reply", "donotreply", "do-not-reply", "user", "username", "you",
                         "your", "name", "me", "foo", "bar", "someone", "somebody", "email", "mail", "test",
                         "firstname.lastname", "first.last", "john.doe", "jane.doe",
                         # role addresses: a desk, not a person
                         "support", "info", "sales", "contact", "help", "hello", "team", "security", "billing",
                         "privacy", "admin", "webmaster", "postmaster", "abuse", "hostmaster", "root", "office",
                         "jobs", "careers", "press", "legal", "feedback", "notifications", "alerts"})


def find_personal(text: str, lower: str, prose: str | None = None) -> list[Span]:
    """Personal data in `text` (`lower` is it in lower case); `prose` is the text with code blanked
    out (worked out when needed)."""
    found: list[Span] = []
    mask = text.encode("ascii", "replace").translate(_NUMBER_MASK)
    digits = mask.count(b"0")
    if "@" in text or digits >= 7:
        prose = find_code(text).prose if prose is None else prose
    if digits >= 3:
        found += _passports(text, lower)
        if "<<" in text:
            found += [("passport", m.start(), m.end()) for m in _MRZ.finditer(text)]
        if digits >= 6:
            found += _numbers(text, mask, lower, prose or text)
        if digits >= 13:
            found += _split_cards(text)
        if digits >= 6 and not text.isupper():
            found += _lower_case_ids(text)
    if "@" in text:
        found += _emails(prose or text)
        if "mailto:" in lower:  # a link to write to someone, inside HTML or not
            found += [("email", m.start(1), m.end(1)) for m in _MAILTO.finditer(text)
                      if _names_someone(*m.group(1).split("@", 1))]
    return found


# A card written in groups of four with dots or across two lines: 4539.2414.0419.1522, '4916 8025\n9151 5295'.
_SPLIT_CARD = re.compile(
    r"(?<![\d.])\d{4}(?:[ .-]{1,2}|\r?\n)\d{4,6}(?:[ .-]{1,2}|\r?\n)\d{4,5}(?:(?:[ .-]{1,2}|\r?\n)\d{1,4})?(?![\d])"
)
_LOWER_IBAN = re.compile(r"(?<![A-Za-z0-9])([a-z]{2}\d\d(?: ?[a-z0-9]){10,30})(?![A-Za-z0-9])")
_LOWER_NINO = re.compile(r"(?<![A-Za-z0-9])([a-z]{2} ?\d\d ?\d\d ?\d\d ?[a-d])(?![A-Za-z0-9])")
_MAILTO = re.compile(r"mailto:([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")


def _split_cards(text: str) -> list[Span]:
    found: list[Span] = []
    for match in _SPLIT_CARD.finditer(text):
        digits = "".join(c for c in match.group() if c.isdigit())
        if 13 <= len(digits) <= 19 and _issuer_known(digits) and luhn_valid(digits):
            found.append(("card", match.start(), match.end()))
    return found


def _lower_case_ids(text: str) -> list[Span]:
    """IBANs and National Insurance numbers typed in lower case (de28 1007 …, ek905525b)."""
    found: list[Span] = []
    for match in _LOWER_IBAN.finditer(text):
        upper = match.group(1).upper()
        span = _iban_near(upper, 2, len(upper))
        if span is not None:
            found.append(("iban", match.start(1), match.end(1)))
    for match in _LOWER_NINO.finditer(text):
        upper = match.group(1).upper().replace(" ", "")
        if upper[:2] not in _NOT_NINO and _NINO_BEFORE.search(upper[:2]) and _NINO_AFTER.match(upper, 8):
            found.append(("uk-nino", match.start(1), match.end(1)))
    return found


# --- numbers ----------------------------------------------------------------------------------


def _numbers(text: str, mask: bytes, lower: str, prose: str) -> list[Span]:
    found: list[Span] = []
    phones: bool | None = None  # whether the text has a '+' or a word for phones: worked out once, if needed
    for run in _RUN.finditer(mask):
        start, end = run.span()
        digits = mask.count(b"0", start, end)
        if digits < 6:
            continue
        if digits >= 8 and _after_capital(text, start):
            iban = _iban_near(text, start, end)
            if iban is not None:
                found.append(iban)
                continue
        if digits >= 9 and mask.find(b"000s00s0000", start, end) >= 0:
            found += [("ssn", m.start(), m.end()) for m in _SSN_DASHED.finditer(text, start, end)
                      if _ssn_valid(m.group().replace("-", ""))]
        if digits <= 11:
            found += _identifiers(text, lower, start, text[start:end], digits)
        elif digits >= 13 and text[start - 1:start] != ".":  # not a decimal fraction
            found += _cards(text, mask, start, end)
        if 7 <= digits <= 15 and prose[start] == text[start]:
            if phones is None:
                phones = ("+" in prose or any(w in lower for w in _PHONE_HINTS)
                          or _NATIONAL_MOBILE.search(text) is not None)
            if phones:
                found += _phone(text, mask, lower, start, end)
    return found


def _identifiers(text: str, lower: str, start: int, number: str, digits: int) -> list[Span]:
    """An SSN without dashes, NHS number, German tax ID or National Insurance number: 6 to 11 digits."""
    end = start + len(number)
    if digits == 9 and _NINE.fullmatch(number) and _near(lower, start, end, _SSN_WORDS):
        return [("ssn", start, end)] if _ssn_valid(number.replace(" ", "")) else []
    if digits == 10 and _TEN.fullmatch(number) and _near(lower, start, end, _NHS_WORDS):
        return [("nhs-number", start, end)] if _nhs_valid(number.replace(" ", "").replace("-", "")) else []
    if digits == 11 and _ELEVEN.fullmatch(number) and _near(lower, start, end, _TAX_WORDS):
        return [("de-tax-id", start, end)] if _tax_id_valid(number.replace(" ", "")) else []
    if digits == 6 and _SIX.fullmatch(number) and _nino_around(text, start, end):
        return [("uk-nino", start, end)]
    return []


def _cards(text: str, mask: bytes, start: int, end: int) -> list[Span]:
    """Card numbers in a run: 13 to 19 digits in groups of 3 digits or more (a table of small
    figures is no card), from a known network and passing the Luhn check."""
    found: list[Span] = []
    for stretch in _CARD_STRETCH.finditer(mask, start, end):
        if stretch.end() - stretch.start() < 13:
            continue
        groups = [(m.start(), m.group()) for m in _GROUP.finditer(text, stretch.start(), stretch.end())]
        for i, (first, _) in enumerate(groups):
            digits = ""
            for at, group in groups[i:]:
                digits += group
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and _issuer_known(digits) and luhn_valid(digits):
                    found.append(("card", first, at + len(group)))
    return found


def _near(lower: str, start: int, end: int, words: tuple[str, ...]) -> bool:
    """A word that names the number stands before it, or just after ('Is 488-415-2387 a valid NHS number?')."""
    window = lower[max(0, start - 2 * _CONTEXT):start] + " " + lower[end:end + _CONTEXT]
    return any(w in window for w in words)


def _ssn_valid(digits: str) -> bool:
    """Area 001-899 but 666, group 01-99, serial 0001-9999 (the SSA's rules since 2011)."""
    area, group, serial = int(digits[:3]), digits[3:5], digits[5:]
    return 0 < area < 900 and area != 666 and group != "00" and serial != "0000"


def _nhs_valid(digits: str) -> bool:
    """Modulus 11 with weights 10..2 (NHS Data Dictionary)."""
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1))) % 11
    return (0 if check == 11 else check) == int(digits[9])


def _tax_id_valid(digits: str) -> bool:
    """The Steuerliche Identifikationsnummer: no leading zero, one digit repeated in the first ten,
    and its check digit (ISO 7064 MOD 11,10)."""
    repeated = [n for n in Counter(digits[:10]).values() if n > 1]
    if digits[0] == "0" or len(repeated) != 1 or repeated[0] > 3:
        return False
    product = 10
    for d in digits[:10]:
        total = (int(d) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10 == int(digits[10])


def _nino_around(text: str, start: int, end: int) -> bool:
    """Two prefix letters before the six digits and a suffix letter A-D after (HMRC's format)."""
    before = _NINO_BEFORE.search(text, max(0, start - 3), start)
    return (before is not None and before.group()[:2] not in _NOT_NINO
            and _NINO_AFTER.match(text, end) is not None)


def _issuer_known(digits: str) -> bool:
    """The number starts as a payment network's cards do, with a length that network uses."""
    n = len(digits)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16  # Mastercard
    if two in (34, 37):
        return n == 15  # American Express
    if digits.startswith(("6011", "65")) or 644 <= three <= 649:
        return 16 <= n <= 19  # Discover
    if 3528 <= four <= 3589:
        return 16 <= n <= 19  # JCB
    if two in (36, 38, 39) or 300 <= three <= 305:
        return n == 14 or 16 <= n <= 19  # Diners Club
    if two == 62 or 2200 <= four <= 2204:
        return 16 <= n <= 19  # UnionPay, Mir
    if four in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763):
        return 13 <= n <= 19  # Maestro
    return False


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _after_capital(text: str, start: int) -> bool:
    """A capital letter just before (DE89 3704 ..., NL91ABNA0417...) or before a space (GB29 NWBK 6016 ...)."""
    before = text[max(0, start - 2):start]
    return before[-1:].isupper() or (before[-1:] == " " and before[:1].isupper())


def _iban_near(text: str, start: int, end: int) -> Span | None:
    """An IBAN whose country code is at most 12 characters before this run of digits (GB29 NWBK 6016 ...)."""
    match = _IBAN.search(text, max(0, start - 12), end + 34)
    if match is None or match.start() > start:
        return None
    country, check, rest = match.groups()
    length = _IBAN_LENGTHS.get(country)
    bban = rest.replace(" ", "")
    if length is None or len(bban) < length - 4:
        return None
    bban = bban[:length - 4]
    number = int("".join(str(int(c, 36)) for c in bban + country + check))
    return ("iban", match.start(), match.end()) if number % 97 == 1 else None


def _phone(text: str, mask: bytes, lower: str, start: int, end: int) -> list[Span]:
    """The whole number, from its '+' or '(', of 7 to 15 digits, after a '+' or a word for phones."""
    begin = _PHONE_START.search(text, max(0, start - 12), start + 1).start()
    digits = "".join(c for c in text[begin:end] if c.isdigit())
    if not 7 <= len(digits) <= 15 or digits in "01234567890123456789":  # '+0123456789': a character set
        return []
    if _FICTIONAL.search(digits) and _PLACEHOLDER_WORDS.search(lower, max(0, begin - 80), end + 80):
        return []  # 555-0100 to 555-0199, reserved for fiction, said to be a placeholder
    if (text[begin] == "+" or _PHONE_WORDS.search(lower, max(0, begin - 25), begin)
            or _NATIONAL_MOBILE.search(text, begin, end)):
        return [("phone", begin, end)]
    return []


_FICTIONAL = re.compile(r"^1?\d{3}55501\d\d$")
_PLACEHOLDER_WORDS = re.compile(r"placeholder|example|fictional|fictitious|mock|dummy|sample|fake")
# Mobile numbers in their national form, distinctive enough to need no word before them:
# French 06 12 34 56 78 and 07 …, British 07700 900123.
_NATIONAL_MOBILE = re.compile(r"(?<![\d+])(?:0[67](?:[ .]?\d\d){4}|07\d{3} ?\d{6})(?!\d)")


# The machine-readable lines of a passport: 'P<' and the issuing country, the names, then a line of
# 44 capitals, digits and '<'.
_MRZ = re.compile(r"^P[A-Z<][A-Z<]{3}[A-Z]+<<[A-Z<]+\s*\n[A-Z0-9<]{44}\s*$", re.M)


def _passports(text: str, lower: str) -> list[Span]:
    """A passport number: 6 to 9 capitals and digits just after the word."""
    found: list[Span] = []
    for word in _PASSPORT_WORDS:
        at = lower.find(word)
        while at >= 0:
            match = _PASSPORT.match(text, at + len(word))
            number = match.group(1) if match is not None else ""
            # three digits at least, or one in a nine-character number (German passports: C01X00T47)
            if sum(c.isdigit() for c in number) >= 3 or (len(number) == 9 and any(c.isdigit() for c in number)):
                found.append(("passport", match.start(1), match.end(1)))
            at = lower.find(word, at + len(word))
    return found


# --- emails -------------------------------------------------------------------------------


def _emails(prose: str) -> list[Span]:
    """Addresses that name someone; not the login of a URL (https://user@host, postgres://app:pw@db)."""
    found: list[Span] = []
    for match in _EMAIL_DOMAIN.finditer(prose):
        start = match.start()
        while start > 0 and prose[start - 1] in _LOCAL_CHARS:
            start -= 1
        if prose[start - 1:start] not in (":", "/") and _names_someone(prose[start:match.start()], match.group(1)):
            found.append(("email", start, match.end()))
    return found


def _names_someone(local: str, domain: str) -> bool:
    local, domain = local.lower().strip("."), domain.lower()
    if not local or local in _NOT_PEOPLE or local.startswith("your") or "noreply" in domain:
        return False
    if domain.startswith("example."):  # example.ie, example.co.uk: written for an example
        return False
    return not any(domain == d or domain.endswith("." + d) for d in _EXAMPLE_DOMAINS)
