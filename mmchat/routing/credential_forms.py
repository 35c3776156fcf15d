"""Credentials that files, commands and calls give by position, not by a name: a ~/.pgpass line
(host:port:database:user:password), a ~/.netrc `machine … password …`, PowerShell's
ConvertTo-SecureString "…", an HTTP client's auth=("user", "password") pair, a Terraform
variable whose name says secret with its default value, SQL's IDENTIFIED BY / WITH PASSWORD,
redis's requirepass, Windows' `net user NAME PASSWORD`, PHP's define('DB_PASSWORD', '…'), the
password flags of sshpass, ldapsearch, redis-cli, curl, wget and nmcli, a connection string's
;PWD= or ;Password=, a Go DSN's user:password@tcp(…), JDBC's getConnection(url, user, password),
Twilio's Client(sid, token) and a Rails master.key.

Each form is looked for only when its literal occurs in the text.
"""

from __future__ import annotations

import re

from mmchat.routing.secret_values import Span, looks_random, placeholder

_PGPASS = re.compile(r"^[ \t]*[\w.*-]+:(?:\d{2,5}|\*):[\w.*-]+:[\w.*-]+:(\S{3,})[ \t]*$", re.M)
_PORT_FIELD = re.compile(r":(?:\d{2,5}|\*):")
_NETRC = re.compile(r"\bmachine[ \t]+(\S+)(?:\s+login[ \t]+\S+)?\s+password[ \t]+(\S{3,})")
_SECURE_STRING = re.compile(r"""ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?["']([^"'\n]{3,})["']""", re.I)
_AUTH_PAIR = re.compile(r"""\bauth[ \t]*=[ \t]*\([ \t]*["'][^"'\n]*["'][ \t]*,[ \t]*["']([^"'\n]{6,})["']""")
_MAILGUN = re.compile(r"[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}")
_TERRAFORM_VARIABLE = re.compile(r'variable[ \t]+"([\w-]+)"[ \t]*\{[^}]{0,400}?\bdefault[ \t]*=[ \t]*"([^"\n]{8,})"')
_SECRET_NAME = re.compile(r"secret|token|passw|api[_-]?key|private[_-]?key|credential", re.I)
_SQL_PASSWORD = re.compile(r"""\b(?:IDENTIFIED[ \t]+BY|WITH[ \t]+(?:ENCRYPTED[ \t]+)?PASSWORD)[ \t]+'([^'\n]{3,})'""", re.I)
_REDIS_PASSWORD = re.compile(r"^[ \t]*(?:requirepass|masterauth)[ \t]+(\S{3,})", re.M | re.I)
_NET_USER = re.compile(r"\bnet[ \t]+user[ \t]+\S+[ \t]+(?!/)(\S{3,})[ \t]+/add", re.I)
_CLI_PASSWORD = re.compile(
    r"""\b(?:sshpass[ \t]+-p|ldap(?:search|modify|add|delete|whoami)\b[^\n]*?[ \t]-w|redis-cli\b[^\n]*?[ \t]-a"""
    r"""|wget\b[^\n]*?[ \t]--(?:ftp-|http-)?password=?|nmcli\b[^\n]*?[ \t]password|smbclient\b[^\n]*?-U[ \t]*\S+%"""
    r"""|mysql(?:dump|admin)?\b[^\n]*?--password=)[ \t]*(['"]?)([^\s'"]{3,})\1"""
)
_CURL_USER = re.compile(r"""\bcurl\b[^\n]*?[ \t](?:-u|--user)[ \t]*(['"]?)([^:\s'"]+):([^\s'"]{3,})\1""")
_TWILIO_SID = re.compile(r"AC[0-9a-f]{32}")
# A signed URL's signature (Azure SAS, presigned S3 and GCS links) lets anyone who holds the link in.
_URL_SIGNATURE = re.compile(r"[?&](?:sig|signature|x-amz-signature|x-goog-signature)=([A-Za-z0-9%+/=_-]{20,})", re.I)
_CONN_PASSWORD = re.compile(r"""(?i);[ \t]*(?:pwd|password)[ \t]*=[ \t]*([^;"'\n}]{3,})""")
_GO_DSN = re.compile(r"""\b[\w.-]+:([^\s@/"']{3,})@(?:tcp|unix)\(""")
_JDBC_CALL = re.compile(r"""getConnection\(\s*"[^"]*"\s*,\s*"[^"]*"\s*,\s*"([^"]{3,})"\s*\)""")
_TWILIO_CLIENT = re.compile(r"""Client\(\s*["']AC[0-9a-f]{32}["']\s*,\s*["']([0-9a-f]{32})["']""")
_MASTER_KEY = re.compile(r"master\.key[^\n]*\n[ \t]*([0-9a-f]{32})\b")
# "signs the body using the shared key 53Pf4Qny…": a key named in prose, then a random value.
_PROSE_KEY = re.compile(
    r"(?i)\b(?:shared|secret|signing|api|access|private|hmac|webhook|client)[ \t]+(?:key|secret|token)"
    r"(?:[ \t]+(?:is|was|=|:))?[ \t]+([A-Za-z0-9+/=_-]{16,})"
)
_PHP_DEFINE = re.compile(r"""define\([ \t]*['"](\w*(?:PASSWORD|PASS|SECRET|KEY|SALT|TOKEN)\w*)['"][ \t]*,[ \t]*['"]([^'"\n]{3,})['"]""")


def find_forms(text: str, lower: str, present: frozenset[str] | set[str]) -> list[Span]:
    """The credentials `text` gives in these forms (`lower` is it in lower case). `present` holds the
    words of secrets the caller found in the text (pass, pwd, key, secret, token, auth): a form that
    needs one is not looked for without it."""
    found: list[Span] = []
    password = "pass" in present or "pwd" in present
    named = password or not present.isdisjoint(("key", "secret", "token"))
    if _PORT_FIELD.search(text):
        found += [("password-value", m.start(1), m.end(1)) for m in _PGPASS.finditer(text) if _given(m.group(1))]
    if password and "machine" in lower:
        for m in _NETRC.finditer(text):
            if _given(m.group(2)):
                found.append(("heroku-key" if "heroku" in m.group(1).lower() else "password-value", m.start(2), m.end(2)))
    if "convertto-securestring" in lower:
        found += [("password-value", m.start(1), m.end(1)) for m in _SECURE_STRING.finditer(text) if _given(m.group(1))]
    if "auth" in present:
        for m in _AUTH_PAIR.finditer(text):
            if _given(m.group(1)):
                kind = "mailgun-key" if _MAILGUN.fullmatch(m.group(1)) else "password-value"
                found.append((kind, m.start(1), m.end(1)))
    if "identified" in lower or password and ("with password" in lower or "with encrypted" in lower):
        found += [("password-value", m.start(1), m.end(1)) for m in _SQL_PASSWORD.finditer(text) if _given(m.group(1))]
    if password and "requirepass" in lower or "auth" in present and "masterauth" in lower:
        found += [("password-value", m.start(1), m.end(1)) for m in _REDIS_PASSWORD.finditer(text) if _given(m.group(1))]
    if "net user" in lower:
        found += [("password-value", m.start(1), m.end(1)) for m in _NET_USER.finditer(text) if _given(m.group(1))]
    if "define(" in lower:
        for m in _PHP_DEFINE.finditer(text):
            if _given(m.group(2)) and ("PASS" in m.group(1) or looks_random(m.group(2))):
                kind = "password-value" if "PASS" in m.group(1) else "assigned-secret"
                found.append((kind, m.start(2), m.end(2)))
    if not present.isdisjoint(("key", "secret", "token")):
        found += _prose_keys(text, lower)
    if "curl" in lower:  # curl -u user:password; Twilio's account SID as the user: its auth token
        for m in _CURL_USER.finditer(text):
            if _given(m.group(3)):
                kind = "twilio-key" if _TWILIO_SID.fullmatch(m.group(2)) else "password-value"
                found.append((kind, m.start(3), m.end(3)))
    if "sig=" in lower or "signature=" in lower:
        for m in _URL_SIGNATURE.finditer(text):
            kind = "azure-key" if "windows.net" in lower else "assigned-secret"
            found.append((kind, m.start(1), m.end(1)))
    for trigger, pattern, kind, needs in _SIMPLE_FORMS:
        if (needs is None or needs in present or needs == "@" and "@" in text) and trigger in lower:
            found += [(kind, m.start(m.lastindex), m.end(m.lastindex)) for m in pattern.finditer(text)
                      if _given(m.group(m.lastindex))]
    if named and "variable" in lower:
        for m in _TERRAFORM_VARIABLE.finditer(text):
            value = m.group(2)
            secret = "passw" not in m.group(1).lower() and looks_random(value)
            if _SECRET_NAME.search(m.group(1)) and _given(value) and ("passw" in m.group(1).lower() or secret):
                found.append(("password-value" if not secret else "assigned-secret", m.start(2), m.end(2)))
    return found


# (a literal the text must hold, the form, the kind of what its last group finds, a word of `present`
# the form needs first ('@': an '@' in the text), or None)
_SIMPLE_FORMS = (
    ("sshpass", _CLI_PASSWORD, "password-value", "pass"), ("ldap", _CLI_PASSWORD, "password-value", None),
    ("redis-cli", _CLI_PASSWORD, "password-value", None), ("wget", _CLI_PASSWORD, "password-value", "pass"),
    ("nmcli", _CLI_PASSWORD, "password-value", "pass"), ("smbclient", _CLI_PASSWORD, "password-value", None),
    ("--password=", _CLI_PASSWORD, "password-value", "pass"),
    ("pwd", _CONN_PASSWORD, "url-password", "pwd"), ("password", _CONN_PASSWORD, "url-password", "pass"),
    ("@tcp(", _GO_DSN, "url-password", "@"), ("@unix(", _GO_DSN, "url-password", "@"),
    ("getconnection", _JDBC_CALL, "password-value", None), ("client(", _TWILIO_CLIENT, "twilio-key", None),
    ("master.key", _MASTER_KEY, "assigned-secret", "key"),
)


def _prose_keys(text: str, lower: str) -> list[Span]:
    """'the shared key 53Pf4Qny…': read only around each ' key ', ' secret ' or ' token '."""
    found: list[Span] = []
    for word in (" key ", " secret ", " token "):
        at = lower.find(word)
        while at >= 0:
            match = _PROSE_KEY.search(text, max(0, at - 12), at + len(word) + 200)
            if match is not None and match.start() <= at and _given(match.group(1)) and looks_random(match.group(1)):
                found.append(("assigned-secret", match.start(1), match.end(1)))
            at = lower.find(word, at + len(word))
    return found


def _given(value: str) -> bool:
    """A value written out, not a placeholder or a reference ($VAR, ${...}, %s)."""
    return not placeholder(value) and value[0] not in "$%{<*"
