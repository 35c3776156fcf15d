from __future__ import annotations

import threading

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from mmchat import keys, provider_types
from mmchat.config import ProviderConfig
from mmchat.services import known_service


class MemoryKeyring(KeyringBackend):
    """A real (if volatile) keyring backend: passwords live in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.passwords:
            raise PasswordDeleteError("not found")
        del self.passwords[(service, username)]


class HangingKeyring(MemoryKeyring):
    """A backend that never answers, like a Secret Service nobody unlocks."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        self.release.wait(10)
        return None


@pytest.fixture
def use_backend(monkeypatch):
    previous = keyring.get_keyring()
    # A keyring that once failed to answer stays unusable for the rest of the process (by
    # design); a test installing its own backend starts from a keyring not yet asked.
    monkeypatch.setattr(keys._keyring, "_problem", None)

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_backend) -> MemoryKeyring:
    return use_backend(MemoryKeyring())


@pytest.fixture
def no_keyring(use_backend) -> None:
    use_backend(fail.Keyring())


def provider(name: str = "openai", type_: str = "openai", base_url: str | None = None, **kw) -> ProviderConfig:
    return ProviderConfig(name=name, type=type_, base_url=base_url or provider_types.get(type_).default_base_url, **kw)


# --- which variable belongs to which provider ------------------------------


def test_official_openai_endpoint_gets_the_conventional_variable(no_keyring):
    assert keys.resolve_key(provider(), env={"OPENAI_API_KEY": "sk-official"}) == "sk-official"
    assert keys.key_env_names(provider()) == ("OPENAI_API_KEY",)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8080/v1",  # a local server
        "https://proxy.example.com/v1",  # someone else's server
        "http://api.openai.com/v1",  # not https: the key would travel in clear text
        "https://api.openai.com:8443/v1",
    ],
)
def test_openai_key_is_never_sent_to_another_endpoint(no_keyring, base_url):
    for name in ("openai", "lab"):
        p = provider(name, base_url=base_url)
        assert known_service(p) is None
        assert keys.resolve_key(p, env={"OPENAI_API_KEY": "sk-official"}) is None


def test_api_key_env_can_send_any_variable_anywhere_and_wins(no_keyring):
    lab = provider("lab", base_url="http://127.0.0.1:8080/v1", api_key_env="OPENAI_API_KEY")
    assert keys.resolve_key(lab, env={"OPENAI_API_KEY": "sk-mine"}) == "sk-mine"
    official = provider(api_key_env="WORK_OPENAI_KEY")
    env = {"WORK_OPENAI_KEY": "sk-work", "OPENAI_API_KEY": "sk-home"}
    assert keys.resolve_key(official, env=env) == "sk-work"
    assert keys.key_source(official, env=env) == "env WORK_OPENAI_KEY"
    # An explicit variable that is unset falls through to the conventional one.
    assert keys.resolve_key(official, env={"OPENAI_API_KEY": "sk-home"}) == "sk-home"


def test_known_services_match_by_protocol_and_host():
    assert known_service(provider("g", "gemini")).name == "gemini"
    assert known_service(provider("a", "anthropic")).name == "anthropic"
    assert known_service(provider("or", base_url="https://openrouter.ai/api/v1")).name == "openrouter"
    assert known_service(provider("q", base_url="https://api.groq.com/openai/v1/")).name == "groq"
    # Right host, wrong protocol: not that service.
    assert known_service(provider("x", "anthropic", base_url="https://api.openai.com/v1")) is None


def test_gemini_falls_back_to_google_api_key(no_keyring):
    gemini = provider("gemini", "gemini")
    assert keys.resolve_key(gemini, env={"GOOGLE_API_KEY": "AIza-google"}) == "AIza-google"
    both = {"GEMINI_API_KEY": "AIza-gemini", "GOOGLE_API_KEY": "AIza-google"}
    assert keys.resolve_key(gemini, env=both) == "AIza-gemini"
    assert keys.key_source(gemini, env={"GOOGLE_API_KEY": "x"}) == "env GOOGLE_API_KEY"


def test_a_resolved_key_is_redacted_from_then_on(no_keyring):
    key = keys.resolve_key(provider(), env={"OPENAI_API_KEY": "env-key-of-odd-shape-31"})
    assert keys.redact(f"echo {key}") == "echo ***"


def test_blank_variables_count_as_unset(no_keyring):
    assert keys.resolve_key(provider(), env={"OPENAI_API_KEY": "  "}) is None


# --- the keyring -------------------------------------------------------------


def test_keyring_round_trip(memory):
    keys.set_key("openai", "sk-from-keyring")
    assert memory.passwords[("mmchat", "openai")] == "sk-from-keyring"
    assert keys.resolve_key(provider(), env={}) == "sk-from-keyring"
    assert keys.key_source(provider(), env={}) == "keyring"
    assert keys.stored_providers(["openai", "anthropic"]) == {"openai"}
    keys.delete_key("openai")
    assert keys.resolve_key(provider(), env={}) is None
    keys.delete_key("openai")  # deleting what is not there is fine


def test_environment_comes_before_the_keyring(memory):
    keys.set_key("openai", "sk-from-keyring")
    assert keys.resolve_key(provider(), env={"OPENAI_API_KEY": "sk-env"}) == "sk-env"


def test_keyring_status_names_the_backend(memory):
    usable, why = keys.keyring_status()
    assert usable and "MemoryKeyring" in why


def test_without_a_keyring_lookups_are_none_and_writes_explain(no_keyring):
    assert keys.resolve_key(provider(), env={}) is None
    assert keys.key_source(provider(), env={}) == "none"
    assert keys.stored_providers(["openai"]) == set()
    usable, why = keys.keyring_status()
    assert not usable and "api_key_env" in why
    with pytest.raises(keys.KeyringUnavailable, match="export OPENAI_API_KEY=") as caught:
        keys.set_key("openai", "sk-nowhere")
    assert "\n" not in str(caught.value) and "sk-nowhere" not in str(caught.value)
    with pytest.raises(keys.KeyringUnavailable, match="api_key_env: LAB_API_KEY"):
        keys.set_key("lab", "sk-nowhere")
    with pytest.raises(keys.KeyringUnavailable):
        keys.delete_key("openai")


def test_a_keyring_that_never_answers_is_given_up_on(use_backend):
    hanging = use_backend(HangingKeyring())
    store = keys.Keyring(timeout=0.1)
    try:
        assert store.get("openai") is None
        assert store.get("anthropic") is None  # not asked again: the first hang marked it unusable
        assert hanging.calls == 1
        usable, why = store.status()
        assert not usable and "did not answer within 0.1 s" in why
        with pytest.raises(keys.KeyringUnavailable, match="did not answer"):
            store.set("openai", "sk-x")
    finally:
        hanging.release.set()


# --- api_key_cmd ---------------------------------------------------------------


def test_key_command_output_is_stripped_and_redacted(no_keyring):
    p = provider("lab", base_url="http://127.0.0.1:8080/v1", api_key_cmd="printf '  local-cmd-secret-42\\n'")
    assert keys.resolve_key(p, env={}) == "local-cmd-secret-42"
    assert keys.key_source(p, env={}) == "command"
    assert keys.redact("got local-cmd-secret-42 back") == "got *** back"


def test_failing_key_command_names_the_provider_not_the_output(no_keyring):
    p = provider("lab", base_url="http://127.0.0.1:8080/v1", api_key_cmd="echo leaked-output-123; exit 3")
    with pytest.raises(keys.KeyCommandError) as caught:
        keys.resolve_key(p, env={})
    message = str(caught.value)
    assert "lab" in message and "exit status 3" in message
    assert "leaked-output-123" not in message and "\n" not in message


def test_key_command_printing_nothing_is_an_error(no_keyring):
    p = provider("lab", base_url="http://127.0.0.1:8080/v1", api_key_cmd="true")
    with pytest.raises(keys.KeyCommandError, match="printed nothing"):
        keys.resolve_key(p, env={})


def test_key_command_is_bounded_in_time(no_keyring, monkeypatch):
    monkeypatch.setattr(keys, "KEY_CMD_TIMEOUT", 0.2)
    p = provider("lab", base_url="http://127.0.0.1:8080/v1", api_key_cmd="sleep 30; echo late")
    with pytest.raises(keys.KeyCommandError, match="no answer within 0.2 s"):
        keys.resolve_key(p, env={})


# --- redaction -------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-AbCdEf0123456789abcdef",
        "sk-ant-api03-AbCdEf0123456789",
        "sk-or-v1-0123456789abcdef0123",
        "AIzaSyA0123456789abcdefghijklmnopqrstuv",
        "gsk_0123456789abcdefABCDEF",
    ],
)
def test_key_shaped_strings_are_redacted(secret):
    assert keys.redact(f"401 from server: invalid key {secret}.") == "401 from server: invalid key ***."


def test_bearer_tokens_and_key_parameters_are_redacted():
    assert keys.redact("Authorization: Bearer abc.def-ghi_123") == "Authorization: Bearer ***"
    assert keys.redact("GET /v1beta/models?alt=sse&key=my-secret-value HTTP/1.1") == (
        "GET /v1beta/models?alt=sse&key=*** HTTP/1.1"
    )
    assert keys.redact("x-api-key: whatever-it-is") == "x-api-key: ***"


def test_registered_secrets_of_any_shape_are_redacted():
    keys.register_secret("plain-local-token-77")
    assert keys.redact("token plain-local-token-77 rejected") == "token *** rejected"


def test_ordinary_text_is_left_alone():
    text = "the abc of the task-list for the desk-0123456789abcdef project; ask-me-anything"
    keys.register_secret("abc")  # too short to be redacted safely
    assert keys.redact(text) == text
