from __future__ import annotations

import stat
import textwrap
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from mmchat import paths
from mmchat.config import ConfigError, Price, Timeouts
from mmchat.config_load import config_from_env, load_config

REPO = Path(__file__).resolve().parent.parent
NO_EMBEDDED = {"MMCHAT_EMBEDDED": "0"}  # the environment of a machine without the local extra

BRIEF_EXAMPLE = """\
providers:
  openai:
    type: openai
    base_url: https://api.openai.com/v1
    api_key_env: OPENAI_API_KEY
    headers: {X-Title: mmchat}
    timeouts: {connect: 10, first_token: 60, idle: 30}
    max_retries: 2
  lab:
    type: openai
    base_url: http://127.0.0.1:8080/v1/
models:
  openai/gpt-4.1-mini:
    context: 1047576
    max_output: 32768
    display_name: GPT-4.1 mini
    price: {input: 0.40, cached_input: 0.10, output: 1.60}
    tags: [fast, code]
    params: {temperature: 0.2}
default_model: openai/gpt-4.1-mini
"""


@pytest.fixture(autouse=True)
def no_keyring():
    """This machine has no keyring; make that explicit so results never depend on the host."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def fails(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    error = caught.value
    assert str(error).startswith(f"{path}:")
    assert "\n" not in str(error)
    return error


# --- a valid file --------------------------------------------------------------


def test_the_documented_shape_loads(tmp_path):
    config = load_config(write(tmp_path, BRIEF_EXAMPLE), env={})
    openai = config.providers["openai"]
    assert openai.type == "openai" and openai.api_key_env == "OPENAI_API_KEY"
    assert openai.headers == {"X-Title": "mmchat"}
    assert openai.timeouts == Timeouts(connect=10, first_token=60, idle=30)
    assert config.providers["lab"].base_url == "http://127.0.0.1:8080/v1"  # trailing slash dropped
    model = config.models["openai/gpt-4.1-mini"]
    assert model.context == 1047576 and model.max_output == 32768
    assert model.price == Price(input=0.40, cached_input=0.10, output=1.60)
    assert model.tags == ("fast", "code") and model.params == {"temperature": 0.2}
    assert config.default_model == "openai/gpt-4.1-mini"
    assert config.source == tmp_path / "config.yaml"


def test_config_example_yaml_validates_cleanly():
    config = load_config(REPO / "config.example.yaml", env={})
    assert set(config.providers) == {"openai", "anthropic", "gemini", "openrouter", "groq", "ollama"}
    assert config.providers["openrouter"].base_url == "https://openrouter.ai/api/v1"
    assert config.discovery.enabled and config.discovery.ports == (11434, 1234, 8080, 8000)
    assert config.providers["ollama"].type == "ollama"
    assert config.default_model == "openai/gpt-4.1-mini"
    assert config.models["openai/gpt-4.1-mini"].price is not None
    assert config.keymap == {"conversations": "ctrl+l", "retry": "ctrl+r,f9"}


def test_type_and_base_url_default_from_well_known_names(tmp_path):
    config = load_config(write(tmp_path, "providers: {gemini: {}, groq: {}, anthropic: , lab2: {type: openai}}"), env={})
    assert (config.providers["gemini"].type, config.providers["gemini"].base_url) == (
        "gemini",
        "https://generativelanguage.googleapis.com/v1beta",
    )
    assert (config.providers["groq"].type, config.providers["groq"].base_url) == (
        "openai",
        "https://api.groq.com/openai/v1",
    )
    assert config.providers["anthropic"].base_url == "https://api.anthropic.com"
    assert config.providers["lab2"].base_url == "https://api.openai.com/v1"
    assert config.default_model == "anthropic/claude-haiku-4-5"  # first preferred among configured


def test_openrouter_model_ids_may_contain_slashes(tmp_path):
    config = load_config(
        write(tmp_path, "providers: {openrouter: {}}\ndefault_model: openrouter/anthropic/claude-sonnet-4.5\n"),
        env={},
    )
    assert config.default_model == "openrouter/anthropic/claude-sonnet-4.5"


def test_without_default_model_a_configured_model_is_used(tmp_path):
    text = "providers: {lab: {type: openai, base_url: 'http://127.0.0.1:8080/v1'}}\nmodels:\n  lab/qwen3: {}\n"
    assert load_config(write(tmp_path, text), env={}).default_model == "lab/qwen3"


def test_a_local_server_named_openai_does_not_get_openai_s_default_model(tmp_path):
    text = "providers: {openai: {base_url: 'http://127.0.0.1:8080/v1'}}\nmodels:\n  openai/qwen3: {}\n"
    assert load_config(write(tmp_path, text), env={}).default_model == "openai/qwen3"


def test_a_file_without_providers_takes_them_from_the_environment(tmp_path):
    config = load_config(write(tmp_path, "default_model: groq/llama-3.1-8b-instant\n"), env={**NO_EMBEDDED, "GROQ_API_KEY": "gsk_x"})
    assert list(config.providers) == ["groq"]
    assert config.default_model == "groq/llama-3.1-8b-instant"


def test_an_empty_file_is_an_empty_config(tmp_path):
    config = load_config(write(tmp_path, ""), env=NO_EMBEDDED)
    assert config.providers == {} and config.source == tmp_path / "config.yaml"


# --- errors: file, line, dotted key, what to do ---------------------------------


@pytest.mark.parametrize(
    ("text", "line", "key", "says"),
    [
        ("providers:\n  openai:\n    base_ur: https://x\n", 3, "providers.openai.base_ur", "did you mean 'base_url'?"),
        ("providers:\n  openai:\n    api_key: sk-abc123\n", 3, "providers.openai.api_key", "keys never live in config files"),
        ("providers:\n  openai:\n    headers: {Authorization: Bearer x}\n", 3, "providers.openai.headers.Authorization", "api_key_env"),
        ("providers:\n  lab:\n    type: opnai\n", 3, "providers.lab.type", "did you mean 'openai'?"),
        ("providers:\n  lab:\n    base_url: http://x\n", 3, "providers.lab", "missing 'type'"),
        ("providers:\n  lab:\n    type: openai\n    base_url: ftp://x\n", 4, "providers.lab.base_url", "not an http(s) URL"),
        ("providers:\n  lab:\n    type: openai\n    base_url: localhost:8080\n", 4, "providers.lab.base_url", "http(s) URL"),
        ("providers:\n  openai:\n    api_key_env: sk-abcdef\n", 3, "providers.openai.api_key_env", "not the key itself"),
        ("providers:\n  openai:\n    timeouts: {connect: 0}\n", 3, "providers.openai.timeouts.connect", "above 0"),
        ("providers:\n  openai:\n    timeouts: {conect: 1}\n", 3, "providers.openai.timeouts.conect", "'connect'"),
        ("providers:\n  openai:\n    max_retries: -1\n", 3, "providers.openai.max_retries", "0 to 10"),
        ("providers:\n  openai:\n    headers: {X-N: 5}\n", 3, "providers.openai.headers.X-N", "must be text"),
        ("providers:\n  'a/b': {}\n", 2, "providers.a/b", "letters, digits"),
        ("providers: [openai]\n", 1, "providers", "must be a mapping"),
        ("providers: {openai: {}}\nmodels:\n  gpt-4o: {}\n", 3, "models.gpt-4o", "write provider/model-id"),
        ("providers: {openai: {}}\nmodels:\n  foo/bar: {}\n", 3, "models.foo/bar", "configured providers are openai"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    context: -5\n", 4, "models.openai/x.context", "positive whole number"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    context: 1.5\n", 4, "models.openai/x.context", "positive whole number"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    max_output: '9'\n", 4, "models.openai/x.max_output", "not str"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    price: {input: -0.1}\n", 4, "models.openai/x.price.input", "at least 0"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    price: {inptu: 1}\n", 4, "models.openai/x.price.inptu", "did you mean 'input'?"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    tags: fast\n", 4, "models.openai/x.tags", "list of text"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    tags: [fast, 3]\n", 4, "models.openai/x.tags[1]", "non-empty text"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    params: {temperature: 3}\n", 4, "models.openai/x.params.temperature", "at most 2"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    params: {temprature: 1}\n", 4, "models.openai/x.params.temprature", "'temperature'"),
        ("providers: {openai: {}}\nmodels:\n  openai/x:\n    contxt: 5\n", 4, "models.openai/x.contxt", "did you mean 'context'?"),
        ("providers: {openai: {}}\ndefault_model: lab/x\n", 2, "default_model", "unknown provider 'lab'"),
        ("providers: {openai: {}}\ndefault_model: gpt-4o\n", 2, "default_model", "provider/model-id"),
        ("providers: {}\nprovider: {}\n", 2, "provider", "did you mean 'providers'?"),
        ("theme: {}\n", 1, "theme", "valid keys are providers, models, default_model, keymap, budget, routing"),
        ("compare: {}\n", 1, "compare", "did you mean 'compare_sets'?"),
        ("compare_sets:\n  code: [a/x]\n", 2, "compare_sets.code", "2 to 6 models, not 1"),
        ("compare_sets:\n  code: [a/x, b/y, a/x]\n", 2, "compare_sets.code", "named twice"),
        ("compare_sets:\n  code:\n    - a/x\n    - gpt-4o\n", 4, "compare_sets.code[1]", "not a model address"),
        ("compare_sets:\n  code: a/x\n", 2, "compare_sets.code", "must be a list"),
        ("providers: {}\nkeys:\n  retry: ctrl+r\n", 2, "keys", "rename this section to keymap:"),
        ("providers:\n  openai: {}\n  openai: {}\n", 3, "providers.openai", "duplicate key"),
    ],
)
def test_invalid_values_are_reported_at_their_line(tmp_path, text, line, key, says):
    error = fails(tmp_path, text)
    assert (error.line, error.key) == (line, key)
    assert says in error.message
    assert str(error) == f"{error.path}:{line}: {key}: {error.message}"


def test_yaml_syntax_errors_give_their_line(tmp_path):
    error = fails(tmp_path, "providers:\n  openai:\n    type: openai\n  lab: [unclosed\n")
    assert error.line == 5 and "YAML syntax error" in error.message


def test_a_top_level_that_is_not_a_mapping_is_refused(tmp_path):
    error = fails(tmp_path, "- openai\n- anthropic\n")
    assert error.line == 1 and "top level must be a mapping" in error.message


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("base: &b {type: openai}\n", 1, "unknown key"),
        ("providers:\n  lab:\n    <<: {type: openai}\n", 3, "merge keys (<<) are not supported"),
        ("providers:\n  lab:\n    type: !env PROVIDER_TYPE\n", 3, "cannot read this value"),
    ],
)
def test_yaml_features_outside_the_schema_are_reported(tmp_path, text, line, says):
    error = fails(tmp_path, text)
    assert error.line == line and says in error.message


def test_anchors_and_aliases_may_share_settings(tmp_path):
    text = """\
    providers:
      openai:
        headers: &common {X-Title: mmchat}
      openrouter:
        headers: *common
    """
    config = load_config(write(tmp_path, text), env={})
    assert config.providers["openrouter"].headers == {"X-Title": "mmchat"}


def test_a_literal_key_is_refused_without_echoing_it(tmp_path):
    error = fails(tmp_path, "providers:\n  openai:\n    api_key: sk-proj-very-secret-value\n")
    assert "very-secret" not in str(error)
    assert "mmchat keys set" in str(error) and "api_key_cmd" in str(error)


# --- where the file comes from ---------------------------------------------------


def test_explicit_path_beats_mmchat_config(tmp_path):
    explicit = write(tmp_path, "providers: {groq: {}}\n", "explicit.yaml")
    other = write(tmp_path, "providers: {gemini: {}}\n", "other.yaml")
    assert list(load_config(explicit, env={"MMCHAT_CONFIG": str(other)}).providers) == ["groq"]
    assert list(load_config(None, env={"MMCHAT_CONFIG": str(other)}).providers) == ["gemini"]


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml", env={})
    with pytest.raises(ConfigError, match="file not found"):
        load_config(None, env={"MMCHAT_CONFIG": str(tmp_path / "nope.yaml")})


def test_missing_default_file_builds_the_config_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # platformdirs reads it on Linux
    assert not paths.default_config_path({}).exists()
    config = load_config(None, env={**NO_EMBEDDED, "OPENAI_API_KEY": "sk-x"})
    assert config.source is None
    assert list(config.providers) == ["openai"]


def test_a_directory_is_not_a_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not a file"):
        load_config(tmp_path, env={})


# --- the environment when there is no file ----------------------------------------


def test_environment_providers_in_preference_order(tmp_path):
    env = {
        "GROQ_API_KEY": "gsk_1",
        "OPENROUTER_API_KEY": "sk-or-1",
        "GOOGLE_API_KEY": "AIza1",
        "ANTHROPIC_API_KEY": "sk-ant-1",
        "OPENAI_API_KEY": "sk-1",
        **NO_EMBEDDED,
    }
    config = config_from_env(env)
    assert list(config.providers) == ["openai", "anthropic", "gemini", "openrouter", "groq"]
    assert config.providers["gemini"].api_key_env == "GOOGLE_API_KEY"
    assert config.providers["openrouter"].base_url == "https://openrouter.ai/api/v1"
    assert config.providers["groq"].base_url == "https://api.groq.com/openai/v1"
    assert config.default_model == "openai/gpt-4.1-mini"
    assert config_from_env({**NO_EMBEDDED, "GEMINI_API_KEY": "AIza1"}).default_model == "gemini/gemini-2.5-flash"
    assert config_from_env(NO_EMBEDDED).providers == {} and config_from_env(NO_EMBEDDED).default_model is None


def test_keys_already_in_the_keyring_count_as_configured(monkeypatch):
    from keyring.backend import KeyringBackend

    from mmchat import keys

    monkeypatch.setattr(keys._keyring, "_problem", None)  # not poisoned by an earlier test's timeout

    class Stored(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service, username):
            return "sk-ant-stored" if (service, username) == ("mmchat", "anthropic") else None

        def set_password(self, service, username, password):
            raise NotImplementedError

        def delete_password(self, service, username):
            raise NotImplementedError

    previous = keyring.get_keyring()
    keyring.set_keyring(Stored())
    try:
        config = config_from_env(NO_EMBEDDED)
    finally:
        keyring.set_keyring(previous)
    assert list(config.providers) == ["anthropic"]
    assert config.default_model == "anthropic/claude-haiku-4-5"


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:11434"),
        ("0.0.0.0:11500", "http://127.0.0.1:11500"),
        ("http://gpu-box:11434/", "http://gpu-box:11434"),
        ("https://ollama.example.com", "https://ollama.example.com:11434"),
        ("[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_ollama_host_becomes_an_ollama_provider(value, url):
    provider = config_from_env({"OLLAMA_HOST": value}).providers["ollama"]
    assert (provider.type, provider.base_url) == ("ollama", url)


def test_a_bad_ollama_host_is_reported():
    with pytest.raises(ConfigError, match="OLLAMA_HOST: 'ftp://x' is not"):
        config_from_env({"OLLAMA_HOST": "ftp://x"})


# --- paths -------------------------------------------------------------------------


def test_paths_honour_their_overrides(tmp_path):
    env = {
        "MMCHAT_CONFIG": str(tmp_path / "conf" / "my.yaml"),
        "MMCHAT_DATA_DIR": str(tmp_path / "data"),
        "MMCHAT_CACHE_DIR": str(tmp_path / "cache"),
    }
    assert paths.default_config_path(env) == tmp_path / "conf" / "my.yaml"
    assert paths.config_dir(env) == tmp_path / "conf"
    assert paths.data_dir(env) == tmp_path / "data"
    assert paths.database_path(env) == tmp_path / "data" / "mmchat.db"
    assert paths.cache_dir(env) == tmp_path / "cache"
    assert not (tmp_path / "data").exists()  # computing a path creates nothing


def test_default_paths_live_in_the_platform_dirs():
    assert paths.default_config_path({}) == paths.config_dir({}) / "config.yaml"
    assert paths.config_dir({}).name == "mmchat"
    assert paths.data_dir({}).name == "mmchat"


def test_ensure_private_dir_creates_owner_only_dirs(tmp_path):
    target = paths.ensure_private_dir(tmp_path / "a" / "b")
    assert target.is_dir()
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert paths.ensure_private_dir(target) == target  # idempotent


def test_compare_sets_name_the_models_of_a_compare(tmp_path):
    text = "compare_sets:\n  code: [openai/gpt-4.1, ollama/qwen2.5-coder]\n  quick:\n    - a/x\n    - b/y\n    - c/z\n"
    config = load_config(write(tmp_path, text), env={})
    # ollama is not a configured provider: a set may name a local server found at start-up
    assert config.compare_sets == {"code": ("openai/gpt-4.1", "ollama/qwen2.5-coder"), "quick": ("a/x", "b/y", "c/z")}
    assert load_config(write(tmp_path, "compare_sets:\n", name="other.yaml"), env={}).compare_sets == {}


# --- keymap: the interface's key bindings ------------------------------------------


def test_the_keymap_maps_binding_ids_to_key_names(tmp_path):
    config = load_config(write(tmp_path, "keymap:\n  conversations: ctrl+h\n  retry: 'ctrl+r, f9'\n  help: '?'\n"), env={})
    assert config.keymap == {"conversations": "ctrl+h", "retry": "ctrl+r,f9", "help": "?"}
    assert load_config(write(tmp_path, "keymap:\n"), env={}).keymap == {}
    assert load_config(write(tmp_path, "models:\n", name="other.yaml"), env={}).keymap == {}


def test_a_keys_section_is_named_keymap_now(tmp_path):
    error = fails(tmp_path, "models:\nkeys:\n  conversations: ctrl+h\n")
    assert str(error) == (
        f"{tmp_path / 'config.yaml'}:2: keys: rename this section to keymap: "
        "(key bindings are the keymap; keys means API keys)"
    )


def test_an_unknown_binding_id_names_its_line_and_the_closest_id(tmp_path):
    error = fails(tmp_path, "keymap:\n  retry: ctrl+r\n  model_pickr: ctrl+m\n")
    assert (error.line, error.key) == (3, "keymap.model_pickr")
    assert "unknown binding id; did you mean 'model_picker'?" in str(error)
    error = fails(tmp_path, "keymap:\n  zzz: ctrl+m\n")
    assert "binding ids are quit, help," in str(error)


@pytest.mark.parametrize(
    ("text", "line", "key", "says"),
    [
        ("keymap:\n  help: f12\n  retry: ctrl+r,f5\n", 3, "keymap.retry", "f5 is also the key of 'stronger'"),
        # An app-wide key clashes with a chat one; a key moved away frees it.
        ("keymap:\n  help: ctrl+n\n", 2, "keymap.help", "ctrl+n is also the key of 'new_conversation'"),
        ("keymap:\n  conversations: ctrl+e\n", 2, "keymap.conversations", "ctrl+e is taken by the prompt (end of line)"),
    ],
)
def test_a_key_two_bindings_share_or_the_prompt_takes_is_refused(tmp_path, text, line, key, says):
    error = fails(tmp_path, text)
    assert (error.line, error.key) == (line, key)
    assert says in str(error)


def test_keymap_keys_may_be_swapped_between_bindings(tmp_path):
    text = "keymap:\n  stronger: f8\n  retry_next: f5\n  conversations.delete: ctrl+l\n"
    assert load_config(write(tmp_path, text), env={}).keymap["retry_next"] == "f5"  # ctrl+l is free in the list


@pytest.mark.parametrize("value", ["''", "[ctrl+a]", "ctrl+", "'ctrl+o,,f2'", "control o", "12"])
def test_a_key_that_is_not_a_key_name_is_refused(tmp_path, value):
    error = fails(tmp_path, f"keymap:\n  help: {value}\n")
    assert (error.line, error.key) == (2, "keymap.help")
    assert "write key names like ctrl+o, f2, escape or ?" in str(error)


# --- budget ---------------------------------------------------------------------


def test_budget_limits_are_read_with_a_default_warning_share(tmp_path):
    config = load_config(write(tmp_path, "budget:\n  conversation: 0.5\n  day: 3\n"), env={})
    assert (config.budget.conversation, config.budget.day, config.budget.warn_at) == (0.5, 3.0, 0.8)
    assert load_config(write(tmp_path, "models:\n", name="none.yaml"), env={}).budget.day is None


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("budget:\n  day: -1\n", 2, "budget.day", "must be a number above 0"),
        ("budget:\n  warn_at: 1.5\n", 2, "budget.warn_at", "at most 1"),
        ("budget:\n  dayly: 2\n", 2, "budget.dayly", "did you mean 'day'?"),
    ],
)
def test_a_bad_budget_names_its_line_and_key(tmp_path, text, line, key, words):
    error = fails(tmp_path, text)
    assert (error.line, error.key) == (line, key)
    assert words in str(error)


def test_the_routing_section_is_kept_with_its_lines_for_the_router(tmp_path):
    config = load_config(write(tmp_path, "models:\nrouting:\n  rules: []\n"), env={})
    assert config.routing.start_mark.line == 2  # the node of `rules: []`, on the third line (0-based 2)


def test_discovery_is_on_by_default_and_can_be_turned_off_or_pointed_at_other_ports(tmp_path):
    from mmchat.config import DISCOVERY_PORTS

    assert load_config(write(tmp_path, "providers: {}\n"), env={}).discovery.ports == DISCOVERY_PORTS
    config = load_config(write(tmp_path, "discovery: {enabled: false, ports: [8081, 11434, 8081]}\n"), env={})
    assert (config.discovery.enabled, config.discovery.ports) == (False, (8081, 11434))
    error = fails(tmp_path, "discovery:\n  ports: [11434, 70000]\n")
    assert str(error).endswith("config.yaml:2: discovery.ports[1]: must be a port number from 1 to 65535, not int 70000")
    assert load_config(write(tmp_path, "discovery: {timeout: 1.5}\n"), env={}).discovery.timeout == 1.5
    error = fails(tmp_path, "discovery:\n  timeout: 0\n")
    assert "config.yaml:2: discovery.timeout: must be a number above 0 and at most 10" in str(error)
    error = fails(tmp_path, "discovery:\n  enabled: sometimes\n")
    assert "config.yaml:2: discovery.enabled: must be true or false" in str(error)


@pytest.fixture
def in_process_type():
    from mmchat import provider_types

    provider_types.register("inproc", "tests.test_provider_registry:EchoProvider", default_base_url=None, local=True)
    yield
    provider_types.unregister("inproc")


def test_an_in_process_provider_takes_a_path_threads_and_a_context(tmp_path, in_process_type):
    config = load_config(write(tmp_path, """\
        providers:
          mine: {type: inproc, path: ~/models/small.gguf, threads: 2, context: 4096}
    """), env={})
    mine = config.providers["mine"]
    assert (mine.path, mine.threads, mine.context, mine.base_url) == (
        str(Path("~/models/small.gguf").expanduser()), 2, 4096, "",
    )
    error = fails(tmp_path, "providers:\n  lab:\n    type: openai\n    base_url: http://127.0.0.1:8080/v1\n    path: x.gguf\n")
    assert str(error).endswith("config.yaml:5: providers.lab.path: is for an in-process model (type: local), not type openai")
    error = fails(tmp_path, "providers:\n  mine: {type: inproc, threads: 0}\n")
    assert "providers.mine.threads: must be a positive whole number" in str(error)


def test_the_embedded_model_joins_the_providers_from_the_environment_and_is_the_last_default():
    from mmchat.config import ProviderConfig, pick_default, providers_from_env

    embedded = ProviderConfig(name="local", type="local", base_url="")
    alone = providers_from_env({}, embedded=embedded)
    assert alone == {"local": embedded}
    assert pick_default(alone, {}) == "local/qwen2.5-coder-1.5b"
    with_cloud = providers_from_env({"OPENAI_API_KEY": "sk-1"}, embedded=embedded)
    assert list(with_cloud) == ["openai", "local"]  # the private turns' model, beside the cloud
    assert pick_default(with_cloud, {}) == "openai/gpt-4.1-mini"


def test_the_embedded_model_is_there_when_the_local_extra_is_and_can_be_left_out(tmp_path):
    from importlib.util import find_spec

    from mmchat.config_load import embedded_provider

    installed = find_spec("xllamacpp") is not None
    config = load_config(write(tmp_path, ""), env={})
    assert ("local" in config.providers) == installed
    assert (config.default_model == "local/qwen2.5-coder-1.5b") == installed
    assert embedded_provider({"MMCHAT_EMBEDDED": "0"}) is None
    written = load_config(write(tmp_path, "providers:\n  lab: {type: openai, base_url: 'http://127.0.0.1:8080/v1'}\n"), env={})
    assert list(written.providers) == ["lab"]  # a file that names its providers gets no other


def test_the_examples_embedded_model_block_loads_when_uncommented(tmp_path):
    text = (REPO / "config.example.yaml").read_text()
    start = text.index("  # local:\n")
    block = text[start:text.index("\n\n", start)]
    uncommented = "\n".join(line.replace("  # ", "  ", 1) for line in block.splitlines())
    config = load_config(write(tmp_path, text.replace(block, uncommented)), env={})
    local = config.providers["local"]
    assert (local.type, local.threads, local.context) == ("local", 2, 4096)
    assert local.path == str(Path("~/models/qwen2.5-7b-instruct-q4_k_m.gguf").expanduser())


# --- a bench run's bounds per provider ----------------------------------------------


def test_a_provider_bounds_a_bench_run_to_two_requests_at_once_and_no_rate_unless_told(tmp_path):
    config = load_config(write(tmp_path, """\
        providers:
          openai: {}
          lab:
            type: openai
            base_url: http://127.0.0.1:8080/v1
            concurrency: 5
            rpm: 60
        """), env={})
    assert (config.providers["openai"].concurrency, config.providers["openai"].rpm) == (2, None)
    assert (config.providers["lab"].concurrency, config.providers["lab"].rpm) == (5, 60)


@pytest.mark.parametrize(("key", "value"), [("concurrency", "0"), ("concurrency", "1.5"), ("rpm", "-3"), ("rpm", "'60'")])
def test_a_bench_bound_must_be_a_positive_whole_number(tmp_path, key, value):
    error = fails(tmp_path, f"providers:\n  openai:\n    {key}: {value}\n")
    assert f":3: providers.openai.{key}:" in str(error)
    assert "positive whole number" in str(error)
