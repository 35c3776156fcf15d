"""Credentials and personal data: each class is found where it is, by kind and line, and the
look-alikes a developer writes every day are not. Every value here is random, of the right shape."""

from __future__ import annotations

import json

import pytest

from mmchat.routing import Attachment, Conversation, RouterState, Turn, compute_signals
from mmchat.routing.secrets import PERSONAL_KINDS, SECRET_KINDS, Finding, reasons, scan
from tests.routing.helpers import route

AWS_ID = "AKIAULQUYFHOYLIW5PKA"
AWS_SECRET = "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"
GITHUB = "ghp_l7PyG7L5wPNOBKf4uNdc8rdUAiiAfYBNS7B7"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1XzQ4MjEzIiwicm9sZSI6ImFkbWluIiwiZXhwIjoxNzY3MjI1NjAwfQ"
       ".6j27KtbjspBsxuTpR44OUvqtgHd6J_yBx1uVKYupiGr")


def kinds(text: str) -> set[str]:
    return {f.kind for f in scan(text)}


# --- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"aws_access_key_id={AWS_ID}", "aws-access-key"),
        ("the role gave me ASIALCKRDRP4HFRTGRGR and a session token", "aws-access-key"),
        ("GH_TOKEN=gho_rx9wTDbuaFYqWif11jgn98J9AJoxVCDiOrde", "github-token"),
        ("the app's installation token ghs_zHWvFK5pcLxm9304ROYcxfvUxQZw2Ja99Y08 expired", "github-token"),
        ("refresh: ghr_4fRTOuqhB5ird21R8kAERWWb28nveVpAesUb", "github-token"),
        ("fine-grained: 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",
         "github-token"),
        ("git clone https://oauth2:glpat-ydXLxU2xG8S6a4yNm2PG@gitlab.com/team/app.git", "gitlab-token"),
        ("deploy token gldt-g6sluiaMHwua9DI33iO4", "gitlab-token"),
        ("SLACK_BOT_TOKEN=xoxb-93526615850-154665065755-MxegGwIj2QtAMsUdDXYBSaO1", "slack-token"),
        ("curl -X POST https://hooks.slack.com/services/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 -d '{}'",
         "slack-webhook"),
        ("stripe.api_key = 'sk_live_JoZXsbOPjPqDQKtlEo97rAd3'", "stripe-key"),
        ("restricted key rk_live_0G6HIlV2vha4OQFPkuYgOZ4Y", "stripe-key"),
        ("STRIPE_SECRET_KEY=sk_test_cXfYNASbIs54HpFjaNZYn51e", "stripe-key"),
        ("endpoint secret whsec_DyDBBVsSuHZftWzYmgLCM74yhxjRrkP3", "stripe-key"),
        ("maps key AIzaLAbVR1OvT-7t-H177Nl8pvIFYj08IRc22wu", "google-key"),
        ("client_secret: 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", "google-oauth"),
        ("OPENAI_API_KEY=sk-MFrwFtJfEGU5MeFzqmIJFVgOI1gO3qJ3kbQFTWrMq0johUfZ", "openai-key"),
        ("key sk-svcacct-mgcAVQLzg0KrhWc7YxlyKa4nSzEF5ls1QINpzIWhQrjar_NjwZ3H4gbx6AZU", "openai-key"),
        ("admin key sk-admin-CiDWEs0bQG_OHsfqZfRStn7WgqY6fIsN1fkw7G4siUom9WmTay8MXXO09KyA", "openai-key"),
        ("x-api-key: sk-ant-api03-wJNiDjMLL6JMgh-iv6_sIl0VkxNWrIYPrurrYN4VlwjmGfw7xxkuH_ucIGzKHluMTpa1h9gOhIX72ODYbp7ibY"
         "_Q30Vc_AA", "anthropic-key"),
        ("GROQ_API_KEY=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", "groq-key"),
        ("xai-tzG04BQ2jAheZNZdfjSV6kZKSTRFCAVhJQPMrUyACXf8LoqNe73kSmYTTySgWu1eTM2FxaEExiFLdrwb", "xai-key"),
        ("huggingface-cli login --token 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", "huggingface-token"),
        ("REPLICATE_API_TOKEN=r8_RgQtlIIIwuARxqy4T9zNkexBoLn7O1ndokJW1", "replicate-token"),
        ("Authorization: Bearer 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",
         "openrouter-key"),
        ("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", "perplexity-key"),
        (JWT, "jwt"),
        ("twilio api key SK4ae2434981e5195a54075a743ca078af", "twilio-key"),
        ("SENDGRID_API_KEY='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'", "sendgrid-key"),
        ("//registry.npmjs.org/:_authToken=npm_jVgSZpobklqbchmjY4SN1E5iyUDgf2crsHQi", "npm-token"),
        ("password = pypi-AgEIcHlwaS5vcmcfKCxmN7AoJtW-UbIYGalYyYGlWybBtBxlPk4AaYLZPqzy4z_DMA3nnuOF_aejluAKMalfo",
         "pypi-token"),
        ("bot.run('MT1WdRZ8hRmPUY0lmJPyEdz4St.9XqtXB.tjYrjCE6fsPXuFXG9On_QpQmmfkLjYRLg5yhQU')", "discord-token"),
        ("https://api.telegram.org/bot549347571:AA41Qv5fj5CM7Xujy34T5zUPv5vro1UrVRM/getMe", "telegram-token"),
        ("HEROKU_API_KEY=HRKU-AAVF3NTr6XSCN1qUR4oMpnJQpE9whFcuiV_6jtVqTusiVc_Y9E4ccSpP3z-Q", "heroku-key"),
        ("mailgun: key-1cf2738bf132294f6a2238aa110ba9ff", "mailgun-key"),
        ("X-Shopify-Access-Token: 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", "shopify-token"),
        ("square sq0atp-wrcSo8_fdkFMAwrcmvDK1a", "square-token"),
        ("DIGITALOCEAN_TOKEN=dop_v1_92ad8b904c702cfa9f2904e2556f40c6726885b9f801c4f31309187ee9acc2c6",
         "digitalocean-token"),
        ("DefaultEndpointsProtocol=https;AccountName=stlogs;AccountKey=7TAfoTHYWV9dtlrmnbbARsMNGWmY0UgLTdIo7sNz3qP00P+nXC"
         "aNZze8KsctCVWsgD+M2UBnc1PatRUlI0xh8A==;EndpointSuffix=core.windows.net", "azure-key"),
        ("AZURE_CLIENT_SECRET=PBQ8Q~anPnZHH6o3CiR1fRrL3ywW-.t1~QduSaTZ", "azure-key"),
        ('{"auths": {"registry.gitlab.com": {"auth": "ZGVwbG95Ym90OnB1cFVzVVRnRHhITWdWWVFhMkFx"}}}', "docker-auth"),
    ],
)
def test_each_kind_of_key_is_found(text: str, kind: str) -> None:
    assert kinds(text) == {kind}


@pytest.mark.parametrize(
    "text",
    [
        f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
        f"AWS_SECRET_ACCESS_KEY=\"{AWS_SECRET}\"",
        f"[default]\naws_secret_access_key = {AWS_SECRET}",
        f'{{"Credentials": {{"SecretAccessKey": "{AWS_SECRET}", "Expiration": "2026-01-01"}}}}',
        f"aws:\n  secretAccessKey: {AWS_SECRET}",
        f"aws configure set aws_secret_access_key {AWS_SECRET}",
        f"terraform apply --aws-secret-access-key {AWS_SECRET}",
        f"set -gx AWS_SECRET_ACCESS_KEY {AWS_SECRET}",  # fish
        f"new AWS.S3({{ secretAccessKey: '{AWS_SECRET}' }})",
        f"Access key ID,Secret access key\n{AWS_ID},{AWS_SECRET}",
    ],
)
def test_an_aws_secret_key_is_found_in_every_form(text: str) -> None:
    assert "aws-secret-key" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAnATg/+54jGuI819oQz/Vkm2eYer\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBnATg54jGuI819oQzVkm2eYerlw2HqA3i5T2\n-----END EC PRIVATE KEY-----",
        "-----BEGIN DSA PRIVATE KEY-----\nMIIBuwIBAAKBgQDnATg54jGuI819oQzVkm2eY\n-----END DSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGQ5nATg54jGuI819oQzVkm2eYer\n"
        "-----END PGP PRIVATE KEY BLOCK-----",
        "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgw\n-----END PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq\n-----END ENCRYPTED PRIVATE KEY-----",
        "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVBbkFUZwo=",
    ],
)
def test_private_keys_of_every_kind(text: str) -> None:
    assert kinds(text) == {"private-key"}


def test_a_service_account_file_is_named_as_such() -> None:
    text = ('{\n  "type": "service_account",\n  "project_id": "billing-prod-4821",\n'
            '  "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASC\\n'
            '-----END PRIVATE KEY-----\\n"\n}')
    assert kinds(text) == {"gcp-service-account"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('password = "hunter2"', "password-value"),
        ("DB_PASSWORD=Tr0ub4dor&3", "password-value"),
        ("services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: kestrel-blue-41", "password-value"),
        ("mysql:\n  password: quartzlamp", "password-value"),
        ("spring.datasource.password=Zq7!vB2m", "password-value"),
        ("Server=db01;Database=shop;User Id=sa;Password=Winter2025!;", "url-password"),
        ("<password>Lk93hsPq</password>", "password-value"),
        ("psql --password Xv8q2LmN", "password-value"),
        ("mysql -h db01 -u root -pKq8vx2Lm shop < dump.sql", "password-value"),
        ("env:\n  - name: DB_PASSWORD\n    value: Wq4!zR8pLm", "password-value"),
        ('{"containerDefinitions": [{"environment": [{"name": "API_TOKEN", "value": "StudAff5jScxii3SVdGGQomT"}]}]}',
         "assigned-secret"),
        ("Mein Passwort ist Sommer2025! und funktioniert nicht mehr", "password-value"),
        ("my password is xN3*%UjHJC*x0k, why is it rejected?", "password-value"),
        ("the password for the guest wifi is Tulip-4471, print it on the welcome card", "password-value"),
        ("mot de passe : Pv7#kq2Lm9 (ne marche plus)", "password-value"),
        ("DATABASE_URL=postgres://app:Tr0ub4dor9@db.internal:5432/shop", "url-password"),
        ("mongodb+srv://admin:kP9vQ2xR7m@cluster0.ab1cd.mongodb.net/prod", "url-password"),
        ("REDIS_URL=redis://:Vq83nXk2pL@cache:6379/0", "url-password"),
        ("git remote add origin https://deploy:9bc340bb875e2c8908b61113aa5f8347@git.corp.io/app.git", "url-password"),
        ("SECRET_KEY = 'k2#l9vQx8!mZp4@rT7wYb3nJ'", "assigned-secret"),
        ('"client_secret": "9bc340bb875e2c8908b61113aa5f8347"', "assigned-secret"),
        ("api_key: StudAff5jScxii3SVdGGQomT", "assigned-secret"),
        ("TWILIO_AUTH_TOKEN=dac2e38a7ef9dc217d409c18dc2b4e56", "twilio-key"),
        ("HEROKU_API_KEY=e0b9e7ad-78b8-4f4a-a728-d61aaa45ba07", "heroku-key"),
        ("curl -H 'X-API-Key: StudAff5jScxii3SVdGGQomT' https://api.corp.io/v1/items", "auth-header"),
        ("curl -H 'Authorization: Bearer 9bc340bb875e2c8908b61113aa5f8347' https://api.corp.io", "auth-header"),
        ("Authorization: Basic ZGVwbG95Ym90OnB1cFVzVVRnRHhITWdWWVFhMkFx", "auth-header"),
    ],
)
def test_passwords_and_secret_values(text: str, kind: str) -> None:
    assert kinds(text) == {kind}


def test_a_bearer_jwt_is_named_a_jwt() -> None:
    assert kinds(f"Authorization: Bearer {JWT}") == {"jwt"}


# --- personal data -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("please refund the card 4111 1111 1111 1111, exp 09/27", "card"),
        ("Kartennummer 5555-5555-5555-4444", "card"),
        ("amex 3782 822463 10005 was declined", "card"),
        ("charged twice on 6011000990139424", "card"),
        ("wire it to DE89 3704 0044 0532 0130 00 please", "iban"),
        ("IBAN: GB29NWBK60161331926819", "iban"),
        ("mi IBAN es ES9121000418450200051332", "iban"),
        ("her SSN is 536-22-8145", "ssn"),
        ("SSN: 536228145", "ssn"),
        ("NI number AB 12 34 56 C", "uk-nino"),
        ("my National Insurance number is JG103759A", "uk-nino"),
        ("Passport No. L898902C3, expires 2031", "passport"),
        ("Reisepass: C01X00T47", "passport"),
        ("NHS number 943 476 5919", "nhs-number"),
        ("Meine Steuer-ID ist 86095742719", "de-tax-id"),
        ("call me on +44 20 7946 0958 after six", "phone"),
        ("Tel.: 030 12345678", "phone"),
        ("Handynummer 0172 5538190, bitte in die Signatur", "phone"),
        ("please reply to maria.garcia@gmail.com by Friday", "email"),
    ],
)
def test_each_kind_of_personal_data_is_found(text: str, kind: str) -> None:
    assert kinds(text) == {kind}


def test_an_email_counts_in_prose_not_in_code() -> None:
    code = "```python\nADMIN = 'maria.garcia@gmail.com'\n```\nwhy is ADMIN None at import time?"
    assert kinds(code) == set()
    assert kinds("The `maria.garcia@gmail.com` mailbox bounces") == set()  # inline code
    assert kinds("tell maria.garcia@gmail.com that the build is fixed") == {"email"}


@pytest.mark.parametrize(
    "text",
    [
        "send it to jane@example.com", "alerts go to ops@alerts.example.org", "bob@localhost",
        "notifications from noreply@github.com", "12345+octocat@users.noreply.github.com",
        "your.name@company.com", "write to support@stripe.com",
    ],
)
def test_addresses_that_name_no_one(text: str) -> None:
    assert kinds(text) == set()


# --- look-alikes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # questions about formats
        "what does an AWS access key look like? they start with AKIA, right?",
        "GitHub tokens start with ghp_ and Stripe live keys with sk_live_: how do I tell them apart?",
        "is a JWT the same as eyJ...? I saw that prefix in a header",
        # placeholders and references
        "OPENAI_API_KEY=sk-...",
        "export OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "api_key = '<your-api-key>'",
        "GITHUB_TOKEN=YOUR_TOKEN_HERE",
        "the docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
        'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])',
        "const token = process.env.TOKEN;",
        "password = getpass()",
        "password: ********",
        "DB_PASSWORD=changeme",
        "postgres://user:password@localhost:5432/mydb",
        "postgres://app:${DB_PASSWORD}@db:5432/app",
        "token: ${{ secrets.GITHUB_TOKEN }}",
        'headers = {"Authorization": f"Bearer {token}"}',
        "curl -H \"Authorization: Bearer $TOKEN\" https://api.github.com/user",
        "def login(username: str, password: str) -> bool:",
        "if password == confirm_password:",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----",
        "how do -----BEGIN RSA PRIVATE KEY----- and -----BEGIN PRIVATE KEY----- files differ?",
        "DB_PASSWORD: ${DB_PASSWORD:?missing}",
        "- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, key: password}",
        'mysqldump -u app -p"$DB_PASS" shop > shop.sql',
        "mysql -u root -p   # it asks for the password",
        "SECRET_KEY: ${{ secrets.DJANGO_SECRET_KEY }}",
        'private_key: PrivateKeyTypes, password: bytes | None = None',
        '{"password": "Mot de passe", "password_hint": "Au moins 12 caractères"}',
        "the request to ask_password(\"Password: \") hangs",
        # prose about passwords, tokens and keys
        "how do I reset my password?",
        "Password: see the wiki page",
        "the secret to a good sourdough is patience",
        "max_tokens: 4096\ntokenizer: cl100k_base",
        "PASSWORD_MIN_LENGTH = 12",
        "the primary key is the user id",
        # hashes, ids and data that are not secrets
        "SELECT name, salary FROM employees WHERE salary > 100000 ORDER BY salary DESC",
        "fixed in commit 272f39f0eb86da1a36a983883e3b700704b750f9",
        "the request id was 1dd04452-ce9d-46a0-904d-55b7bda32080",
        "sha256: 485289838947d00ad5d2cfafb36f23da87c58fce0d65ca0807eedcad5dbf0c4d",
        "![chart](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6"
        "kgAAAABJRU5ErkJggg==)",
        "order 4539148803436468 shipped",
        "created_at 1717171717171 and 1700000000000",
        "version 2024-05-01 12:30:07 build 20240501123007",
        "call 555-0100 for the demo",
        "pip install scikit-learn==1.5.0",
        "a task-force of high-ranking ghosts",
        "lodash@4.17.21 and @types/node@20.11.5",
    ],
)
def test_lookalikes_are_not_found(text: str) -> None:
    assert scan(text) == ()


# --- where, never what ----------------------------------------------------------------------------


def test_a_finding_names_its_kind_label_and_line() -> None:
    env = f"# staging\nAPP_ENV=staging\naws_secret_access_key={AWS_SECRET}\nCARD=4111111111111111\n"
    assert scan(env) == (
        Finding("aws-secret-key", "AWS secret key", 3),
        Finding("card", "card number", 4),
    )


def test_reasons_group_lines_by_label_and_name_the_attachment() -> None:
    findings = (Finding("email", "email address", 1), Finding("email", "email address", 4),
                Finding("jwt", "JSON web token", 2, "notes.txt"))
    assert reasons(findings) == ["email address, lines 1, 4", "JSON web token, line 2 of notes.txt"]


def test_the_decision_says_what_and_where_never_the_value(models) -> None:
    prompt = f"deploy fails:\n```\nexport AWS_ACCESS_KEY_ID={AWS_ID}\nexport AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n```"
    d = route(prompt, models)
    assert d.private
    assert d.private_reasons == ("AWS access key ID, line 3", "AWS secret key, line 4")
    stored = json.dumps(d.to_dict())
    for value in (AWS_ID, AWS_SECRET):
        assert value not in stored and value not in " ".join(d.private_reasons)
    assert "findings" not in d.to_dict()["signals"]
    assert d.signals.secrets == ("aws-access-key", "aws-secret-key")


def test_attachments_are_scanned_and_named(models) -> None:
    notes = Attachment("notes.txt", "text", tokens=40, text=f"todo\nrotate {GITHUB}\ncard 4111 1111 1111 1111")
    d = route("", models, turn=Turn("summarise my notes", attachments=(notes,)))
    assert d.private_reasons == ("GitHub token, line 2 of notes.txt", "card number, line 3 of notes.txt")
    assert GITHUB not in json.dumps(d.to_dict())


def test_personal_data_makes_a_turn_private(models) -> None:
    d = route("Hi, my card 4111 1111 1111 1111 was charged twice, please refund", models)
    assert d.private and d.private_reasons == ("card number, line 1",)


def test_signals_carry_the_kinds_apart() -> None:
    s = compute_signals(Turn(f"token {GITHUB}\nmail maria.garcia@gmail.com"), Conversation(), RouterState())
    assert s.secrets == ("github-token",)
    assert s.personal == ("email",)
    assert [(f.kind, f.line) for f in s.findings] == [("github-token", 1), ("email", 2)]


def test_every_one_of_many_keys_is_found_once() -> None:
    tokens = [f"ghp_{i:04d}" + GITHUB[8:] for i in range(300)]  # distinct tokens of the right shape
    text = "\n".join(f"TOKEN_{i}={token}  # and a password='Wq4!zR8p{i}'" for i, token in enumerate(tokens))
    found = scan(text)
    assert [f.line for f in found if f.kind == "github-token"] == list(range(1, 301))
    assert [f.line for f in found if f.kind == "password-value"] == list(range(1, 301))


def test_kinds_are_sorted_and_apart() -> None:
    assert list(SECRET_KINDS) == sorted(SECRET_KINDS) and list(PERSONAL_KINDS) == sorted(PERSONAL_KINDS)
    assert not set(SECRET_KINDS) & set(PERSONAL_KINDS)


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("my token ghp_1234567890abcdefghijklmnopqrstuvwxyzAB is rejected", "github-token"),
        ("export OPENAI_API_KEY=sk-proj-abcdef1234567890abcdef1234567890", "openai-key"),
        ("aws_secret_access_key = abcdefghijklmnopqrstuvwxyz0123456789ABCD", "aws-secret-key"),
        ("STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
        ("DB_PASSWORD=supersecret2024", "password-value"),
    ],
)
def test_a_key_that_looks_typed_by_hand_is_still_a_key(prompt: str, kind: str) -> None:
    """When in doubt, local: a run like 'abcdef123456' or 'secret'/'test' inside a value does not
    make it a placeholder (Stripe's test keys are credentials too)."""
    assert kind in {f.kind for f in scan(prompt)}


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("~/.pgpass has this line:\ndb.lan:5432:inventory:reporting:Kastanie-fjord-7", "password-value"),
        ("machine api.heroku.com\n  login ana@mail.test\n  password 6567a3e8-6dc6-437a-808b-5b80c1d2e3f4", "heroku-key"),
        ('$pw = ConvertTo-SecureString "Mondschein+Aurora94" -AsPlainText -Force', "password-value"),
        ('requests.post(url, auth=("api", "ffc730eaaed52c94b3d1e1f0a8c7b6d5-3b1f06c8-9a7e2d4c"))', "mailgun-key"),
        ('variable "auth0_client_secret" {\n  type    = string\n  default = "G9lQhaVOn0BP83R8FKQYMMzbU5nYDCwq"\n}',
         "assigned-secret"),
        ('echo "dckr_pat_IVnKpDYxNiginen0P-XJpVblpJ8" | docker login -u tanja --password-stdin', "docker-auth"),
        ("Le mot de passe admin du routeur c'est Mondschein+harbor53, tu peux m'aider ?", "password-value"),
        ("my social is 454 42 9297 and the IRS letter says it doesn't match", "ssn"),
        ("the app scanned this:\nP<D<<SCHNEIDER<<KATHARINA<ELISABETH<<<<<<<<<\nWPKRHRZ986D<<8506128F3202193<<<<<<<<<<<<<<<0",
         "passport"),
        ("GET /v1/shipments HTTP/2\nHost: api.parcel.example\nX-API-Key: ARIYIPxPsPXQSV7M9GZEAQjIxaFiVCkpFhXk",
         "auth-header"),
        ('az storage blob upload --account-name nordic --account-key "xUyWG4cZBjeZ7L9gJtFZCyaXa1r8Lt0kE8VeDVY947hQ=="',
         "azure-key"),
        ("jdbc:mysql://10.0.5.21:3306/hr?user=hr_service&password=kes8WgEPPhsdBTgaSg71DN25&useSSL=false",
         "url-password"),
        ('provider "aws" {\n  access_key = "AKIAAYK3QL4UYH6YDAU3"\n  secret_key = "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"\n}',
         "aws-secret-key"),
    ],
)
def test_credentials_given_by_position_or_named_by_their_service(prompt: str, kind: str) -> None:
    """Forms found on an independent set of prompts: .pgpass and .netrc lines, PowerShell's
    SecureString, an auth=(user, password) pair, a Terraform variable's default, a password told
    in French, an SSN with spaces, a passport's machine-readable lines, and keys whose name or
    command says which service they belong to."""
    assert kind in {f.kind for f in scan(prompt)}


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ('proxy_set_header Authorization "Basic c3ZjX2dyYWZhbmE6WHNNdmluMipiRWNNcFNfaQ==";', "auth-header"),
        ('{"key": "Authorization", "value": "Token ea9e2bd70072e0687f4414f5e71451fc1a45ffea", "type": "text"}',
         "auth-header"),
        ("secret_key_base: b7f018a31a600923a0a59b79be1d966d5e244e6dc89ea9d9ac8a1f2e3d4c5b6a", "assigned-secret"),
        ('var hmacKey = []byte("*E&hj#rR2*K5@XBjk^KN1OIwHXDUOE#3%Sctkw54")', "assigned-secret"),
        ('const WEBHOOK_TOKEN: &str = "bX-dvffHjC6xCq3zC6s9nPuHW98LQiB3AtuaNkno";', "assigned-secret"),
        ("CREATE USER 'reporting'@'%' IDENTIFIED BY 'l6oD6dWQ45o5m*8v';", "password-value"),
        ("bind 0.0.0.0\nrequirepass A-zPiPoyGo5ULZ@ftMtDo-DH\n", "password-value"),
        ("spring:\n  datasource:\n    password: noYQ&KB3H@1*TSK-sA\n", "password-value"),
        ("C:\\> net user svc_backup 5F?NB_RW!bzC*7 /add /passwordchg:no", "password-value"),
        ("社内VPNのパスワードが 2D2nz7vhX&smM なんですが、つながりません", "password-value"),
        ("en el router puse la contraseña Azahar961*Pino para la red de clientes", "password-value"),
        ('EMAIL_HOST_PASSWORD = "ggbs uyli pztw cehd"', "password-value"),
        ("define( 'DB_PASSWORD', 'Qm7#vL2pXz9!' );", "password-value"),
        ("Пароль от админки сайта: cmmp9r%A9AsX, логин admin", "password-value"),
        ("DATABASE_URL=postgres://app_rw:tQ-nEcqFsPmrC?X0kox?@orders-prod.rds.amazonaws.com:5432/app", "url-password"),
        ("index-url = https://ci-reader:dU-mpir3y!.6!#wu@nexus.corp.lan/simple", "url-password"),
        ("Reisepass Nr. CFLRMKH9Y, ausgestellt am 03.08.2021", "passport"),
        ("新しい連絡先は携帯 090-6114-8835 です", "phone"),
        ("he wants a callback on his cell (617) 435-5845, not the landline", "phone"),
        ('client = AzureOpenAI(\n    api_key="474f9faf36b04c7a8e2d1f0c9b8a7e6d",\n)', "azure-key"),
    ],
)
def test_credentials_in_the_forms_a_second_independent_set_used(prompt: str, kind: str) -> None:
    assert kind in {f.kind for f in scan(prompt)}


@pytest.mark.parametrize(
    "prompt",
    [
        "CREATE USER app_reader WITH PASSWORD :'reader_pw';",  # a psql variable
        "location / {\n    proxy_pass http://localhost:8080;\n}",  # nginx passes requests on
        'assert not is_valid("o\'brien@example.ie")',  # an example domain
    ],
)
def test_references_and_directives_are_not_credentials(prompt: str) -> None:
    assert scan(prompt) == ()


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ('body="{\\"username\\":\\"d.okafor\\",\\"password\\":\\"Lagos#Rain2291\\"}"', "password-value"),
        ("data:\n  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5naXRsYWIuY29tIjp7InVzZXJuYW1lIjoiZGVwbG95LXJvIiwicGFzc3dvcmQi"
         "OiJacTdtVnIycExrOXhXdDRuIiwiYXV0aCI6IlpHVndiRzk1TFhKdk9scHhOMjFXY2pKd1RHczVlRmQwTkc0PSJ9fX0=", "docker-auth"),
        ('x-db: &db\n  DB_PASSWORD: &dbpass "Nordwind_7719!"', "password-value"),
        ("ldapsearch -x -H ldaps://dc01 -D 'cn=svc,dc=corp' -w 'Kx9!vB2#nL7q' -b 'dc=corp'", "password-value"),
        ("for h in web1 web2; do sshpass -p 'Mont@gne88' ssh ops@$h uptime; done", "password-value"),
        ("curl -u deploy:W7n$Qe4rZk --upload-file app.jar https://nexus.corp.local/", "password-value"),
        ("redis-cli -h cache.internal -a 'r3d!s-Qv9Tz' INFO replication", "password-value"),
        ('nmcli dev wifi connect "FRITZ!Box" password "Kaffeetasse-Blau-88" ifname wlan0', "password-value"),
        ('pyodbc.connect("DRIVER={ODBC Driver 18};SERVER=sql01;UID=svc;PWD=Nv4$Lr8pQz;Encrypt=yes")', "url-password"),
        ('db, err := sql.Open("mysql", "root:Kl4pp3rSt0rch@tcp(127.0.0.1:3306)/shop")', "url-password"),
        ('DriverManager.getConnection(\n    "jdbc:sqlserver://sql01:1433",\n    "svc_report",\n    "Rpt#Q3feb2025");',
         "password-value"),
        ('client = Client("ACee37d22f6c1e13af58e093540da94d41", "8e611644a000f6dbb25ebd847fbf73ad")', "twilio-key"),
        ("$ cat config/master.key\n70da96cb29438d8591eaac12d513ed6b\n", "assigned-secret"),
        ("signs the body with HMAC-SHA256 using the shared key 53Pf4Qny2BLQS5MFW0RWR++NgoCa1ChHy6Bf+MgR4ME=",
         "assigned-secret"),
        ("El usuario es admin y mi clave es Girasol_Luna82, pero no entra", "password-value"),
        ("вход в 1С — логин buh2, кодовое слово Ласточка1988", "password-value"),
        ("e-devlet şifrem LaleBahce#42 ama giriş yapamıyorum", "password-value"),
        ("Mein Passwort lautet Zugspitze#2962, trotzdem sperrt mich die Bank", "password-value"),
        ("akun saya rina.p dan kata sandi saya Nasgor!Pedas8, tapi", "password-value"),
        ("اسم المستخدم هو admin و كلمة المرور هي Sahara$Wind47 ويجب تغييرها", "password-value"),
        ("my checkout form rejects 4539.2414.0419.1522 exp 11/27", "card"),
        ("card is 4916 8025\n9151 5295 and the code on the back", "card"),
        ("transfer the rent to Jonas Reiter de28100700242605509351, checksum ok?", "iban"),
        ("payroll has ni numbers in lower case like ek905525b", "uk-nino"),
        ('<a href="mailto:h.nakamura.kobe@icloud.com?subject=Quote">Contact Hiro</a>', "email"),
    ],
)
def test_credentials_in_the_forms_a_third_independent_set_used(prompt: str, kind: str) -> None:
    """Escaped JSON, base64 of a config, YAML anchors, command-line password flags, connection
    strings, Go DSNs, positional passwords, passwords told in eight more languages, cards split by
    dots or lines, IBANs and NI numbers in lower case, mailto links."""
    assert kind in {f.kind for f in scan(prompt)}


@pytest.mark.parametrize(
    "prompt",
    [
        "RabbitMQ docs use amqp://guest:guest@localhost:5672/, why only from localhost?",  # a documented default
        "The placeholder number in our mockups is +1-202-555-0143, is 555-01xx fictional?",
        "the password reset link expired, and the password policy says 12 characters",
    ],
)
def test_documented_defaults_and_fictional_numbers_are_not_private(prompt: str) -> None:
    assert scan(prompt) == ()


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("https://store.blob.core.windows.net/exports/r.csv?sv=2022-11-02&se=2026-01-01&sp=r"
         "&sig=Qm9hdFN0YXRlbWVudEtleVJvdGF0ZWQxMjM0NTY3ODk%3D", "azure-key"),
        ("jdbc:postgresql://pg:5432/dwh?user=looker&password=LhsAcdmlX_tJLglDeX&ssl=true", "url-password"),
        ("I wrote my card number as 6525  8254  0989  3149 on the form", "card"),
        ("Is 488-415-2387 a valid NHS number? It's my son's.", "nhs-number"),
        ("My mom's cell is (312) 555-0154 and she keeps getting scam calls", "phone"),
        ("confirmer le rendez-vous avec le plombier au 06 47 45 60 47.", "phone"),
        ("curl -X POST https://api.twilio.com/2010-04-01/Accounts/x/Messages.json "
         "-u ACd7fbcff5a736f45c1e2d3f4a5b6c7d8e:9f8e7d6c5b4a39281706f5e4d3c2b1a0", "twilio-key"),
        ('axios.get(url, { headers: { "X-Api-Key": "qT7vLp2Xw9Rk4Zs8Nb3Mh6Jd" } })', "auth-header"),
        ("The secret access key the admin sent me is 66IbYHCIlYxAvQ4jlTs9seN5hQcXd/efuLkft0cS but", "aws-secret-key"),
    ],
)
def test_credentials_in_the_forms_a_fourth_independent_set_used(prompt: str, kind: str) -> None:
    assert kind in {f.kind for f in scan(prompt)}


@pytest.mark.parametrize(
    "prompt",
    [
        'DB_PASSWORD=vault:kv/data/orders#password',  # resolved by a secrets manager at run time
        '{\n  "name": "@saltmarsh/tides",\n  "author": "Maren Holt <maren.holt@saltmarsh.dev>",\n  "version": "1.0.0"\n}',
    ],
)
def test_secret_manager_references_and_emails_in_json_are_not_private(prompt: str) -> None:
    assert not compute_signals(Turn(prompt), Conversation(), RouterState()).findings
