"""Discovery of local model servers (mmchat.providers.discovery) over real sockets:
servers answering like Ollama, LM Studio, llama.cpp's server and vLLM on free ports,
one that accepts and never answers, one that refuses, and `mmchat models` showing them."""

from __future__ import annotations

import asyncio
import time

import pytest

from mmchat.catalog import FREE, Catalog
from mmchat.config import Config, ProviderConfig
from mmchat.providers import build_provider
from mmchat.providers.discovery import (
    FROM_DEFAULT,
    FROM_LOADED,
    FROM_MODELFILE,
    FROM_SERVER,
    FoundModel,
    FoundServer,
    discover,
    looks_like_embedding,
    ollama_default_context,
    place,
)
from tests.servers.client import ask, collect, text_of
from tests.servers.local import (
    LlamaCppServer,
    LMStudioServer,
    LocalModel,
    NotAModelServer,
    OllamaLocalServer,
    OllamaModel,
    VLLMServer,
)
from tests.servers.openai import OpenAIServer
from tests.servers.sockets import closed_port, silent_port, unanswered_port

BOUND = 0.3  # the probe's timeout in these tests
SLACK = 1.0  # what cancelling the late requests and a busy machine may add (far below what is waited out)


def one(found: list[FoundServer]) -> FoundServer:
    assert len(found) == 1, found
    return found[0]


def model(server: FoundServer, model_id: str) -> FoundModel:
    return next(m for m in server.models if m.id == model_id)


# --- telling the servers apart ------------------------------------------------------------


async def test_each_kind_of_server_is_told_apart_whatever_its_port():
    with (
        OllamaLocalServer() as ollama,
        LMStudioServer() as lmstudio,
        LlamaCppServer() as llama,
        VLLMServer() as vllm,
        OpenAIServer() as other,
    ):
        ports = [vllm.port, ollama.port, other.port, llama.port, lmstudio.port]
        found = await discover(ports, timeout=2)
        roots = {"vllm": vllm.root_url, "ollama": ollama.root_url, "llama.cpp": llama.root_url,
                 "lmstudio": lmstudio.root_url, "openai-compatible": other.root_url}
    assert [(s.kind, s.port) for s in found] == list(
        zip(["vllm", "ollama", "openai-compatible", "llama.cpp", "lmstudio"], ports)
    )
    urls = {s.kind: s.base_url for s in found}
    assert urls["ollama"] == roots["ollama"]  # the root, for type: ollama
    assert urls["vllm"] == roots["vllm"] + "/v1"  # /v1, for type: openai
    assert urls["llama.cpp"] == roots["llama.cpp"] + "/v1"
    assert urls["lmstudio"] == roots["lmstudio"] + "/v1"
    assert [s.provider_type for s in found] == ["openai", "ollama", "openai", "openai", "openai"]
    assert [m.id for m in found[2].models] == other.models


async def test_llama_cpp_serving_ollamas_model_list_is_not_taken_for_ollama():
    with LlamaCppServer("gemma-3-1b-it.gguf", n_ctx=2048, n_ctx_train=32768) as llama:
        server = one(await discover([llama.port], timeout=2))
        assert llama.tags_reply(None).status == 200  # it does answer /api/tags
    assert server.kind == "llama.cpp"
    assert server.models == (FoundModel("gemma-3-1b-it.gguf", 2048, FROM_SERVER, 32768),)
    assert server.version == "b6100-abcdef12"


async def test_an_older_llama_cpp_without_owned_by_is_known_by_its_props():
    with LlamaCppServer(n_ctx=8192, describe=False) as llama:
        server = one(await discover([llama.port], timeout=2))
    assert server.kind == "llama.cpp"
    assert server.models[0].context == 8192


async def test_something_else_on_the_port_is_not_a_server():
    with NotAModelServer() as web:
        assert await discover([web.port], timeout=2) == []
        assert {r.path for r in web.requests} == {"/api/version", "/v1/models"}  # two requests, then nothing


# --- models and their contexts --------------------------------------------------------------


OLLAMA_MODELS = [
    OllamaModel("llama3.2:latest", num_ctx=8192),  # its Modelfile sets num_ctx
    OllamaModel("qwen3:0.6b", num_ctx=8192, loaded=16384, trained=40960),  # loaded: /api/ps says
    OllamaModel("mistral:7b"),  # the server's default applies
    OllamaModel("tinyllama:latest", num_ctx=65536, trained=2048),  # more than it was trained on
    OllamaModel("nomic-embed-text:latest", family="nomic-bert", capabilities=("embedding",)),
    OllamaModel("embeddinggemma:latest", family="gemma3", capabilities=("embedding",)),
]


async def test_ollama_lists_chat_models_with_the_context_it_will_really_use():
    with OllamaLocalServer(OLLAMA_MODELS, version="0.12.3") as ollama:
        server = one(await discover([ollama.port], timeout=2))
        shown = sorted(r.json["model"] for r in ollama.requests if r.path == "/api/show")
    assert server.kind == "ollama" and server.version == "0.12.3"
    assert [m.id for m in server.models] == ["llama3.2:latest", "qwen3:0.6b", "mistral:7b", "tinyllama:latest"]
    assert server.embedding_models == ("nomic-embed-text:latest", "embeddinggemma:latest")
    assert model(server, "llama3.2:latest") == FoundModel("llama3.2:latest", 8192, FROM_MODELFILE, 131072)
    assert model(server, "qwen3:0.6b") == FoundModel("qwen3:0.6b", 16384, FROM_LOADED, 40960)
    assert model(server, "mistral:7b") == FoundModel("mistral:7b", 4096, FROM_DEFAULT, 131072)
    assert model(server, "tinyllama:latest").context == 2048  # Ollama loads no more than the model's own
    assert shown == sorted(m.name for m in OLLAMA_MODELS)
    assert server.summary() == "4 chat models, 2 embedding models left out"


async def test_an_older_ollama_defaults_to_2048_and_its_embedding_models_are_told_by_family():
    specs = [
        OllamaModel("llama3:8b", capabilities=None),
        OllamaModel("mxbai-embed-large:latest", family="bert", capabilities=None),
        OllamaModel("all-minilm:l6-v2", family="bert", capabilities=None),
        OllamaModel("snowflake-arctic-embed2:latest", family="xlm-roberta", capabilities=None),
    ]
    with OllamaLocalServer(specs, version="0.5.7") as ollama:
        server = one(await discover([ollama.port], timeout=2))
    assert server.models == (FoundModel("llama3:8b", 2048, FROM_DEFAULT, 131072),)
    assert len(server.embedding_models) == 3


def test_ollamas_default_context_by_version():
    assert ollama_default_context("0.6.6") == (2048, FROM_DEFAULT)
    assert ollama_default_context("0.6.7") == (4096, FROM_DEFAULT)
    assert ollama_default_context("0.15.5-rc1") == (4096, FROM_DEFAULT)  # its floor, chosen from the VRAM since


async def test_ollamas_late_details_are_given_up_but_its_models_kept():
    specs = [OllamaModel("llama3.2:latest", num_ctx=32768), OllamaModel("nomic-embed-text:v1.5", family="nomic-bert")]
    with OllamaLocalServer(specs, show_delay=5) as ollama:
        started = time.perf_counter()
        server = one(await discover([ollama.port], timeout=BOUND))
        elapsed = time.perf_counter() - started
    assert elapsed < BOUND + SLACK
    # Without /api/show: the version's default context, and embedding models told by family and name.
    assert server.models == (FoundModel("llama3.2:latest", 4096, FROM_DEFAULT, None),)
    assert server.embedding_models == ("nomic-embed-text:v1.5",)


async def test_an_ollama_too_slow_to_list_its_models_says_so():
    with OllamaLocalServer(tags_delay=5) as ollama:
        server = one(await discover([ollama.port], timeout=BOUND))
    assert server.kind == "ollama" and server.models == ()
    assert server.problem == "its model list did not come in time"
    assert "0 chat models (its model list did not come in time)" == server.summary()
    assert place([server], {}) == []


LMSTUDIO_MODELS = [
    LocalModel("qwen/qwen3-4b-2507", loaded=8192, max_context=262144),
    LocalModel("google/gemma-3-12b", type="vlm", max_context=131072),
    LocalModel("text-embedding-nomic-embed-text-v1.5", type="embedding", max_context=2048),
    LocalModel("my-finetune", type="embeddings"),  # the name says nothing: the type does
]


@pytest.mark.parametrize("rest", ["v1", "v0"])
async def test_lm_studio_leaves_embedding_models_out_by_their_type(rest):
    with LMStudioServer(LMSTUDIO_MODELS, rest=rest) as lmstudio:
        server = one(await discover([lmstudio.port], timeout=2))
    assert server.kind == "lmstudio"
    assert [m.id for m in server.models] == ["qwen/qwen3-4b-2507", "google/gemma-3-12b"]
    assert server.embedding_models == ("text-embedding-nomic-embed-text-v1.5", "my-finetune")
    gemma = model(server, "google/gemma-3-12b")
    assert gemma.context is None and gemma.max_context == 131072  # not loaded: it will load with its own setting
    expected = 8192 if rest == "v1" else None  # only the v1 API says what a loaded model's context is
    assert model(server, "qwen/qwen3-4b-2507").context == expected


async def test_lm_studio_without_its_rest_api_is_an_openai_compatible_server():
    with LMStudioServer(LMSTUDIO_MODELS, rest=None) as lmstudio:
        server = one(await discover([lmstudio.port], timeout=2))
    assert server.kind == "openai-compatible"
    # Told by name only: the one whose name says nothing stays.
    assert server.embedding_models == ("text-embedding-nomic-embed-text-v1.5",)


async def test_vllm_gives_each_models_max_model_len():
    specs = [LocalModel("Qwen/Qwen2.5-7B-Instruct", max_context=32768), LocalModel("BAAI/bge-m3", max_context=8192)]
    with VLLMServer(specs) as vllm:
        server = one(await discover([vllm.port], timeout=2))
    assert server.kind == "vllm"
    assert server.models == (FoundModel("Qwen/Qwen2.5-7B-Instruct", 32768, FROM_SERVER, None),)
    assert server.embedding_models == ("BAAI/bge-m3",)


def test_embedding_names():
    for name in ("nomic-embed-text", "BAAI/bge-m3", "bge-large-en-v1.5", "intfloat/e5-mistral-7b-instruct",
                 "all-minilm:l6-v2", "jina-reranker-v2", "Alibaba-NLP/gte-Qwen2-1.5B-instruct"):
        assert looks_like_embedding(name), name
    for name in ("qwen2.5:7b", "llama3.2:latest", "gemma-3-1b-it.gguf", "deepseek-r1:8b", "phi4-mini"):
        assert not looks_like_embedding(name), name
    assert looks_like_embedding("custom:latest", ["nomic-bert"])


async def test_a_server_asking_for_a_key_is_reported_without_models():
    with OpenAIServer(api_key="sk-local") as locked:
        server = one(await discover([locked.port], timeout=2))
    assert server.kind == "openai-compatible" and server.models == ()
    assert server.problem and "key" in server.problem
    assert place([server], {}) == []  # nothing to chat with: no provider


# --- the bound ------------------------------------------------------------------------------


async def test_a_port_that_accepts_and_never_answers_is_given_up_within_the_bound():
    with OllamaLocalServer() as ollama, silent_port() as silent, unanswered_port() as stuck:
        started = time.perf_counter()
        found = await discover([silent, stuck, closed_port(), ollama.port], timeout=BOUND)
        elapsed = time.perf_counter() - started
    assert [s.kind for s in found] == ["ollama"]  # the others report nothing
    assert BOUND - 0.05 < elapsed < BOUND + SLACK


async def test_refused_ports_cost_next_to_nothing():
    started = time.perf_counter()
    assert await discover([closed_port() for _ in range(4)], timeout=5) == []
    assert time.perf_counter() - started < 0.2


async def test_answering_servers_do_not_wait_for_the_bound():
    with OllamaLocalServer(OLLAMA_MODELS) as ollama, VLLMServer() as vllm:
        started = time.perf_counter()
        found = await discover([ollama.port, vllm.port, closed_port()], timeout=5)
        assert time.perf_counter() - started < 1
    assert len(found) == 2


async def test_cancelling_the_probe_cancels_its_requests():
    with silent_port() as silent:
        task = asyncio.create_task(discover([silent], timeout=30))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 1)


# --- as providers -----------------------------------------------------------------------------


def found(kind: str, port: int, *models: str, base: str | None = None) -> FoundServer:
    root = f"http://127.0.0.1:{port}"
    url = base or (root if kind == "ollama" else f"{root}/v1")
    return FoundServer(kind, port, url, tuple(FoundModel(m, 4096, FROM_SERVER) for m in models))


def test_found_servers_become_providers_named_after_their_kind():
    servers = [found("ollama", 11434, "llama3.2"), found("lmstudio", 1234, "qwen/qwen3-4b"),
               found("llama.cpp", 8080, "model.gguf"), found("vllm", 8000, "Qwen/Qwen2.5-7B"),
               found("openai-compatible", 5000, "x")]
    placed = place(servers, {})
    assert [(p.name, p.config.type, p.config.base_url, p.new) for p in placed] == [
        ("ollama", "ollama", "http://127.0.0.1:11434", True),
        ("lmstudio", "openai", "http://127.0.0.1:1234/v1", True),
        ("llamacpp", "openai", "http://127.0.0.1:8080/v1", True),
        ("vllm", "openai", "http://127.0.0.1:8000/v1", True),
        ("local", "openai", "http://127.0.0.1:5000/v1", True),
    ]
    assert placed[0].model_ids == ["llama3.2"] and placed[0].contexts == {"llama3.2": 4096}


def test_a_server_already_configured_is_not_added_twice():
    configured = {
        "home": ProviderConfig("home", "ollama", "http://localhost:11434"),  # localhost is 127.0.0.1
        "lab": ProviderConfig("lab", "openai", "http://[::1]:8000/v1/"),
    }
    placed = place([found("ollama", 11434, "llama3.2"), found("vllm", 8000, "q")], configured)
    assert [(p.name, p.new, p.config) for p in placed] == [
        ("home", False, configured["home"]),
        ("lab", False, configured["lab"]),
    ]
    assert placed[0].contexts == {"llama3.2": 4096}  # still known for the configured provider


def test_names_never_clash_with_configured_providers_or_each_other():
    configured = {"ollama": ProviderConfig("ollama", "ollama", "http://gpu-box:11434")}  # another machine
    servers = [found("ollama", 11434, "a"), found("ollama", 11435, "b"), found("openai-compatible", 5000, "c"),
               found("openai-compatible", 5001, "d")]
    names = [p.name for p in place(servers, configured)]
    assert names == ["ollama-11434", "ollama-11435", "local", "local-5001"]


def test_a_server_without_chat_models_becomes_no_provider():
    only_embeddings = FoundServer("ollama", 11434, "http://127.0.0.1:11434", (), ("nomic-embed-text",))
    assert place([only_embeddings], {}) == []


async def test_a_found_server_answers_through_its_provider_and_is_local_and_free():
    with OllamaLocalServer([OllamaModel("llama3.2:latest")]) as ollama, VLLMServer() as vllm:
        placed = place(await discover([ollama.port, vllm.port], timeout=2), {})
        config = Config(providers={p.name: p.config for p in placed})
        catalog = Catalog.build(config)
        for p in placed:
            catalog.add_discovered(p.name, p.model_ids)
            provider = build_provider(p.config, None)
            try:
                events = await collect(provider, ask("hello there", model=p.model_ids[0]))
            finally:
                await provider.aclose()
            assert text_of(events) == "You said: hello there"
    for address in ("ollama/llama3.2:latest", "vllm/Qwen/Qwen2.5-7B-Instruct"):
        info = catalog.get(address)
        assert info is not None and info.price == FREE and "local" in info.tags


# --- mmchat models ------------------------------------------------------------------------------


def models_config(home, server, ports, *, extra: str = "", enabled: bool = True):
    from tests.cli_helpers import write_config

    listed = ", ".join(str(p) for p in ports)
    return write_config(
        home,
        f"""\
providers:
  lab:
    type: openai
    base_url: {server.base_url}
    api_key_env: LAB_KEY
{extra}models:
  lab/small: {{context: 8192, price: {{input: 1.0, output: 2.0}}}}
default_model: lab/small
discovery:
  enabled: {str(enabled).lower()}
  ports: [{listed}]
""",
    )


def rows(stdout: str) -> dict[str, str]:
    return {line.split()[0]: line for line in stdout.splitlines() if "/" in line.split(" ", 1)[0]}


def test_mmchat_models_shows_the_servers_found_and_their_chat_models(home, openai_server):
    from tests.cli_helpers import mmchat

    refused = closed_port()
    with OllamaLocalServer(OLLAMA_MODELS) as ollama:
        done = mmchat(home, "models", config=models_config(home, openai_server, [ollama.port, refused]))
        root = ollama.root_url
    assert done.returncode == 0, done.stderr
    table = rows(done.stdout)
    assert "lab/small" in table and table["lab/small"].rstrip().endswith("not checked")  # as before
    llama = table["ollama/llama3.2:latest"]
    assert "8,192" in llama and "local" in llama and llama.rstrip().endswith("yes")
    assert "4,096" in table["ollama/mistral:7b"]
    assert not [a for a in table if "embed" in a]
    line = next(line for line in done.stdout.splitlines() if root in line)
    assert line.split()[0] == "ollama"
    assert "4 chat models, 2 embedding models left out" in line and "as provider ollama" in line
    assert str(refused) not in done.stdout  # a refused port is not a server


def test_mmchat_models_says_when_no_server_answered(home, openai_server):
    from tests.cli_helpers import mmchat

    refused = closed_port()
    done = mmchat(home, "models", config=models_config(home, openai_server, [refused]))
    assert done.returncode == 0, done.stderr
    assert f"local servers: none answered on 127.0.0.1, ports {refused}" in done.stdout


def test_discovery_is_turned_off_by_the_flag_or_the_config(home, openai_server):
    from tests.cli_helpers import mmchat

    with OllamaLocalServer(OLLAMA_MODELS) as ollama:
        flagged = mmchat(home, "models", "--no-discovery", config=models_config(home, openai_server, [ollama.port]))
        configured = mmchat(home, "models", config=models_config(home, openai_server, [ollama.port], enabled=False))
        assert ollama.requests == []
    for done in (flagged, configured):
        assert done.returncode == 0, done.stderr
        assert "lab/small" in done.stdout
        assert "ollama" not in done.stdout and "local servers" not in done.stdout


def test_mmchat_models_shows_a_configured_server_once(home, openai_server):
    from tests.cli_helpers import mmchat

    with OllamaLocalServer(OLLAMA_MODELS) as ollama:
        extra = f"  home:\n    type: ollama\n    base_url: http://localhost:{ollama.port}\n"
        done = mmchat(home, "models", config=models_config(home, openai_server, [ollama.port], extra=extra))
    assert done.returncode == 0, done.stderr
    table = rows(done.stdout)
    assert "home/llama3.2:latest" in table and "8,192" in table["home/llama3.2:latest"]
    assert not [a for a in table if a.startswith("ollama")]
    assert "already configured as home" in done.stdout


def test_mmchat_models_is_not_held_up_by_a_port_that_never_answers(home, openai_server, monkeypatch, capsys):
    import argparse

    from mmchat.commands import models
    from mmchat.providers import discovery

    monkeypatch.setenv("MMCHAT_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("MMCHAT_DATA_DIR", str(home / "data"))
    with silent_port() as silent:
        args = argparse.Namespace(
            config=models_config(home, openai_server, [silent]), check=False, refresh_prices=False,
            prices_from=None, no_discovery=False,
        )
        started = time.perf_counter()
        assert models.run(args) == 0
        elapsed = time.perf_counter() - started
    assert elapsed < discovery.DEFAULT_TIMEOUT + 0.5
    out = capsys.readouterr().out
    assert "lab/small" in out and f"none answered on 127.0.0.1, ports {silent}" in out
