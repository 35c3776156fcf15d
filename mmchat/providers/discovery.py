"""Local model servers found by probing ports on this machine (Ollama, LM Studio,
llama.cpp's server, vLLM, or any other OpenAI-compatible server).

    found = await discover(config.discovery.ports)   # bounded: ~0.4 s at worst
    for placed in place(found, config.providers):    # new providers, or the configured one
        ...placed.config, placed.model_ids, placed.contexts

`discover` probes every port at once and gives up on all of them when its
`timeout` runs out: a refused port costs nothing, one that accepts and never
answers costs the timeout and is left out. What a server said before the
deadline is kept (a server whose model list arrived but whose details did not is
reported without them).

How each server is told apart (by what it answers, never by its port):

- llama.cpp's server: `/v1/models` items `owned_by: "llamacpp"` (or with a `meta`
  object); `/props` gives the context of one request (`n_ctx` of its slots).
- vLLM: `/v1/models` items `owned_by: "vllm"` or with `max_model_len`, the
  longest prompt plus answer it accepts.
- Ollama: `/api/version` answers `{"version": ...}`; `/api/tags` lists the models,
  `/api/show` each one's capabilities (`embedding` or `completion`), Modelfile
  parameters (`num_ctx`) and trained context, `/api/ps` the context of loaded models.
- LM Studio: its own REST API, `/api/v1/models` (0.4+: `type`, `loaded_instances`
  with their `context_length`) or `/api/v0/models` (`type` llm/vlm/embeddings).
- anything else whose `/v1/models` is an OpenAI model list: "openai-compatible".

A model's `context` is what the server will take for one request, when it says:
not the model's trained maximum (kept apart as `max_context`). Ollama is the case
that matters: it cuts a longer prompt silently to its `num_ctx`, which is the
Modelfile's `num_ctx`, else the server's default (2048 before 0.6.7, 4096 since;
since 0.15.5 chosen from the VRAM: 4096 under 24 GiB, more above;
OLLAMA_CONTEXT_LENGTH on the server replaces the default), or, for a loaded
model, what `/api/ps` reports.

Embedding (and reranking) models cannot chat: they are left out of `models` and
counted in `embedding_models`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from mmchat.catalog import Catalog
from mmchat.config import DISCOVERY_PORTS, Discovery, ProviderConfig

DEFAULT_PORTS: tuple[int, ...] = DISCOVERY_PORTS  # Ollama, LM Studio, llama.cpp's server, vLLM
DEFAULT_TIMEOUT = Discovery.timeout  # seconds for the whole probe, all ports together

KINDS = ("ollama", "lmstudio", "llama.cpp", "vllm", "openai-compatible")
# The provider name a found server gets (with its port added when the name is taken).
PROVIDER_NAMES = {
    "ollama": "ollama",
    "lmstudio": "lmstudio",
    "llama.cpp": "llamacpp",
    "vllm": "vllm",
    "openai-compatible": "local",
}

# Where a model's `context` comes from.
FROM_LOADED = "loaded"  # the server reports the context the running model was loaded with
FROM_SERVER = "server"  # the server's own limit for a request (llama.cpp's n_ctx, vLLM's max_model_len)
FROM_MODELFILE = "modelfile"  # Ollama: num_ctx in the model's parameters
FROM_DEFAULT = "default"  # Ollama: its default for the version (OLLAMA_CONTEXT_LENGTH changes it)

# Ollama families (architectures) of embedding models, for servers too old to list capabilities.
EMBEDDING_FAMILIES = frozenset({"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "xlm-roberta", "roberta"})
_EMBEDDING_NAME = re.compile(
    r"embed|rerank|(?:^|[/:_.-])(?:bge|gte|e5|minilm|all-minilm)(?:$|[/:_.-])", re.IGNORECASE
)
_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)


def looks_like_embedding(model_id: str, families: Iterable[str] = ()) -> bool:
    """A guess from the name (and Ollama's families) when the server does not say what a model does."""
    return bool(_EMBEDDING_NAME.search(model_id)) or any(f.lower() in EMBEDDING_FAMILIES for f in families)


@dataclass(frozen=True)
class FoundModel:
    id: str
    context: int | None = None  # tokens the server takes for one request (prompt + answer), when it says
    context_source: str | None = None  # FROM_LOADED, FROM_SERVER, FROM_MODELFILE or FROM_DEFAULT
    max_context: int | None = None  # the model's trained maximum, when the server says (not a limit it applies)


@dataclass(frozen=True)
class FoundServer:
    kind: str  # one of KINDS
    port: int
    base_url: str  # as a provider's base_url: Ollama's root for type ollama, .../v1 for type openai
    models: tuple[FoundModel, ...] = ()  # the chat models it lists
    embedding_models: tuple[str, ...] = ()  # the ones left out: they cannot chat
    version: str | None = None
    problem: str | None = None  # why its models are unknown (e.g. it asks for an API key)

    @property
    def provider_type(self) -> str:
        return "ollama" if self.kind == "ollama" else "openai"

    @property
    def contexts(self) -> dict[str, int]:
        """model id → context, for the models whose context the server says."""
        return {m.id: m.context for m in self.models if m.context}

    def summary(self) -> str:
        """'3 chat models, 2 embedding models left out' (or its problem)."""
        n = len(self.models)
        text = f"{n} chat model{'' if n == 1 else 's'}"
        if self.embedding_models:
            e = len(self.embedding_models)
            text += f", {e} embedding model{'' if e == 1 else 's'} left out"
        if self.problem:
            text += f" ({self.problem})"
        return text


async def discover(
    ports: Iterable[int] = DEFAULT_PORTS,
    host: str = "127.0.0.1",
    timeout: float = DEFAULT_TIMEOUT,
    *,
    client: httpx.AsyncClient | None = None,
) -> list[FoundServer]:
    """The model servers answering on `host` at `ports`, in the order of `ports`.

    All ports are probed at once and the whole probe ends after `timeout` seconds
    at most: what has not answered by then is given up (a port that accepts and
    never answers is left out; a server whose details were late is reported
    without them). Never raises for what a server does.
    """
    ports = tuple(dict.fromkeys(ports))
    if not ports:
        return []
    clients = _Clients(client, timeout)
    probes = [_Probe(host, port) for port in ports]
    tasks = [asyncio.create_task(probe.run(clients)) for probe in probes]
    try:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
    finally:
        for task in tasks:
            task.cancel()
        await clients.aclose()
    return [server for probe in probes if (server := probe.result()) is not None]


class _Clients:
    """The HTTP client, made when a first port accepts a connection: when none does, the
    probe never loads the HTTP machinery's first-request imports (tens of ms)."""

    def __init__(self, client: httpx.AsyncClient | None, timeout: float) -> None:
        self._given = client
        self._own: httpx.AsyncClient | None = None
        self._timeout = timeout

    def get(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        if self._own is None:
            self._own = _client(self._timeout)
        return self._own

    async def aclose(self) -> None:
        if self._own is not None:
            await self._own.aclose()


async def _accepts(host: str, port: int) -> bool:
    """Whether the port takes a TCP connection (a refused one answers at once)."""
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


def _client(timeout: float) -> httpx.AsyncClient:
    # Plain HTTP to this machine: no TLS context to build, and no proxy from the environment.
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(verify=False),
        timeout=httpx.Timeout(timeout),
        trust_env=False,
        headers={"Accept": "application/json"},
    )


# --- from found servers to providers ------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where a found server's chat models go: a new provider, or the configured one that
    already points at the server (`new` False), under `name`."""

    server: FoundServer
    name: str
    config: ProviderConfig
    new: bool

    @property
    def model_ids(self) -> list[str]:
        return [m.id for m in self.server.models]

    @property
    def contexts(self) -> dict[str, int]:
        """model id → the context the server takes for one request (only those it says)."""
        return self.server.contexts


def place(found: Iterable[FoundServer], providers: Mapping[str, ProviderConfig]) -> list[Placement]:
    """A Placement for each found server with chat models.

    A server that a configured provider already points at (same host and port;
    localhost, 127.0.0.1, ::1 and 0.0.0.0 are the same host) keeps that provider;
    any other becomes a new provider of type ollama or openai, named after its kind
    (`ollama`, `lmstudio`, `llamacpp`, `vllm`, `local`), with its port added when a
    configured provider or an earlier found server has the name.
    """
    configured = {}
    for name, provider in providers.items():
        address = _address(provider.base_url)
        if address is not None:
            configured.setdefault(address, name)
    taken = set(providers)
    placements = []
    for server in found:
        if not server.models:
            continue
        existing = configured.get(_address(server.base_url))
        if existing is not None:
            placements.append(Placement(server, existing, providers[existing], new=False))
            continue
        name = _free_name(PROVIDER_NAMES.get(server.kind, "local"), server.port, taken)
        taken.add(name)
        config = ProviderConfig(name=name, type=server.provider_type, base_url=server.base_url)
        placements.append(Placement(server, name, config, new=True))
    return placements


def _free_name(base: str, port: int, taken: set[str]) -> str:
    for candidate in (base, f"{base}-{port}"):
        if candidate not in taken:
            return candidate
    n = 2
    while f"{base}-{port}-{n}" in taken:
        n += 1
    return f"{base}-{port}-{n}"


def _address(url: str) -> tuple[str, int] | None:
    """(host, port) of a URL, with every name of this machine written 'loopback'."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host or port is None:
        return None
    if host in ("localhost", "0.0.0.0", "::") or host.endswith(".localhost"):
        return "loopback", port
    try:
        if ipaddress.ip_address(host).is_loopback:
            return "loopback", port
    except ValueError:
        pass
    return host, port


# --- probing one port ------------------------------------------------------------------


@dataclass
class _Info:
    """What the server said about one model (None: it did not say)."""

    embedding: bool | None = None
    context: int | None = None
    context_source: str | None = None
    max_context: int | None = None
    families: tuple[str, ...] = ()


@dataclass
class _Probe:
    """One port's probe; filled in as answers arrive, so what came before the deadline is kept."""

    host: str
    port: int
    kind: str | None = None
    base_url: str = ""
    version: str | None = None
    problem: str | None = None
    ids: list[str] = field(default_factory=list)
    info: dict[str, _Info] = field(default_factory=dict)
    default_context: tuple[int, str] | None = None  # Ollama: its default num_ctx and where from
    listed: bool = False  # its model list has come

    @property
    def root(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def run(self, clients: _Clients) -> None:
        try:
            if await _accepts(self.host, self.port):
                await self._identify(clients.get())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a server answering in a way not foreseen: report it, never fail
            self.problem = f"unexpected answer ({type(exc).__name__})"

    def result(self) -> FoundServer | None:
        if self.kind is None:
            return None
        problem = self.problem
        if not self.listed and problem is None:
            problem = "its model list did not come in time"
        models, embeddings = [], []
        for model_id in self.ids:
            info = self.info.get(model_id) or _Info()
            embedding = info.embedding
            if embedding is None:
                embedding = looks_like_embedding(model_id, info.families)
            if embedding:
                embeddings.append(model_id)
                continue
            context, source = info.context, info.context_source
            if context is None and self.default_context is not None:
                context, source = self.default_context
            if context is not None and info.max_context and context > info.max_context:
                context = info.max_context  # Ollama and LM Studio load no more than the model was trained on
            models.append(FoundModel(model_id, context, source if context else None, info.max_context))
        return FoundServer(
            kind=self.kind,
            port=self.port,
            base_url=self.base_url,
            models=tuple(models),
            embedding_models=tuple(embeddings),
            version=self.version,
            problem=problem,
        )

    async def _identify(self, client: httpx.AsyncClient) -> None:
        root = self.root
        (_, version), (status, listing) = await asyncio.gather(
            _get(client, f"{root}/api/version"), _get(client, f"{root}/v1/models")
        )
        items = _model_items(listing) if status == 200 else None
        owners = {str(item.get("owned_by", "")).lower() for item in items or ()}
        if items is not None and ("llamacpp" in owners or any(isinstance(i.get("meta"), dict) for i in items)):
            self._found("llama.cpp", items)
            await self._llama_cpp(client)
        elif items is not None and ("vllm" in owners or any("max_model_len" in i for i in items)):
            self._found("vllm", items)
            for item in items:
                max_model_len = _positive(item.get("max_model_len"))
                if max_model_len:  # vLLM refuses a longer request (it does not cut it)
                    info = self._info(item["id"])
                    info.context, info.context_source = max_model_len, FROM_SERVER
        elif isinstance(version, dict) and isinstance(version.get("version"), str):
            self.kind, self.base_url, self.version = "ollama", root, version["version"]
            self.default_context = ollama_default_context(self.version)
            await self._ollama(client)
        elif items is not None:
            self._found("openai-compatible", items)
            await self._lmstudio_or_llama_cpp(client)
        elif status in (401, 403):
            self.kind, self.base_url = "openai-compatible", f"{root}/v1"
            self.problem = "it asks for an API key"

    def _found(self, kind: str, items: list[dict[str, Any]]) -> None:
        self.kind, self.base_url = kind, f"{self.root}/v1"
        self.ids = list(dict.fromkeys(str(item["id"]) for item in items))
        self.listed = True
        for item in items:  # the trained context, when the listing says (llama.cpp's meta, some others)
            meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
            trained = meta.get("n_ctx_train") or item.get("context_length") or item.get("max_context_length")
            if _positive(trained):
                self._info(str(item["id"])).max_context = trained

    def _info(self, model_id: str) -> _Info:
        return self.info.setdefault(model_id, _Info())

    async def _llama_cpp(self, client: httpx.AsyncClient) -> None:
        _, props = await _get(client, f"{self.root}/props")
        if not isinstance(props, dict):
            return
        settings = props.get("default_generation_settings")
        n_ctx = _positive(settings.get("n_ctx") if isinstance(settings, dict) else None) or _positive(
            props.get("n_ctx")
        )
        build = props.get("build_info")
        if isinstance(build, str):
            self.version = build
        if n_ctx:
            for model_id in self.ids:  # one model per server (router mode lists several, each with its own)
                info = self._info(model_id)
                info.context, info.context_source = n_ctx, FROM_SERVER

    async def _lmstudio_or_llama_cpp(self, client: httpx.AsyncClient) -> None:
        """An OpenAI model list that says nothing more: LM Studio's REST API or llama.cpp's /props tell."""
        (_, v1), (_, v0), (_, props) = await asyncio.gather(
            _get(client, f"{self.root}/api/v1/models"),
            _get(client, f"{self.root}/api/v0/models"),
            _get(client, f"{self.root}/props"),
        )
        v1_models = v1.get("models") if isinstance(v1, dict) else None
        v0_models = _model_items(v0)
        if isinstance(v1_models, list) and any(isinstance(m, dict) and "key" in m for m in v1_models):
            self.kind = "lmstudio"
            for m in v1_models:
                if isinstance(m, dict) and isinstance(m.get("key"), str):
                    self._lmstudio_model(m["key"], m.get("type"), m.get("max_context_length"), m)
        elif v0_models and any("type" in m for m in v0_models):
            self.kind = "lmstudio"
            for m in v0_models:
                self._lmstudio_model(str(m["id"]), m.get("type"), m.get("max_context_length"), None)
        elif isinstance(props, dict) and "default_generation_settings" in props:
            self.kind = "llama.cpp"
            await self._llama_cpp(client)

    def _lmstudio_model(self, model_id: str, kind: Any, max_context: Any, v1: dict[str, Any] | None) -> None:
        info = self._info(model_id)
        if isinstance(kind, str):
            info.embedding = kind.lower() in ("embedding", "embeddings")
        info.max_context = _positive(max_context) or info.max_context
        loaded = v1.get("loaded_instances") if v1 else None
        if isinstance(loaded, list):
            contexts = [
                _positive(i.get("config", {}).get("context_length"))
                for i in loaded
                if isinstance(i, dict) and isinstance(i.get("config"), dict)
            ]
            contexts = [c for c in contexts if c]
            if contexts:  # several instances: the smallest is the one a request may land on
                info.context, info.context_source = min(contexts), FROM_LOADED

    async def _ollama(self, client: httpx.AsyncClient) -> None:
        (_, tags), (_, ps) = await asyncio.gather(
            _get(client, f"{self.root}/api/tags"), _get(client, f"{self.root}/api/ps")
        )
        models = tags.get("models") if isinstance(tags, dict) else None
        if not isinstance(models, list):
            self.problem = "its model list did not come"
            return
        self.listed = True
        for m in models:
            if not isinstance(m, dict):
                continue
            model_id = m.get("model") or m.get("name")
            if not isinstance(model_id, str):
                continue
            self.ids.append(model_id)
            details = m.get("details") if isinstance(m.get("details"), dict) else {}
            families = [details.get("family"), *(details.get("families") or ())]
            self._info(model_id).families = tuple(f for f in families if isinstance(f, str))
        running = ps.get("models") if isinstance(ps, dict) else None
        for m in running if isinstance(running, list) else ():
            model_id = m.get("model") or m.get("name") if isinstance(m, dict) else None
            context = _positive(m.get("context_length")) if isinstance(m, dict) else None
            if model_id in self.info and context:
                self.info[model_id].context, self.info[model_id].context_source = context, FROM_LOADED
        await asyncio.gather(*(self._ollama_show(client, model_id) for model_id in self.ids))

    async def _ollama_show(self, client: httpx.AsyncClient, model_id: str) -> None:
        status, show = await _post(client, f"{self.root}/api/show", {"model": model_id})
        if status != 200 or not isinstance(show, dict):
            return
        info = self._info(model_id)
        capabilities = show.get("capabilities")
        if isinstance(capabilities, list) and capabilities:
            info.embedding = "completion" not in capabilities and "embedding" in capabilities
        model_info = show.get("model_info")
        if isinstance(model_info, dict):
            arch = model_info.get("general.architecture")
            trained = model_info.get(f"{arch}.context_length") if isinstance(arch, str) else None
            if trained is None:
                trained = next((v for k, v in model_info.items() if k.endswith(".context_length")), None)
            info.max_context = _positive(trained) or info.max_context
        parameters = show.get("parameters")
        if info.context_source != FROM_LOADED and isinstance(parameters, str):
            found = _NUM_CTX.findall(parameters)
            if found and int(found[-1]) > 0:
                info.context, info.context_source = int(found[-1]), FROM_MODELFILE


def ollama_default_context(version: str | None) -> tuple[int, str]:
    """Ollama's num_ctx for a model whose Modelfile sets none, by server version, and where
    that figure comes from. 2048 before 0.6.7, 4096 since; from 0.15.5 it depends on the
    VRAM (4096 under 24 GiB, 32768 up to 48 GiB, 262144 above), so 4096 is its floor.
    OLLAMA_CONTEXT_LENGTH on the server replaces it (the server's environment is not visible here)."""
    parsed = _version_tuple(version)
    if parsed is not None and parsed < (0, 6, 7):
        return 2048, FROM_DEFAULT
    return 4096, FROM_DEFAULT


def _version_tuple(version: str | None) -> tuple[int, ...] | None:
    if not version:
        return None
    numbers = re.findall(r"\d+", version.split("-", 1)[0])
    return tuple(int(n) for n in numbers[:3]) if numbers else None


def _model_items(body: Any) -> list[dict[str, Any]] | None:
    """The items of an OpenAI model list ({"data": [{"id": ...}, ...]}), or None when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return None
    items = [item for item in body["data"] if isinstance(item, dict) and isinstance(item.get("id"), str)]
    if body["data"] and not items:
        return None
    return items


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def _get(client: httpx.AsyncClient, url: str) -> tuple[int, Any]:
    """(status, JSON body or None); (0, None) when nothing answered in HTTP."""
    try:
        response = await client.get(url)
    except httpx.HTTPError:
        return 0, None
    return response.status_code, _json(response)


async def _post(client: httpx.AsyncClient, url: str, body: Any) -> tuple[int, Any]:
    try:
        response = await client.post(url, json=body)
    except httpx.HTTPError:
        return 0, None
    return response.status_code, _json(response)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def join(catalog: Catalog, placements: Iterable[Placement]) -> None:
    """The placed servers' chat models join `catalog`: a new provider for each server no
    configured provider points at, and each model's context when the server says it."""
    for placed in placements:
        if placed.new:
            catalog.add_provider(placed.config)
        catalog.add_discovered(placed.name, placed.model_ids, placed.contexts)
