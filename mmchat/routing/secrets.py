"""Credentials and personal data in a text, by kind and line only: the values themselves are never kept.

scan(text) makes three passes, each cheap on a text without candidates:
- keys with a distinctive shape (ghp_..., AKIA..., -----BEGIN ... PRIVATE KEY-----): tried only
  where a long token starts with their prefix, or when their literal occurs in the text;
- values given to secret-like names (password, api_key, token ...), passwords in URLs
  and authorization headers (mmchat.routing.assignments);
- personal data: cards, IBANs, SSNs, emails ... (mmchat.routing.personal).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from mmchat.routing.assignments import LABELS as ASSIGNMENT_LABELS, find_assigned
from mmchat.routing.secret_values import Span, Spans, has_digit, has_letter, lower_case, made_up, placeholder, wordy
from mmchat.routing.personal import LABELS as PERSONAL_LABELS, find_personal, luhn_valid

__all__ = ["PERSONAL_KINDS", "SECRET_KINDS", "Finding", "luhn_valid", "reasons", "scan"]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # e.g. 'aws-secret-key'
    label: str  # e.g. 'AWS secret key'
    line: int  # 1-based
    source: str = ""  # the attachment it is in; '' for the prompt


@dataclass(frozen=True)
class _Shape:
    kind: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool]  # on the key without its prefix: rules out placeholders
    starts: tuple[str, ...] = ()  # how a key of this shape starts (keys found from a long token)
    trigger: str = ""  # a literal the text must hold (shapes that are not one long token)


def _not_placeholder(token: str) -> bool:
    return not made_up(token)


def _generated(body: str) -> bool:
    """Letters and digits, not words: rules out 'sk-your-key-goes-in-this-slot'."""
    return has_digit(body) and has_letter(body) and not made_up(body) and not wordy(body)


def _mixed_case(token: str) -> bool:
    return any(c.isupper() for c in token) and any(c.islower() for c in token) and not made_up(token)


def _pem_body(block: str) -> bool:
    """Key material follows the header: on the next line, not '...', '<key>' or the footer; on the
    same line (newlines lost in a copy), a long run of base64 (not '... and -----BEGIN ...')."""
    after = block.split("-----", 2)[-1].replace("\\n", "\n")
    body = after.strip()
    material = re.match(r"[A-Za-z0-9+/=]*", body).group()
    enough = 4 if "\n" in after[:len(after) - len(after.lstrip())] else 16
    return (len(material) >= enough or body.startswith("Proc-Type:")) and not placeholder(body)


def _pem_in_base64(body: str) -> bool:
    """Base64 of a PEM block (a kubeconfig's client-key-data): a private key, not a certificate."""
    chunk = ("LS0tLS1CRUdJTi" + body)[:80]
    chunk = chunk[: len(chunk) // 4 * 4]
    try:
        return b"PRIVATE KEY" in binascii.a2b_base64(chunk)
    except binascii.Error:
        return False


def _token(kind: str, starts: str, pattern: str, check: Callable[[str], bool] = _not_placeholder) -> _Shape:
    return _Shape(kind, re.compile(pattern), check, starts=tuple(starts.split()))


def _literal(kind: str, trigger: str, pattern: str, check: Callable[[str], bool] = _not_placeholder) -> _Shape:
    return _Shape(kind, re.compile(pattern), check, trigger=trigger)


_E = r"(?![A-Za-z0-9])"  # no letter or digit right after a key

# Keys that are one long token (20 characters or more of letters, digits and _-.~): where such a
# token starts with one of a shape's `starts`, that shape decides; in order, the more specific first.
_TOKENS = (
    _token("anthropic-key", "sk-ant-", r"sk-ant-[A-Za-z0-9_-]{20,}", _generated),
    _token("openrouter-key", "sk-or-v1-", r"sk-or-v1-[A-Za-z0-9]{32,}" + _E),
    _token("openai-key", "sk-proj- sk-svcacct- sk-admin- sk-None- sk-",
           r"sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,}", _generated),
    _token("stripe-key", "sk_live_ sk_test_ rk_live_ rk_test_ whsec_",
           r"(?:[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})" + _E),
    _token("groq-key", "gsk_", r"gsk_[A-Za-z0-9]{40,}" + _E),
    _token("xai-key", "xai-", r"xai-[A-Za-z0-9]{50,}" + _E),
    _token("huggingface-token", "hf_", r"hf_[A-Za-z0-9]{30,}" + _E, _mixed_case),
    _token("replicate-token", "r8_", r"r8_[A-Za-z0-9]{30,}" + _E),
    _token("perplexity-key", "pplx-", r"pplx-[A-Za-z0-9]{40,}" + _E),
    _token("github-token", "ghp_ gho_ ghu_ ghs_ ghr_ github_pat_",
           r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{50,})" + _E),
    _token("gitlab-token", "glpat- gldt- glrt- glptt- glft- glimt- glagent- gloas- glcbt- glsoat- glffct- GR1348941",
           r"(?:gl[a-z]+-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,})"),
    _token("aws-access-key", "AKIA ASIA ABIA ACCA", r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9/+])"),
    _token("slack-token", "xoxa- xoxb- xoxp- xoxo- xoxs- xoxr- xoxe- xapp-",
           r"(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})"),
    _token("google-key", "AIza", r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    _token("google-oauth", "GOCSPX- ya29.", r"(?:GOCSPX-[A-Za-z0-9_-]{20,}|ya29\.[A-Za-z0-9_-]{30,})"),
    _token("jwt", "eyJ", r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    _token("twilio-key", "SK", r"SK[0-9a-fA-F]{32}" + _E),
    _token("sendgrid-key", "SG.", r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}"),
    _token("npm-token", "npm_", r"npm_[A-Za-z0-9]{36}" + _E),
    _token("pypi-token", "pypi-AgE", r"pypi-AgE[A-Za-z0-9_-]{50,}"),
    _token("discord-token", "M N O", r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}(?![\w-])",
           _generated),
    _token("telegram-token", "AA", r"(?<=\d{8}:)AA[A-Za-z0-9_-]{33}(?![\w-])"),
    _token("heroku-key", "HRKU-", r"HRKU-[A-Za-z0-9_-]{40,}"),
    _token("docker-auth", "dckr_pat_ dckr_oat_", r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}"),
    _token("mailgun-key", "key-", r"key-[0-9a-f]{32}" + _E),
    _token("shopify-token", "shpat_ shpca_ shppa_ shpss_", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _E),
    _token("square-token", "sq0atp- sq0csp- EAAA", r"(?:sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}|EAAA[A-Za-z0-9_-]{60,})"),
    _token("digitalocean-token", "dop_v1_ doo_v1_ dor_v1_", r"do[opr]_v1_[a-f0-9]{64}" + _E),
    _token("private-key", "LS0tLS1CRUdJTi", r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}", _pem_in_base64),
)
_BY_FIRST: dict[str, tuple[_Shape, ...]] = {
    c: tuple(s for s in _TOKENS if any(start[0] == c for start in s.starts))
    for c in {start[0] for s in _TOKENS for start in s.starts}
}
# An Azure AD client secret has its mark inside: three characters, a digit, 'Q~'.
_AZURE_SECRET = _Shape("azure-key", re.compile(r"[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}" + _E),
                       _not_placeholder)
# Keys that are not one token, each looked for when its literal occurs.
_LITERALS = (
    _literal("gcp-service-account", "PRIVATE KEY",
             r'"private_key"\s*:\s*"-----BEGIN[A-Z ]*PRIVATE KEY-----[^"]{20,}"(?=[^{}]*"service_account")'
             r'|"service_account"[^{}]*"private_key"\s*:\s*"-----BEGIN[A-Z ]*PRIVATE KEY-----[^"]{20,}'),
    _literal("private-key", "PRIVATE KEY",
             r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:\s|\\n)*[^\n]{0,16}", _pem_body),
    _literal("private-key", "PuTTY-User-Key-File", r"PuTTY-User-Key-File-\d: [\w-]+\s+Encryption: [\w-]+"),
    _literal("slack-webhook", "hooks.slack.com",
             r"hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Za-z0-9_]+/[A-Za-z0-9_/]{20,}"),
    _literal("discord-token", "/api/webhooks/", r"discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{50,}"),
    _literal("azure-key", "AccountKey=", r"AccountKey=[A-Za-z0-9+/]{30,}={0,2}"),
    _literal("azure-key", "SharedAccessKey=", r"SharedAccessKey=[A-Za-z0-9+/]{30,}={0,2}"),
    _literal("docker-auth", '"auths"', r'"auth"\s*:\s*"[A-Za-z0-9+/]{12,}={0,2}"'),
)
# Letters, digits and _-.~ (the characters of keys) -> 'a', the rest -> ' ': long tokens are
# found with bytes.find on this mask, far faster than a regular expression over the text.
_TOKEN_MASK = bytes(97 if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_-.~") else 32 for b in range(256))
_LONG_TOKEN = b"a" * 20

# AWS's console CSV and many notes put the secret key on the access key id's line.
_AWS_PAIR = re.compile(r"[ \t,;:|\"'=]+([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")

_SHAPE_LABELS = {
    "gcp-service-account": "Google service-account key", "private-key": "private key",
    "anthropic-key": "Anthropic API key", "openrouter-key": "OpenRouter API key", "openai-key": "OpenAI API key",
    "groq-key": "Groq API key", "xai-key": "xAI API key", "huggingface-token": "Hugging Face token",
    "replicate-token": "Replicate API token", "perplexity-key": "Perplexity API key", "github-token": "GitHub token",
    "gitlab-token": "GitLab token", "aws-access-key": "AWS access key ID", "slack-webhook": "Slack webhook URL",
    "slack-token": "Slack token", "stripe-key": "Stripe key", "google-key": "Google API key",
    "google-oauth": "Google OAuth secret", "jwt": "JSON web token", "azure-key": "Azure key",
    "twilio-key": "Twilio API key", "sendgrid-key": "SendGrid API key", "npm-token": "npm token",
    "pypi-token": "PyPI token", "discord-token": "Discord token", "telegram-token": "Telegram bot token",
    "heroku-key": "Heroku API key", "mailgun-key": "Mailgun API key", "shopify-token": "Shopify token",
    "square-token": "Square token", "digitalocean-token": "DigitalOcean token", "docker-auth": "Docker registry login",
}
LABELS = {**_SHAPE_LABELS, **ASSIGNMENT_LABELS, **PERSONAL_LABELS}
SECRET_KINDS = tuple(sorted({*_SHAPE_LABELS, *ASSIGNMENT_LABELS}))
PERSONAL_KINDS = tuple(sorted(PERSONAL_LABELS))


def scan(text: str, *, prose: str | None = None, source: str = "") -> tuple[Finding, ...]:
    """Credentials and personal data in `text`, in the order of their lines (one finding per kind and line).

    `prose` is the text with its code blanked out (mmchat.routing.code.find_code), where emails and
    phone numbers are looked for; it is worked out here when needed and not given. `source` names
    the attachment the text is."""
    found = _scan_once(text, prose, source)
    if '\\"' in text:  # JSON inside a string ("{\"password\":\"…\"}"): read it unescaped too
        found += _scan_once(text.replace('\\"', '"'), None, source)  # lines are where they were
    for line, decoded in _base64_blobs(text):
        found += tuple(Finding(f.kind, f.label, line, source) for f in _scan_once(decoded, None, source))
    unique = {(f.line, f.kind): f for f in reversed(found)}
    return tuple(unique[key] for key in sorted(unique))


def _scan_once(text: str, prose: str | None, source: str) -> tuple[Finding, ...]:
    spans = Spans()
    _shaped(text, spans)
    lower = lower_case(text)
    find_assigned(text, lower, spans)
    return _findings(text, spans.items + find_personal(text, lower, prose), source)


# Base64 of a config or a credentials file (a Kubernetes Secret's data, `echo … | base64 -d`).
_BASE64_BLOB = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
_MAX_BLOBS = 20


def _base64_blobs(text: str) -> Iterator[tuple[int, str]]:
    """(line, decoded text) of each run of base64 that decodes to readable text with an '=' or ':'
    in it (the shape of a setting), the first _MAX_BLOBS only. Looked for in the long tokens only,
    so prose costs one quick scan."""
    blobs = (m for start, end in _long_tokens(text) for m in _BASE64_BLOB.finditer(text, max(0, start - 1), end + 3))
    for i, match in enumerate(blobs):
        if i == _MAX_BLOBS:
            return
        blob = match.group()
        if blob.isalpha() or blob.isdigit() or not (has_digit(blob) or blob.endswith("=")):
            continue
        try:
            decoded = binascii.a2b_base64(blob + "=" * (-len(blob) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
        if decoded.isprintable() or all(c.isprintable() or c in "\n\r\t" for c in decoded):
            if "=" in decoded or ":" in decoded:
                yield text.count("\n", 0, match.start()) + 1, decoded


def _shaped(text: str, spans: Spans) -> None:
    """Adds the keys of known shapes in `text` to `spans`."""
    for shape in _LITERALS:
        if shape.trigger in text:
            _add(shape, shape.pattern.finditer(text), spans)
    for start, end in _long_tokens(text):
        for shape in _BY_FIRST.get(text[start], ()):
            if text.startswith(shape.starts, start):
                _add(shape, [shape.pattern.match(text, start)], spans)
                break
        if "Q~" in text[start:end]:
            _add(_AZURE_SECRET, _AZURE_SECRET.pattern.finditer(text, start, end), spans)


def _long_tokens(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of 20 key characters or more, from its first letter or digit."""
    mask = text.encode("ascii", "replace").translate(_TOKEN_MASK)
    at = mask.find(_LONG_TOKEN)
    while at >= 0:
        start = mask.rfind(b" ", 0, at) + 1
        end = mask.find(b" ", at)
        end = len(mask) if end < 0 else end
        while start < end and text[start] in "_-.~":
            start += 1
        yield start, end
        at = mask.find(_LONG_TOKEN, end)


def _add(shape: _Shape, matches: Iterable[re.Match[str] | None], spans: Spans) -> None:
    for match in matches:
        if match is None or spans.overlaps(match.start(), match.end()):
            continue
        token = match.group()
        prefix = max((p for p in shape.starts if token.startswith(p)), key=len, default="")
        if shape.check(token[len(prefix):]):
            spans.add((shape.kind, match.start(), match.end()))
            if shape.kind == "aws-access-key":
                _aws_pair(match.string, match.end(), spans)


def _aws_pair(text: str, end: int, spans: Spans) -> None:
    pair = _AWS_PAIR.match(text, end, end + 64)
    if pair is not None and _generated(pair.group(1)):
        spans.add(("aws-secret-key", pair.start(1), pair.end(1)))


def _findings(text: str, spans: list[Span], source: str) -> tuple[Finding, ...]:
    """One Finding per kind and line; lines are counted once, in order of position."""
    found: dict[tuple[int, str], Finding] = {}
    line, counted = 1, 0
    for kind, start, _ in sorted(spans, key=lambda span: span[1]):
        line += text.count("\n", counted, start)
        counted = start
        found.setdefault((line, kind), Finding(kind, LABELS[kind], line, source))
    return tuple(found[key] for key in sorted(found))


def reasons(findings: Iterable[Finding]) -> list[str]:
    """'AWS secret key, line 3', 'email address, lines 1, 4 of notes.txt': one per label and source."""
    lines: dict[tuple[str, str], list[int]] = {}
    for f in findings:
        lines.setdefault((f.label, f.source), []).append(f.line)
    out = []
    for (label, source), numbers in lines.items():
        shown = ", ".join(map(str, numbers[:5])) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
        plural = "s" if len(numbers) > 1 else ""
        out.append(f"{label}, line{plural} {shown}" + (f" of {source}" if source else ""))
    return out
