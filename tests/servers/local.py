"""Local model servers as mmchat's discovery sees them: Ollama, LM Studio, llama.cpp's
server and vLLM, each answering its own information routes as its documentation
shows (besides chat, which they stream like the OpenAI or Ollama servers they extend).

    with OllamaLocalServer([OllamaModel("llama3.2:latest", num_ctx=8192)]) as ollama:
        found = await discover([ollama.port])

The models are given as specs (name, what they do, their contexts); `models`
(the names) is what each server lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from tests.servers.core import RecordedRequest, Script, ScriptedServer
from tests.servers.ollama import OllamaServer
from tests.servers.openai import CREATED, OpenAIServer


class InfoRoutes(ScriptedServer):
    """Routes answered by a method of the server, named in `info_routes` by (method, path).
    Queued scripts still come first, as for every route."""

    info_routes: ClassVar[dict[tuple[str, str], str]] = {}

    def route(self, request: RecordedRequest) -> str | None:
        if (request.method, request.path) in self.info_routes:
            return "info"
        return super().route(request)

    def default_reply(self, request: RecordedRequest) -> Script:
        name = self.info_routes.get((request.method, request.path))
        if name is not None:
            return getattr(self, name)(request)
        return super().default_reply(request)


# --- Ollama ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OllamaModel:
    name: str
    family: str = "llama"
    capabilities: tuple[str, ...] | None = ("completion", "tools")  # None: a server too old to say
    num_ctx: int | None = None  # PARAMETER num_ctx in its Modelfile
    trained: int = 131072  # <arch>.context_length in model_info
    loaded: int | None = None  # context_length in /api/ps when it is loaded


class OllamaLocalServer(InfoRoutes, OllamaServer):
    """Ollama's /api/version, /api/tags, /api/show, /api/ps and its OpenAI-compatible /v1/models."""

    info_routes = {
        ("GET", "/api/version"): "version_reply",
        ("GET", "/api/tags"): "tags_reply",
        ("GET", "/api/ps"): "ps_reply",
        ("POST", "/api/show"): "show_reply",
        ("GET", "/v1/models"): "openai_models_reply",
        ("GET", "/"): "root_reply",
    }

    def __init__(
        self,
        specs: list[OllamaModel] | None = None,
        *,
        version: str = "0.12.3",
        show_delay: float = 0.0,
        tags_delay: float = 0.0,
        **kw: Any,
    ) -> None:
        specs = specs if specs is not None else [OllamaModel("llama3.2:latest")]
        super().__init__(models=[s.name for s in specs], **kw)
        self.specs = {s.name: s for s in specs}
        self.version = version
        self.show_delay = show_delay  # seconds before /api/show answers
        self.tags_delay = tags_delay  # seconds before /api/tags answers

    def root_reply(self, request: RecordedRequest) -> Script:
        return Script(200, {"Content-Type": "text/plain; charset=utf-8"}, [b"Ollama is running"], framing="length")

    def version_reply(self, request: RecordedRequest) -> Script:
        return Script.json(200, {"version": self.version})

    def models_body(self, request: RecordedRequest) -> Any:
        body = super().models_body(request)
        for entry in body["models"]:
            spec = self.specs[entry["name"]]
            entry["details"] |= {"family": spec.family, "families": [spec.family]}
        return body

    def tags_reply(self, request: RecordedRequest) -> Script:
        script = Script.json(200, self.models_body(request))
        script.delay = self.tags_delay
        return script

    def ps_reply(self, request: RecordedRequest) -> Script:
        running = []
        for spec in self.specs.values():
            if spec.loaded is None:
                continue
            entry: dict[str, Any] = {
                "name": spec.name,
                "model": spec.name,
                "size": 5618579456,
                "digest": "dae161e27b0e90dd1856c8bb3209201fd6736d8eb66298e75ed87571486f4364",
                "details": {"format": "gguf", "family": spec.family, "families": [spec.family]},
                "expires_at": "2025-08-06T14:23:28.7482+02:00",
                "size_vram": 5618579456,
                "context_length": spec.loaded,
            }
            running.append(entry)
        return Script.json(200, {"models": running})

    def show_reply(self, request: RecordedRequest) -> Script:
        name = (request.json or {}).get("model") or (request.json or {}).get("name")
        spec = self.specs.get(name)
        if spec is None:
            return Script.json(404, {"error": f"model '{name}' not found"})
        parameters = 'stop                           "<|eot_id|>"'
        if spec.num_ctx is not None:
            parameters = f"num_ctx                        {spec.num_ctx}\n{parameters}"
        body: dict[str, Any] = {
            "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {spec.name}\n",
            "parameters": parameters,
            "template": "{{ .Prompt }}",
            "details": {"format": "gguf", "family": spec.family, "families": [spec.family]},
            "model_info": {
                "general.architecture": spec.family,
                "general.parameter_count": 3212749888,
                f"{spec.family}.context_length": spec.trained,
                f"{spec.family}.embedding_length": 3072,
            },
            "modified_at": "2025-01-10T08:00:00.000000000Z",
        }
        if spec.capabilities is not None:
            body["capabilities"] = list(spec.capabilities)
        script = Script.json(200, body)
        script.delay = self.show_delay
        return script

    def openai_models_reply(self, request: RecordedRequest) -> Script:
        data = [{"id": n, "object": "model", "created": CREATED, "owned_by": "library"} for n in self.models]
        return Script.json(200, {"object": "list", "data": data})


# --- the OpenAI-compatible ones ----------------------------------------------------------


@dataclass(frozen=True)
class LocalModel:
    """A model of LM Studio, llama.cpp's server or vLLM."""

    id: str
    type: str = "llm"  # LM Studio: llm, vlm, embedding(s)
    max_context: int = 32768  # trained maximum (LM Studio's max_context_length, llama.cpp's n_ctx_train)
    loaded: int | None = None  # LM Studio: the context of its loaded instance
    extra: dict[str, Any] = field(default_factory=dict)


class LMStudioServer(InfoRoutes, OpenAIServer):
    """LM Studio: /v1/models (OpenAI), and its REST API /api/v1/models (0.4+) and /api/v0/models.
    `rest` is "v1" (both REST versions), "v0" (0.3.x: only v0) or None (neither)."""

    info_routes = {
        ("GET", "/api/v1/models"): "v1_models_reply",
        ("GET", "/api/v0/models"): "v0_models_reply",
    }

    def __init__(self, specs: list[LocalModel] | None = None, *, rest: str | None = "v1", **kw: Any) -> None:
        specs = specs if specs is not None else [LocalModel("qwen/qwen3-4b")]
        super().__init__(models=[s.id for s in specs], **kw)
        self.specs = {s.id: s for s in specs}
        self.rest = rest

    def models_body(self, request: RecordedRequest) -> Any:
        data = [{"id": m, "object": "model", "owned_by": "organization_name"} for m in self.models]
        return {"data": data, "object": "list"}

    def _missing(self) -> Script:
        return Script.json(200, {"error": "Unexpected endpoint or method. (GET /api/v1/models)"})

    def v1_models_reply(self, request: RecordedRequest) -> Script:
        if self.rest != "v1":
            return self._missing()
        models = []
        for spec in self.specs.values():
            embedding = spec.type.startswith("embedding")
            entry: dict[str, Any] = {
                "type": "embedding" if embedding else "llm",
                "publisher": "lmstudio-community",
                "key": spec.id,
                "display_name": spec.id,
                "quantization": {"name": "Q4_K_M", "bits_per_weight": 4},
                "size_bytes": 241410208,
                "params_string": None if embedding else "4B",
                "loaded_instances": (
                    [{"id": spec.id, "config": {"context_length": spec.loaded}}] if spec.loaded else []
                ),
                "max_context_length": spec.max_context,
                "format": "gguf",
            }
            if not embedding:
                entry |= {"architecture": "qwen3", "capabilities": {"vision": False, "trained_for_tool_use": True}}
            models.append(entry)
        return Script.json(200, {"models": models})

    def v0_models_reply(self, request: RecordedRequest) -> Script:
        if self.rest is None:
            return self._missing()
        data = [
            {
                "id": spec.id,
                "object": "model",
                "type": "embeddings" if spec.type.startswith("embedding") else spec.type,
                "publisher": "lmstudio-community",
                "arch": "qwen3",
                "compatibility_type": "gguf",
                "quantization": "Q4_K_M",
                "state": "loaded" if spec.loaded else "not-loaded",
                "max_context_length": spec.max_context,
            }
            for spec in self.specs.values()
        ]
        return Script.json(200, {"object": "list", "data": data})


class LlamaCppServer(InfoRoutes, OpenAIServer):
    """llama.cpp's server: one model, /v1/models (owned_by llamacpp, with `meta`), /props
    (n_ctx of a slot), /health, and Ollama-style /api/tags as recent versions serve.
    `describe=False` answers /v1/models as an older server did: no owned_by, no meta."""

    info_routes = {
        ("GET", "/props"): "props_reply",
        ("GET", "/health"): "health_reply",
        ("GET", "/api/tags"): "tags_reply",
    }

    def __init__(
        self, model: str = "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf", *, n_ctx: int = 4096,
        n_ctx_train: int = 32768, describe: bool = True, **kw: Any,
    ) -> None:
        super().__init__(models=[model], **kw)
        self.n_ctx = n_ctx
        self.n_ctx_train = n_ctx_train
        self.describe = describe

    def models_body(self, request: RecordedRequest) -> Any:
        item: dict[str, Any] = {"id": self.models[0], "object": "model", "created": CREATED}
        if self.describe:
            item |= {
                "owned_by": "llamacpp",
                "meta": {
                    "vocab_type": 2, "n_vocab": 151936, "n_ctx_train": self.n_ctx_train,
                    "n_embd": 1536, "n_params": 1543714304, "size": 1117320768,
                },
            }
        return {"object": "list", "data": [item]}

    def tags_reply(self, request: RecordedRequest) -> Script:
        model = self.models[0]
        entry = {"name": model, "model": model, "modified_at": "", "size": "", "digest": "", "type": "model",
                 "description": "", "tags": [""], "capabilities": ["completion"], "parameters": "",
                 "details": {"parent_model": "", "format": "gguf", "family": "", "families": [""],
                             "parameter_size": "", "quantization_level": ""}}
        return Script.json(200, {"models": [entry], "object": "list", "data": self.models_body(request)["data"]})

    def props_reply(self, request: RecordedRequest) -> Script:
        return Script.json(200, {
            "default_generation_settings": {
                "id": 0, "id_task": -1, "n_ctx": self.n_ctx, "speculative": False, "is_processing": False,
                "params": {"n_predict": -1, "temperature": 0.8, "top_k": 40, "top_p": 0.95},
            },
            "total_slots": 1,
            "model_path": f"/models/{self.models[0]}",
            "chat_template": "{{ messages }}",
            "modalities": {"vision": False},
            "build_info": "b6100-abcdef12",
        })

    def health_reply(self, request: RecordedRequest) -> Script:
        return Script.json(200, {"status": "ok"})


class VLLMServer(InfoRoutes, OpenAIServer):
    """vLLM's OpenAI-compatible server: /v1/models items owned_by vllm with max_model_len; /version."""

    info_routes = {("GET", "/version"): "version_reply"}

    def __init__(self, specs: list[LocalModel] | None = None, **kw: Any) -> None:
        specs = specs if specs is not None else [LocalModel("Qwen/Qwen2.5-7B-Instruct", max_context=32768)]
        super().__init__(models=[s.id for s in specs], **kw)
        self.specs = {s.id: s for s in specs}

    def models_body(self, request: RecordedRequest) -> Any:
        data = [
            {
                "id": spec.id, "object": "model", "created": CREATED, "owned_by": "vllm", "root": spec.id,
                "parent": None, "max_model_len": spec.max_context,
                "permission": [{"id": "modelperm-1", "object": "model_permission", "allow_sampling": True}],
            }
            for spec in self.specs.values()
        ]
        return {"object": "list", "data": data}

    def version_reply(self, request: RecordedRequest) -> Script:
        return Script.json(200, {"version": "0.10.1"})


class NotAModelServer(InfoRoutes, OpenAIServer):
    """Some other program on a probed port: every GET answers 200 with an HTML page."""

    def route(self, request: RecordedRequest) -> str | None:
        return "info"

    def default_reply(self, request: RecordedRequest) -> Script:
        page = b"<!doctype html><title>dev server</title><p>Hello"
        return Script(200, {"Content-Type": "text/html"}, [page], framing="length")
