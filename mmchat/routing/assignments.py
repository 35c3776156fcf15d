"""Secrets written as values: given to a secret-like name (`DB_PASSWORD=...`, `"api_key": "..."`,
`--token ...`), passwords in URLs (`postgres://user:pass@host`) and authorization headers.

Names are found from a fast search for the words they contain (pass, secret, token, key ...);
only those places are read further, so a long prompt without such words costs a few searches.
"""

from __future__ import annotations

import binascii
import re

from mmchat.routing.credential_forms import find_forms
from mmchat.routing.secret_values import Span, Spans, has_digit, has_letter, looks_random, placeholder

LABELS = {
    "password-value": "password", "assigned-secret": "secret value", "aws-secret-key": "AWS secret key",
    "url-password": "password in a URL or connection string", "auth-header": "authorization header",
}

# The words (in lower case) whose presence is searched for first; a name holds one of them.
_TRIGGERS = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "kennwort", "senha", "wachtwoord", "haslo")
_TRIGGERS_NOT_ASCII = ("contraseña", "пароль", "hasło", "lösenord", "パスワード", "密码", "密碼", "비밀번호", "şifre",
                       "jelszó", "كلمة المرور", "كلمة السر", "кодовое слово", "รหัสผ่าน", "mật khẩu", "पासवर्ड")
_TRIGGERS_ASCII_WORDS = ("clave", "heslo", "sandi", "parola", "lozinka", "adgangskode", "salasana", "sifre")
_MAX_NAME = 80
_NEAR = 200  # how far a line is read around a name, at most
_WEIGHED = 128  # how much of a value is weighed (the start of a random key is random)
_NAME_CHARS = re.compile(r"[\w.-]*")
_CJK_NAME = re.compile(r"[\u3040-\u9fff\uac00-\ud7af]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[_\-.]+")

# The last word of a name says what its value is: DB_PASSWORD is a password, PASSWORD_MIN_LENGTH is not.
_PASSWORD_WORDS = frozenset({"pass", "pwd", "pw", "passwd", "password", "passwort", "kennwort", "passphrase", "passe",
                             "senha", "contraseña", "contrasena", "wachtwoord", "пароль", "hasło", "haslo",
                             "lösenord", "パスワード", "密码", "密碼", "비밀번호", "şifre", "sifre", "jelszó", "heslo",
                             "salasana", "passord", "adgangskode", "parola", "lozinka", "requirepass", "masterauth",
                             "clave", "sandi", "كلمة المرور", "كلمة السر", "кодовое слово", "รหัสผ่าน", "mật khẩu",
                             "पासवर्ड"})
_PASSWORD_ENDINGS = ("password", "passwd", "passwort", "kennwort", "passphrase")
_SECRET_WORDS = frozenset({"secret", "token", "credential", "credentials", "auth", "apikey", "authkey", "accesskey",
                           "secretkey", "privatekey", "authtoken", "accesstoken", "clientsecret", "bearer"})
_KEY_QUALIFIERS = frozenset({"api", "secret", "access", "private", "auth", "client", "master", "signing", "sign",
                             "encryption", "enc", "account", "app", "license", "service", "subscription", "shared",
                             "storage", "admin", "session", "hmac", "crypto", "consumer", "webhook", "aes", "cipher"})
_SHORT_PASSWORD_WORDS = frozenset({"pass", "pw", "pwd"})
_NGINX_PASSERS = frozenset({"proxy", "fastcgi", "uwsgi", "grpc", "scgi", "memcached"})
_IGNORED_LAST = frozenset({"value", "plain", "plaintext", "raw", "confirm", "confirmation", "base"})

# After a name: the end of a JSON key or subscript, then an operator (not a comparison).
_OPERATOR = re.compile(
    r"""["'\]]{0,2}[ \t]*(?::[ \t]*&?'?[\w:<>\[\]]*[ \t]*(?==[^=]))?(:=|=>|=(?!=)|:(?![:/=])|\((?=["'])|>)[ \t]*"""
    r"""(?:\[\]byte\(|bytes\(|Buffer\.from\(|String::from\(|b(?=["'])|&[\w-]+[ \t]+)?"""
)
# "my password is ...", "the password for the wifi was ...", "das Passwort für den Server ist ..."
_PROSE_OPERATOR = re.compile(
    r"[ \t]+(?:[^.,;:!?\n]{1,50}?(?:[ \t]|(?=[:：][ \t])))??"
    r"(?:(?:is|was|ist|lautet|est|c'est|es|era|war|é|è|är|er|jest|je|to|on|это|هي|هو|—|-)[ \t]+"
    r"|(?::|：|は|が|是|为|는|은|가|이)[ \t]*)"
)
_SPACE = re.compile(r"[ \t]+")
# A password word followed at once by a value with letters and digits (not 'password reset', 'password123' alone).
_MIXED_VALUE_NEXT = re.compile(
    r"[ \t]+(?:(?:saya|ku|mu|my|mi|mein|meine|mon|ma|mio|mia|moje|moja|мой|мое)[ \t]+)?"
    r"(?=[^\s\"',;]{6,})(?=\S*\d)(?=\S*[^\W\d_])(?!(?:hash|reset|policy|field|manager)\b)"
)
_CJK_OPERATOR = re.compile(r"[ \t]*(?:は|が|是|为|為|는|은|가|이|:|：|=)[ \t]*")
# What makes a space give a value: `--password hunter2` (a flag, by its name), `ENV DB_PASSWORD ...`,
# fish's `set -x AWS_SECRET_ACCESS_KEY ...`, csh's `setenv`, `aws configure set aws_secret_access_key ...`.
_SPACE_SEPARATED = re.compile(r"^[ \t]*(?:ENV|set(?:[ \t]+-[a-zA-Z]+)*|setenv|.*configure[ \t]+set)[ \t]+$", re.M)
_NAME_KEY = re.compile(r"""\bname["']?[ \t]*[:=][ \t]*["']?$""", re.I | re.M)
_PAIRED_VALUE = re.compile(r"""["']?[ \t]*,?[ \t]*(?:\n[ \t]*)?["']?value["']?[ \t]*[:=][ \t]*""", re.I)
_MYSQL_PASSWORD = re.compile(r"""(?<![\w-])-p(?:'([^'\n]{3,})'|"([^"\n]{3,})"|([^\s'"$-][^\s'"]{2,}))""")
# A quoted value (2,000 characters at most) or a bare one (its first 512): a long line costs no more.
_VALUE = re.compile(r""""([^"\n]{0,2000})"|'([^'\n]{0,2000})'|`([^`\n]{0,2000})`|([^\s"'`,;&<>)\]}]{1,512})""")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_BARE_RUN = re.compile(r"[^\s\"'`,;<>)\]}]{1,512}")
_REFERENCE = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")  # process.env.TOKEN, self.password
_TEMPLATE = re.compile(r"\{[^}]*\}|\$\(|%s|%\(|%[A-Z_]+%")
_NOT_VALUES = frozenset({
    "none", "null", "nil", "true", "false", "undefined", "str", "string", "int", "bool", "bytes", "text", "any",
    "object", "char", "varchar", "required", "optional", "secret", "password", "passwd", "pass", "token", "key",
    "changeme", "test", "empty", "hidden", "omitted", "unset", "default", "prompt", "ask",
})
_PHRASE = re.compile(r"[^\W\d_]+(?: [^\W\d_]+){2,}[.!?]?")  # words: a label, not a password
_APP_PASSWORD = re.compile(r"[a-z]{4}(?: [a-z]{4}){3}")  # Google's app passwords: 'ggbs uyli pztw cehd'

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_AUTHORITY = re.compile(r"[^\s/'\"<>]{0,300}")  # a password may hold '?', '#' or '@': the last '@' ends it
_AUTH_VALUE = re.compile(
    r"""["']?[ \t]*(?:[:=]|[ \t](?=["'])|["']?[ \t]*,[ \t]*["']value["'][ \t]*:)[ \t]*["']?"""
    r"""(?:(bearer|basic|token|bot|digest|apikey)[ \t]+)?([\w.~+/=-]{1,512})""", re.I
)
_BEARER_VALUE = re.compile(r"[ \t]+([\w.~+/=-]{1,512})")
_AWS_SECRET = re.compile(r"[A-Za-z0-9/+]{40}")


def find_assigned(text: str, lower: str, spans: Spans) -> None:
    """Adds to `spans` the secret values in `text` (`lower` is it in lower case) that no span there covers."""
    triggers = _TRIGGERS + _TRIGGERS_ASCII_WORDS + (() if text.isascii() else _TRIGGERS_NOT_ASCII)
    first = {trigger: lower.find(trigger) for trigger in triggers}
    present = {trigger for trigger, at in first.items() if at >= 0}
    for span in find_forms(text, lower, present):  # the specific forms first: a .netrc's heroku password is a Heroku key
        spans.add(span)
    seen: set[int] = set()
    for trigger in triggers:  # in order: the first name to claim a value names it
        at = first[trigger]
        while at >= 0:
            if not spans.overlaps(at, at + 1):
                span = _assignment(text, at, at + len(trigger), seen, spans)
                if span is not None:
                    spans.add(span)
            at = lower.find(trigger, at + len(trigger))
    found: list[Span] = []
    if "://" in text:
        found += _url_passwords(text)
    if "mysql" in lower or "mariadb" in lower:
        found += _mysql_passwords(text, lower)
    for word in ("authorization", "bearer"):
        if word in lower:
            found += _auth_headers(text, lower, word)
    for span in found:
        spans.add(span)


def _assignment(text: str, at: int, end: int, seen: set[int], spans: Spans) -> Span | None:
    """The secret value given to the name around text[at:end], if any and not in one of `spans`."""
    if _CJK_NAME.match(text, at):  # 社内VPNのパスワードが …: the words around it run on without spaces
        start = at
    else:
        start = at - _NAME_CHARS.match(text[max(0, at - _MAX_NAME):at][::-1]).end()
        end = _NAME_CHARS.match(text, end, end + _MAX_NAME).end()
    if start in seen or text[start - 1:start] in ("{", "$"):  # ${DB_PASSWORD:-...} names, it gives nothing
        return None
    seen.add(start)
    name = text[start:end].rstrip(".-")
    kind = _kind_of(name)
    if kind is None:
        return None
    found = _value_after(text, start, start + len(name), name, kind)
    if found is None:
        return None
    value, given, value_start = found
    if spans.overlaps(value_start, value_start + len(value)) or not _is_secret(kind, value, given):
        return None
    if _AWS_SECRET.fullmatch(value) and (kind == "aws" or "secret" in _words(name) and _aws_nearby(text)):
        return "aws-secret-key", value_start, value_start + len(value)
    if kind == "password":
        line = text[_line_start(text, start):start]
        in_url = text[start - 1:start] in ("?", "&", ";") and ("://" in line or "jdbc:" in line)
        return ("url-password" if in_url else "password-value"), value_start, value_start + len(value)
    return _service_kind(name, text, start), value_start, value_start + len(value)


def _aws_nearby(text: str) -> bool:
    """AWS is named, or an access key id shows, in the text (Terraform's `secret_key = …` beside it),
    or AWS's own words for the key ('the secret access key the admin sent me is …')."""
    lower = text.lower()
    return ("aws" in lower or "secret access key" in lower
            or re.search(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", text) is not None)


def _service_kind(name: str, text: str, start: int) -> str:
    """What a secret value given to `name` is: a service's key when the name says which
    (HEROKU_API_KEY, AZURE_OPENAI_API_KEY), an authorization header (`X-API-Key: …` on a line
    of its own), else a secret value."""
    words = _words(name)
    for word in words:
        if word in _SERVICE_KINDS:
            return _SERVICE_KINDS[word]
    before = text[max(0, start - _SERVICE_WINDOW):start].lower()
    for service, kind in _SERVICE_KINDS.items():
        if len(service) > 3 and service in before:
            return kind
    line_start = _line_start(text, start)
    if name.lower().startswith("x-") and (start == line_start or words[-1] in ("key", "token", "auth")):
        return "auth-header"  # X-API-Key: …, "X-Api-Key": "…" in a client's headers
    if "account" in words and text[line_start:start].lstrip().startswith("az "):
        return "azure-key"  # the Azure CLI's --account-key
    return "assigned-secret"


# A service named in a secret's name (or just before it), and the kind of its keys.
_SERVICE_WINDOW = 120
_SERVICE_KINDS = {
    "ocp": "azure-key", "apim": "azure-key", "cognitive": "azure-key",
    "heroku": "heroku-key", "azure": "azure-key", "mailgun": "mailgun-key", "sendgrid": "sendgrid-key",
    "twilio": "twilio-key", "stripe": "stripe-key", "slack": "slack-token", "github": "github-token",
    "gitlab": "gitlab-token", "openai": "openai-key", "anthropic": "anthropic-key", "groq": "groq-key",
    "xai": "xai-key", "openrouter": "openrouter-key", "perplexity": "perplexity-key", "replicate": "replicate-token",
    "huggingface": "huggingface-token", "hf": "huggingface-token", "npm": "npm-token", "pypi": "pypi-token",
    "discord": "discord-token", "telegram": "telegram-token", "shopify": "shopify-token", "square": "square-token",
    "digitalocean": "digitalocean-token", "docker": "docker-auth", "dockerhub": "docker-auth",
}


def _words(name: str) -> list[str]:
    """dbPassword -> ['db', 'password'], AWS_SECRET_ACCESS_KEY -> ['aws', 'secret', 'access', 'key']."""
    return [w for w in _SEPARATORS.split(_CAMEL.sub("_", name.strip("-._")).lower()) if w]


def _kind_of(name: str) -> str | None:
    """'password', 'aws', 'secret' or None: what a value given to `name` would be."""
    words = _words(name)
    while len(words) > 1 and words[-1] in _IGNORED_LAST:
        words.pop()
    if not words:
        return None
    last = words[-1].rstrip("0123456789") or words[-1]
    if last.startswith(("şifre", "sifre")):
        last = "şifre"  # şifrem, şifreniz: 'my password', 'your password'
    if last in _PASSWORD_WORDS or last.endswith(_PASSWORD_ENDINGS):
        # 'pass', 'pw' and 'pwd' alone are a verb, Python's pass and the shell's working directory;
        # nginx's proxy_pass and fastcgi_pass pass requests on
        if last == "pass" and words[0] in _NGINX_PASSERS:
            return None
        return "password" if len(words) > 1 or last not in _SHORT_PASSWORD_WORDS else None
    if "secret" in words and ("aws" in words or "access" in words):
        return "aws"
    if last in _SECRET_WORDS or last.endswith(("secret", "token", "apikey")):
        return "secret"
    if last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS:
        return "secret"
    return None


def _value_after(text: str, start: int, end: int, name: str, kind: str) -> tuple[str, str, int] | None:
    """(the value, how it is given: 'quoted', 'bare' or 'prose', where it starts) after the name
    text[start:end]; None when nothing is given or what is given is a reference, not a value."""
    op, prose = _operator(text, start, end, name)
    if op is None:
        return None
    value = _VALUE.match(text, op.end())
    if value is None:
        return None
    raw, quoted = value.group(value.lastindex), value.lastindex != 4
    operator = op.group().strip(" \t\"']")
    if op.group() in (" :", "\t:") and quoted:
        return None  # psql's :'variable' names a value, it does not give one
    if operator == "(" and not (quoted and _words(name)[0] == "set"):
        return None  # setPassword("...") is a value; ask_password("Password: ") is not
    if quoted:
        return None if _TEMPLATE.search(raw) else (raw, "quoted", value.start(value.lastindex))
    if operator == ":" and text[value.end():value.end() + 1] in (",", ")", "]", "="):
        return None  # a type: `password: str,`, `def f(private_key: KeyType)`
    if text[value.end():value.end() + 1] == "&" and "://" not in text[_line_start(text, start):start] \
            and "jdbc:" not in text[_line_start(text, start):start]:
        raw = _BARE_RUN.match(text, value.start(value.lastindex)).group()  # noYQ&KB3H@1*: '&' is not a query's
    if prose:
        raw = raw.rstrip(".,;:!?")
    if not raw or not _literal(text, start, raw, op.group(), value.end(), kind):
        return None
    return raw, "prose" if prose else "bare", value.start(value.lastindex)


def _operator(text: str, start: int, end: int, name: str) -> tuple[re.Match[str] | None, bool]:
    """What gives the name its value, and whether that is prose ('my password is ...')."""
    op = _OPERATOR.match(text, end)
    if op is not None and op.group(1) == ">" and (start == 0 or text[start - 1] != "<"):
        op = None  # '>' only closes an XML element: <password>...</password>
    if op is not None:
        return op, False
    line_start = _line_start(text, start)
    if _NAME_KEY.search(text, line_start, start):  # - name: DB_PASSWORD / value: ... (Kubernetes, ECS)
        return _PAIRED_VALUE.match(text, end), False
    if _SPACE_SEPARATED.search(text, line_start, start) or name.startswith("-"):
        return _SPACE.match(text, end), False
    if _CJK_NAME.match(name):  # パスワードが …, 密码是 …, 비밀번호는 …
        return _CJK_OPERATOR.match(text, end), True
    prose = _PROSE_OPERATOR.match(text, end)
    if prose is None and _kind_of(name) == "password":  # "puse la contraseña Azahar961*Pino para …"
        prose = _MIXED_VALUE_NEXT.match(text, end)
    return prose, True


def _literal(text: str, start: int, raw: str, op: str, value_end: int, kind: str) -> bool:
    """An unquoted value is written out, not a reference (getpass(), process.env.X, $VAR, a type)."""
    if raw[0] in "$%{(@!*&<[" or "(" in raw or "[" in raw or _REFERENCE.fullmatch(raw):
        return False
    if raw.lower() in _NOT_VALUES:
        return False
    if text[start - 1:start] in ("?", "&"):
        return True  # ?user=looker&password=LhsAcdmlX: a URL's query gives values
    if not _IDENTIFIER.fullmatch(raw) or has_digit(raw) or kind != "password":
        return True  # (a variable's name given to a token or key is not random: looks_random says no)
    # A bare word is a variable in code (password = new_password) and a value in a .env, YAML or
    # INI line (DB_PASSWORD=hunter): the last thing on a line that starts with the name, with no
    # spaces around an '='.
    rest = text[value_end:_line_end(text, value_end)].strip()
    head = text[_line_start(text, start):start].strip()
    spaced_equals = op.strip() == "=" and op != "="
    return head in ("", "-", "export", "set", "ENV") and (not rest or rest[0] == "#") and not spaced_equals


def _is_secret(kind: str, value: str, given: str) -> bool:
    value = value[:_WEIGHED]
    if placeholder(value) or value.lower() in _NOT_VALUES:
        return False
    if kind != "password":
        return looks_random(value)
    if given == "prose":  # "my password is hunter2", not "the password is wrong"
        return len(value) >= 6 and has_letter(value) and not value.isalpha()
    if _IDENTIFIER.fullmatch(value) and not has_digit(value) and "pass" in value.lower():
        return False  # a name: "challengePassword", "new_password"
    return len(value) >= 3 and (not _PHRASE.fullmatch(value) or _APP_PASSWORD.fullmatch(value) is not None)


def _line_start(text: str, at: int) -> int:
    """Where the line of text[at] starts, looking back _NEAR characters at most (a long line costs no more)."""
    low = max(0, at - _NEAR)
    newline = text.rfind("\n", low, at)
    return newline + 1 if newline >= 0 or low == 0 else low


def _line_end(text: str, at: int) -> int:
    """Where the line of text[at] ends, looking _NEAR characters ahead at most."""
    newline = text.find("\n", at, at + _NEAR)
    return newline if newline >= 0 else min(len(text), at + _NEAR)


def _url_passwords(text: str) -> list[Span]:
    """`scheme://user:password@host`: the user may be an email address and the password may hold
    an '@' (the host follows the last one)."""
    found = []
    at = text.find("://")
    while at >= 0:
        authority = _AUTHORITY.match(text, at + 3)
        userinfo, at_sign, _ = authority.group().rpartition("@")
        user, colon, password = userinfo.partition(":")
        host = authority.group().rpartition("@")[2].split(":")[0].strip("[]").lower()
        if password == user and host in _LOOPBACK:
            pass  # a documented default on the same machine: amqp://guest:guest@localhost
        elif at_sign and colon and _given_password(password):
            start = authority.start() + len(user) + 1
            found.append(("url-password", start, start + len(password)))
        at = text.find("://", at + 3)
    return found


def _given_password(password: str) -> bool:
    return (len(password) >= 3 and password[0] not in "$%{<" and not placeholder(password)
            and password.lower() not in _NOT_VALUES)


def _mysql_passwords(text: str, lower: str) -> list[Span]:
    """`mysql -u root -pS3cret`, `mysqldump -p'S3cret' ...`: the password glued to -p."""
    found = []
    for word in ("mysql", "mariadb"):
        at, read = lower.find(word), 0
        while at >= 0:
            start, read = max(at, read), _line_end(text, at)
            for match in _MYSQL_PASSWORD.finditer(text, start, read):
                password = match.group(match.lastindex)
                if password[0] not in "$%{<" and not placeholder(password):
                    found.append(("password-value", match.start(match.lastindex), match.end(match.lastindex)))
            at = lower.find(word, at + len(word))
    return found


def _auth_headers(text: str, lower: str, word: str) -> list[Span]:
    """`Authorization: Bearer <token>`, `Authorization: Basic <base64>`, `Bearer <token>`."""
    found = []
    at = lower.find(word)
    while at >= 0:
        end = at + len(word)
        match = (_AUTH_VALUE if word == "authorization" else _BEARER_VALUE).match(text, end)
        if match is not None:
            value = match.group(match.lastindex)
            scheme = (match.group(1) or "").lower() if word == "authorization" else "bearer"
            if _basic_login(value[:_WEIGHED]) if scheme == "basic" else looks_random(value[:_WEIGHED], 16):
                found.append(("auth-header", match.start(match.lastindex), match.end(match.lastindex)))
        at = lower.find(word, end)
    return found


def _basic_login(value: str) -> bool:
    """Base64 of 'user:password' (HTTP basic authentication)."""
    try:
        login = binascii.a2b_base64(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    _, colon, password = login.partition(":")
    return bool(colon) and login.isprintable() and len(password) >= 3 and not placeholder(password)
