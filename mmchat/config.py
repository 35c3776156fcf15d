"""mmchat's configuration: the typed settings, and the validator of the YAML that holds them.

(Data classes first; the validator below them.) Reading the file and asking the
keyring which API keys are stored is `mmchat.config_load`'s job: this module
does no I/O, so every layer may import it.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from mmchat import provider_types
from mmchat.keymap import BINDING_IDS, clash
from mmchat.services import KNOWN_SERVICES, KnownService, known_service
from mmchat.yaml_nodes import ConfigError, NodeReader, compose

# Which of the named providers have an API key in the keyring (see config_load).
StoredKeys = Callable[[Iterable[str]], set[str]]


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `first_token` runs from sending the request to the first event;
    `idle` is the longest gap allowed between two chunks of a stream."""

    connect: float = 10.0
    first_token: float = 60.0
    idle: float = 30.0


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    type: str  # a registered provider type (mmchat.provider_types): openai, anthropic, gemini, ollama, ...
    base_url: str  # the type's default when not given; "" for a type not reached over HTTP
    api_key_env: str | None = None
    api_key_cmd: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    # Retries of a retryable error before the first token (the engine's loop).
    max_retries: int = 2
    # An in-process type (type: local): the GGUF file (None: the embedded model), the CPU
    # threads it runs on and its context window in tokens (None: the type's defaults).
    path: str | None = None
    threads: int | None = None
    context: int | None = None
    # A bench run's bounds on this provider: requests at once, and per minute (None: no limit).
    concurrency: int = 2
    rpm: int | None = None


@dataclass(frozen=True)
class Price:
    """USD per million tokens; None where the provider charges no such item
    or the price is unknown (see Catalog for the difference)."""

    input: float | None = None
    cached_input: float | None = None
    cache_write: float | None = None
    output: float | None = None
    reasoning: float | None = None  # defaults to the output price when None


@dataclass(frozen=True)
class ModelConfig:
    """A `models:` entry from the user's config (all fields optional overrides)."""

    address: str  # provider/model-id
    display_name: str | None = None
    context: int | None = None
    max_output: int | None = None
    price: Price | None = None
    tags: tuple[str, ...] | None = None
    tier: int | None = None  # 1 light, 2 standard, 3 strong: the routing tier, when not derived
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Budget:
    """Spending limits in USD (None: no limit); a warning shows once `warn_at` of a limit is spent."""

    conversation: float | None = None
    day: float | None = None
    warn_at: float = 0.8


DISCOVERY_PORTS = (11434, 1234, 8080, 8000)  # Ollama, LM Studio, llama.cpp's server, vLLM


@dataclass(frozen=True)
class Discovery:
    """Local servers probed at start-up on 127.0.0.1 (`discovery:`)."""

    enabled: bool = True
    ports: tuple[int, ...] = DISCOVERY_PORTS
    timeout: float = 0.4  # seconds for the whole probe: a port that accepts and never answers costs this


@dataclass(frozen=True)
class Config:
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    models: dict[str, ModelConfig] = field(default_factory=dict)
    default_model: str | None = None
    source: Path | None = None  # the file it was read from, None when built from the environment
    keymap: dict[str, str] = field(default_factory=dict)  # binding id → keys (the `keymap:` section)
    budget: Budget = field(default_factory=Budget)
    # The `routing:` section as a composed YAML node (lines kept): mmchat.routing reads it,
    # so this foundation layer never imports the routing layer above it.
    routing: Any = None
    discovery: Discovery = field(default_factory=Discovery)
    # `compare_sets:` name → the models a compare sends a prompt to (2 to 6 addresses)
    compare_sets: dict[str, tuple[str, ...]] = field(default_factory=dict)


# --- loading and validation ------------------------------------------------
#
# The YAML is composed into nodes (not loaded) so every key keeps its line
# number; the first problem found is raised as one ConfigError line.

OLLAMA_PORT = 11434

TOP_LEVEL_KEYS = (
    "providers", "models", "default_model", "keymap", "budget", "routing", "discovery", "compare_sets",
)
COMPARE_MODELS = (2, 6)  # the fewest and most models one compare sends a prompt to
DISCOVERY_KEYS = ("enabled", "ports", "timeout")
BUDGET_KEYS = ("conversation", "day", "warn_at")
PROVIDER_KEYS = (
    "type", "base_url", "api_key_env", "api_key_cmd", "headers", "timeouts", "max_retries", "path", "threads", "context",
    "concurrency", "rpm",
)
IN_PROCESS_KEYS = ("path", "threads", "context")  # only for a type not reached over HTTP (type: local)
TIMEOUT_KEYS = ("connect", "first_token", "idle")
MODEL_KEYS = ("display_name", "context", "max_output", "price", "tags", "tier", "params")
TIER_NAMES = ("light", "standard", "strong")  # a model's `tier:`, weakest first
PRICE_KEYS = ("input", "cached_input", "cache_write", "output", "reasoning")

# Headers that carry credentials: a literal value here would be a key in a file.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "x-goog-api-key", "proxy-authorization"})

# Models tried in order when no default_model is given.
DEFAULT_MODEL_PREFERENCE = (
    "openai/gpt-4.1-mini",
    "anthropic/claude-haiku-4-5",
    "gemini/gemini-2.5-flash",
    "openrouter/openai/gpt-4.1-mini",
    "groq/llama-3.3-70b-versatile",
)

_NO_KEYS_IN_FILES = (
    "keys never live in config files: export the key and name the variable with api_key_env, "
    "store it with `mmchat keys set <provider>`, or fetch it with api_key_cmd"
)


def parse_config(
    text: str,
    path: Path,
    env: Mapping[str, str] = os.environ,
    *,
    stored_keys: StoredKeys | None = None,
    embedded: ProviderConfig | None = None,
) -> Config:
    """Validate the YAML `text` read from `path` into a Config (raises ConfigError).

    Without a `providers:` section the providers come from `env` (API key
    variables, OLLAMA_HOST), from `stored_keys`, which says which services have
    a key in the keyring (None: the keyring is not asked), and `embedded`, the
    embedded model's provider when the local extra is installed.
    """
    return _Reader(path, env, stored_keys, embedded).config(compose(text, path))


def providers_from_env(
    env: Mapping[str, str], stored_keys: StoredKeys | None = None, embedded: ProviderConfig | None = None
) -> dict[str, ProviderConfig]:
    """The known services whose key variable is set in `env` or whose key `stored_keys`
    finds, Ollama when OLLAMA_HOST is set, and the embedded model's provider when given."""

    def has_env(service: KnownService) -> bool:
        return any(env.get(var, "").strip() for var in service.env_vars)

    found = {name for name, service in KNOWN_SERVICES.items() if has_env(service)}
    missing = [name for name in KNOWN_SERVICES if name not in found]
    if missing and stored_keys is not None:
        found |= stored_keys(missing)
    providers: dict[str, ProviderConfig] = {}
    for name, service in KNOWN_SERVICES.items():
        if name in found:
            var = next((v for v in service.env_vars if env.get(v, "").strip()), service.env_vars[0])
            providers[name] = ProviderConfig(name=name, type=service.type, base_url=service.base_url, api_key_env=var)
    host = env.get("OLLAMA_HOST", "").strip()
    if host:
        providers["ollama"] = ProviderConfig(name="ollama", type="ollama", base_url=_ollama_url(host))
    if embedded is not None:
        providers.setdefault(embedded.name, embedded)
    return providers


def _ollama_url(host: str) -> str:
    """OLLAMA_HOST as Ollama reads it: host[:port] or a URL; 0.0.0.0 (a bind address) means this machine."""
    url = host if "://" in host else f"http://{host}"
    try:
        parts = urlsplit(url)
        port = parts.port or OLLAMA_PORT
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"'{host}' is not a host[:port] or an http(s) URL", key="OLLAMA_HOST")
    hostname = "127.0.0.1" if parts.hostname in ("0.0.0.0", "::") else parts.hostname
    if ":" in hostname:
        hostname = f"[{hostname}]"
    return f"{parts.scheme}://{hostname}:{port}{parts.path.rstrip('/')}"


def pick_default(providers: Mapping[str, ProviderConfig], models: Mapping[str, ModelConfig]) -> str | None:
    """The first preferred model whose provider really is that service, else the first `models:`
    entry, else the first model a provider serves without being asked (the embedded model)."""
    for address in DEFAULT_MODEL_PREFERENCE:
        name = address.split("/", 1)[0]
        service = known_service(providers[name]) if name in providers else None
        if service is not None and service.name == name:
            return address
    if models:
        return next(iter(models))
    for provider in providers.values():
        served = provider_types.get(provider.type).models
        if served is not None:
            return f"{provider.name}/{served(provider)[0]}"
    return None


def _service_defaults(name: str) -> tuple[str, str] | None:
    """(type, base_url) implied by a provider named like a known service ('groq') or a type ('ollama')."""
    service = KNOWN_SERVICES.get(name)
    if service is not None:
        return service.type, service.base_url
    if name in provider_types.names():
        return name, provider_types.get(name).default_base_url or ""
    return None


def _valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_PROVIDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A Textual key name: modifiers, then a named key (f2, escape, question_mark) or one printable character.
_KEY_NAME = re.compile(r"(?:(?:ctrl|alt|shift|super|meta|hyper)\+)*(?:[a-z][a-z0-9_]*|[^\s,])")


class _Reader(NodeReader):
    """Walks the config's composed YAML nodes; `fail` raises at the node's line."""

    def __init__(
        self, path: Path, env: Mapping[str, str], stored_keys: StoredKeys | None, embedded: ProviderConfig | None
    ) -> None:
        super().__init__(path)
        self.env = env
        self.stored_keys = stored_keys
        self.embedded = embedded

    def unknown(self, knode: Any, dotted: str, name: str, allowed: Sequence[str]) -> NoReturn:
        if name in ("api_key", "key", "apikey", "api-key", "token"):
            self.fail(knode, dotted, _NO_KEYS_IN_FILES)
        if dotted == "keys":  # the section's name before "keys" came to mean API keys only
            self.fail(knode, dotted, "rename this section to keymap: (key bindings are the keymap; keys means API keys)")
        super().unknown(knode, dotted, name, allowed)

    def text(self, node: Any, key: str) -> str:
        value = self.value(node)
        if not isinstance(value, str) or not value.strip():
            self.fail(node, key, f"must be non-empty text, not {self.kind(node)}")
        return value.strip()

    # -- sections ------------------------------------------------------------

    def config(self, root: Any) -> Config:
        if root is None:  # an empty file
            providers = providers_from_env(self.env, self.stored_keys, self.embedded)
            return Config(providers=providers, default_model=pick_default(providers, {}), source=self.path)
        if not isinstance(root, self._yaml.MappingNode):
            self.fail(root, None, f"the top level must be a mapping (providers:, models:, ...), not {self.kind(root)}")
        sections = {name: (knode, vnode) for name, knode, vnode in self.mapping(root, None, TOP_LEVEL_KEYS)}
        if "providers" in sections:
            providers = self.providers(sections["providers"][1])
        else:
            providers = providers_from_env(self.env, self.stored_keys, self.embedded)
        models: dict[str, ModelConfig] = {}
        if "models" in sections:
            models = self.models(sections["models"][1], providers)
        if "default_model" in sections:
            vnode = sections["default_model"][1]
            default = self.address(self.text(vnode, "default_model"), vnode, "default_model", providers)
        else:
            default = pick_default(providers, models)
        keymap = self.keymap(sections["keymap"][1]) if "keymap" in sections else {}
        budget = self.budget(sections["budget"][1]) if "budget" in sections else Budget()
        routing = sections["routing"][1] if "routing" in sections else None
        discovery = self.discovery(sections["discovery"][1]) if "discovery" in sections else Discovery()
        compare_sets = self.compare_sets(sections["compare_sets"][1]) if "compare_sets" in sections else {}
        return Config(
            providers=providers, models=models, default_model=default, source=self.path, keymap=keymap,
            budget=budget, routing=routing, discovery=discovery, compare_sets=compare_sets,
        )

    def compare_sets(self, node: Any) -> dict[str, tuple[str, ...]]:
        """`compare_sets:` name → a list of 2 to 6 model addresses. The providers are not checked
        here: a local server found at start-up may serve a set's model (an unknown model is
        refused, in one line, when the set is used)."""
        if self.value(node) is None:
            return {}
        low, high = COMPARE_MODELS
        sets: dict[str, tuple[str, ...]] = {}
        for name, _, vnode in self.mapping(node, "compare_sets", None):
            key = f"compare_sets.{name}"
            models = self.text_list(vnode, key)
            for i, (address, item) in enumerate(zip(models, vnode.value)):
                self.address_shape(address, item, f"{key}[{i}]")
            if not low <= len(models) <= high:
                self.fail(vnode, key, f"a compare set holds {low} to {high} models, not {len(models)}")
            if len(set(models)) != len(models):
                self.fail(vnode, key, "a model is named twice: compare each model once")
            sets[name] = models
        return sets

    def discovery(self, node: Any) -> Discovery:
        """`discovery:` whether to probe local servers at start-up, and on which ports."""
        if self.value(node) is None:
            return Discovery()
        fields = {name: vnode for name, _, vnode in self.mapping(node, "discovery", DISCOVERY_KEYS)}
        enabled = True
        if "enabled" in fields:
            enabled = self.value(fields["enabled"])
            if not isinstance(enabled, bool):
                self.fail(fields["enabled"], "discovery.enabled", f"must be true or false, not {self.kind(fields['enabled'])}")
        ports = DISCOVERY_PORTS
        if "ports" in fields:
            vnode = fields["ports"]
            if not isinstance(vnode, self._yaml.SequenceNode):
                self.fail(vnode, "discovery.ports", f"must be a list of port numbers, e.g. [11434, 8080], not {self.kind(vnode)}")
            ports = tuple(self.port(item, f"discovery.ports[{i}]") for i, item in enumerate(vnode.value))
        timeout = Discovery.timeout
        if "timeout" in fields:
            timeout = self.number(fields["timeout"], "discovery.timeout", low=0.0, high=10.0, low_open=True)
        return Discovery(enabled=enabled, ports=tuple(dict.fromkeys(ports)), timeout=timeout)

    def port(self, node: Any, key: str) -> int:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            self.fail(node, key, f"must be a port number from 1 to 65535, not {self.kind(node)}")
        return value

    def budget(self, node: Any) -> Budget:
        """`budget:` limits in USD per conversation and per day, and the share that warns."""
        if self.value(node) is None:
            return Budget()
        fields: dict[str, float] = {}
        for name, _, vnode in self.mapping(node, "budget", BUDGET_KEYS):
            key = f"budget.{name}"
            if name == "warn_at":
                fields[name] = self.number(vnode, key, low=0.0, high=1.0, low_open=True)
            else:
                fields[name] = self.number(vnode, key, low=0.0, low_open=True)
        return Budget(**fields)

    def keymap(self, node: Any) -> dict[str, str]:
        """`keymap:` binding id → key names (Textual's: ctrl+o, f2, escape, ?), several separated by commas."""
        if self.value(node) is None:
            return {}
        result = {}
        value_nodes = {}
        for binding_id, knode, vnode in self.mapping(node, "keymap", None):
            key = f"keymap.{binding_id}"
            value_nodes[binding_id] = vnode
            if binding_id not in BINDING_IDS:
                close = difflib.get_close_matches(binding_id, BINDING_IDS, n=1, cutoff=0.5)
                hint = f"did you mean '{close[0]}'?" if close else f"binding ids are {', '.join(BINDING_IDS)}"
                self.fail(knode, key, f"unknown binding id; {hint}")
            value = self.value(vnode)
            if not isinstance(value, str) or not all(_KEY_NAME.fullmatch(k.strip()) for k in value.split(",")):
                self.fail(
                    vnode, key,
                    f"{self.kind(vnode) if not isinstance(value, str) else repr(value)} is not a key: "
                    "write key names like ctrl+o, f2, escape or ?, several separated by commas",
                )
            result[binding_id] = ",".join(k.strip() for k in value.split(","))
        for binding_id, vnode in value_nodes.items():  # once all are read: a clash may be with a later one
            problem = clash(result, binding_id)
            if problem is not None:
                self.fail(vnode, f"keymap.{binding_id}", problem)
        return result

    def providers(self, node: Any) -> dict[str, ProviderConfig]:
        if self.value(node) is None:
            return {}
        result = {}
        for name, knode, vnode in self.mapping(node, "providers", None):
            if not _PROVIDER_NAME.fullmatch(name):
                self.fail(knode, f"providers.{name}", "provider names may hold letters, digits, '_', '-' and '.' only")
            result[name] = self.provider(name, vnode)
        return result

    def provider(self, name: str, node: Any) -> ProviderConfig:
        key = f"providers.{name}"
        fields = {} if self.value(node) is None else {k: v for k, _, v in self.mapping(node, key, PROVIDER_KEYS)}
        implied = _service_defaults(name)
        ptype = self.provider_type(fields.get("type"), node, key, implied)
        if "base_url" in fields:
            base_url = self.base_url(fields["base_url"], f"{key}.base_url")
        elif implied is not None and implied[0] == ptype:
            base_url = implied[1]
        else:
            base_url = provider_types.get(ptype).default_base_url or ""
        api_key_env = None
        if "api_key_env" in fields:
            api_key_env = self.text(fields["api_key_env"], f"{key}.api_key_env")
            if not _ENV_NAME.fullmatch(api_key_env):
                self.fail(
                    fields["api_key_env"], f"{key}.api_key_env",
                    "must be the name of an environment variable (e.g. OPENAI_API_KEY), not the key itself",
                )
        max_retries = 2
        if "max_retries" in fields:
            vnode = fields["max_retries"]
            max_retries = self.value(vnode)
            if isinstance(max_retries, bool) or not isinstance(max_retries, int) or not 0 <= max_retries <= 10:
                self.fail(vnode, f"{key}.max_retries", f"must be a whole number from 0 to 10, not {self.kind(vnode)}")
        in_process = provider_types.get(ptype).in_process
        for field_name in IN_PROCESS_KEYS:
            if field_name in fields and not in_process:
                self.fail(fields[field_name], f"{key}.{field_name}", f"is for an in-process model (type: local), not type {ptype}")
        return ProviderConfig(
            name=name,
            type=ptype,
            base_url=base_url,
            api_key_env=api_key_env,
            api_key_cmd=self.text(fields["api_key_cmd"], f"{key}.api_key_cmd") if "api_key_cmd" in fields else None,
            headers=self.headers(fields["headers"], f"{key}.headers") if "headers" in fields else {},
            timeouts=self.timeouts(fields["timeouts"], f"{key}.timeouts") if "timeouts" in fields else Timeouts(),
            max_retries=max_retries,
            path=str(Path(self.text(fields["path"], f"{key}.path")).expanduser()) if "path" in fields else None,
            threads=self.positive_int(fields["threads"], f"{key}.threads") if "threads" in fields else None,
            context=self.positive_int(fields["context"], f"{key}.context") if "context" in fields else None,
            concurrency=self.positive_int(fields["concurrency"], f"{key}.concurrency") if "concurrency" in fields else ProviderConfig.concurrency,
            rpm=self.positive_int(fields["rpm"], f"{key}.rpm") if "rpm" in fields else None,
        )

    def provider_type(self, vnode: Any, provider_node: Any, key: str, implied: tuple[str, str] | None) -> str:
        """The `type:` given, else the one a well-known provider name implies."""
        types = provider_types.names()
        notes = "; ".join(f"{t.name} = {t.note}" for t in map(provider_types.get, types) if t.note)
        choices = f"one of {', '.join(types)}" + (f" ({notes})" if notes else "")
        if vnode is None:
            if implied is None:
                self.fail(provider_node, key, f"missing 'type': set it to {choices}")
            return implied[0]
        ptype = self.text(vnode, f"{key}.type")
        if ptype not in types:
            close = difflib.get_close_matches(ptype, types, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            self.fail(vnode, f"{key}.type", f"unknown type '{ptype}'; {hint}use {choices}")
        return ptype

    def base_url(self, vnode: Any, key: str) -> str:
        url = self.text(vnode, key).rstrip("/")
        if not _valid_url(url):
            self.fail(vnode, key, f"'{url}' is not an http(s) URL, e.g. http://127.0.0.1:8080/v1")
        return url

    def headers(self, node: Any, key: str) -> dict[str, str]:
        result = {}
        for name, knode, vnode in self.mapping(node, key, None):
            if name.lower() in SECRET_HEADERS:
                self.fail(knode, f"{key}.{name}", _NO_KEYS_IN_FILES)
            value = self.value(vnode)
            if not isinstance(value, str):
                self.fail(vnode, f"{key}.{name}", f"header values must be text (quote it), not {self.kind(vnode)}")
            result[name] = value
        return result

    def timeouts(self, node: Any, key: str) -> Timeouts:
        values = {
            name: self.number(vnode, f"{key}.{name}", low_open=True)
            for name, _, vnode in self.mapping(node, key, TIMEOUT_KEYS)
        }
        return Timeouts(**values)

    def address_shape(self, text: str, node: Any, key: str) -> str:
        """The provider part of `text`, which must read provider/model-id."""
        provider, slash, model_id = text.partition("/")
        if not slash or not provider or not model_id.strip():
            self.fail(node, key, f"'{text}' is not a model address: write provider/model-id, e.g. openai/gpt-4.1-mini")
        return provider

    def address(self, text: str, node: Any, key: str, providers: Mapping[str, ProviderConfig]) -> str:
        provider = self.address_shape(text, node, key)
        if provider not in providers:
            names = ", ".join(providers) or "none"
            self.fail(node, key, f"unknown provider '{provider}' in '{text}': configured providers are {names}")
        return text

    def models(self, node: Any, providers: Mapping[str, ProviderConfig]) -> dict[str, ModelConfig]:
        if self.value(node) is None:
            return {}
        result = {}
        for address, knode, vnode in self.mapping(node, "models", None):
            self.address(address, knode, f"models.{address}", providers)
            result[address] = self.model(address, vnode)
        return result

    def model(self, address: str, node: Any) -> ModelConfig:
        key = f"models.{address}"
        fields = {} if self.value(node) is None else {k: v for k, _, v in self.mapping(node, key, MODEL_KEYS)}
        tags = None
        if "tags" in fields:
            tags = tuple(dict.fromkeys(t.lower() for t in self.text_list(fields["tags"], f"{key}.tags")))
        return ModelConfig(
            address=address,
            display_name=self.text(fields["display_name"], f"{key}.display_name") if "display_name" in fields else None,
            context=self.positive_int(fields["context"], f"{key}.context") if "context" in fields else None,
            max_output=self.positive_int(fields["max_output"], f"{key}.max_output") if "max_output" in fields else None,
            price=self.price(fields["price"], f"{key}.price") if "price" in fields else None,
            tags=tags,
            tier=self.tier(fields["tier"], f"{key}.tier") if "tier" in fields else None,
            params=self.params(fields["params"], f"{key}.params") if "params" in fields else {},
        )

    def tier(self, node: Any, key: str) -> int:
        value = self.value(node)
        if isinstance(value, str) and value.strip().lower() in TIER_NAMES:
            return TIER_NAMES.index(value.strip().lower()) + 1
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 3:
            return value
        self.fail(node, key, f"unknown tier {self.kind(node)}; use {', '.join(TIER_NAMES)} (or 1, 2, 3)")

    def price(self, node: Any, key: str) -> Price:
        values = {name: self.number(vnode, f"{key}.{name}") for name, _, vnode in self.mapping(node, key, PRICE_KEYS)}
        return Price(**values)
