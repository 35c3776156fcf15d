"""The embedded local provider (`type: local`): llama.cpp in this process, through xllamacpp.

With no `path:` it serves the embedded model (`mmchat.providers.local_model.EMBEDDED`,
joined once from the `local` extra's part packages into the user cache); with
`path:` any GGUF file. The config's `threads` (default: the CPUs this process may
run on) and `context` (default 4,096 tokens) size the runtime.

How it runs:

- `prepare()` joins or checks the model file and loads it (seconds; blocking: the
  caller runs it in a worker thread). `stream` waits for a load still running, or
  loads the model itself when nobody prepared it.
- One request at a time, on a worker thread of the provider's own: llama.cpp
  releases the interpreter lock while it computes and calls back with each
  chunk; the callback hands the chunk to the event loop, which turns it into
  TextDelta / ReasoningDelta, then Usage (llama.cpp's own token counts) and Finish.
- Closing the iterator or cancelling its task sets a stop flag the callback
  returns to llama.cpp, which ends the request at its next chunk: the next token,
  or during a long prompt the next batch of `BATCH_TOKENS_PER_THREAD × threads`
  prompt tokens (prompt progress is streamed for that): within 0.5 s.
- The chat template is the GGUF's own. A prompt longer than the context is a
  one-line ContextLengthError (llama.cpp says so before computing anything).
- llama.cpp's server always listens for HTTP. Here it listens on a UNIX socket
  in a private temporary directory (0700) where the platform has them, else on
  a random loopback port, and in both cases with an API key of 32 random bytes
  that never leaves this process, no web UI, and CORS allowing only an origin
  that cannot exist: no other user, local process or web page can use it (only
  /health answers without the key). `http_endpoint()` gives the address and key
  to this process's benchmarks and tests.
- `aclose()` stops a running request and frees the model.

`last_timings` holds llama.cpp's own timings of the latest request (updated on
every chunk, so a request cut short has them too) and `counters()` its running
totals (tokens predicted, prompt tokens, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmchat.config import ProviderConfig
from mmchat.provider_types import EMBEDDED_MODEL_ID, LOCAL_CONTEXT
from mmchat.providers.errors import (
    BadRequestError,
    BadResponseError,
    ContextLengthError,
    ProviderError,
    ServerError,
)
from mmchat.providers.local_model import (
    EMBEDDED,
    LocalModelError,
    Status,
    check_gguf,
    check_installed,
    model_file,
    require_runtime,
)
from mmchat.types import ChatRequest, Finish, ReasoningDelta, StreamEvent, TextDelta, Usage

# Prompt tokens computed between two chances to stop. llama.cpp is already computing the
# next batch when it hands one over, so a stop takes effect within two batches. The embedded
# model reads a prompt at ~35 tokens/s per thread: 8 tokens per thread make a batch ~0.23 s
# whatever the threads, and a stop inside a long prompt < 0.5 s. The price: prompts are read
# at 69 tokens/s on two threads instead of 90 with llama.cpp's 512-token batches (76 with 16
# tokens per thread, whose stop takes up to ~0.85 s). Answers are generated one token per
# batch: their speed is the same, and a stop takes effect within two tokens (~60 ms).
BATCH_TOKENS_PER_THREAD = 8
HTTP_THREADS = 2
NO_ORIGIN = "http://mmchat.invalid"  # the only web origin CORS allows (.invalid never resolves)
SOCKET_PATH_MAX = 100  # sun_path holds 104-108 bytes depending on the platform

_DONE = object()  # the worker's last item on the queue


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask), else all of them."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Timings:
    """llama.cpp's own figures for one request (its `timings` object)."""

    prompt_tokens: int  # prompt tokens computed for this request
    cached_tokens: int  # prompt tokens reused from the previous request's cache
    prompt_ms: float
    predicted_tokens: int  # tokens generated
    predicted_ms: float

    @property
    def predicted_per_second(self) -> float | None:
        """Generation speed: tokens after the first over the time they took, as llama.cpp counts it."""
        return self.predicted_tokens * 1000 / self.predicted_ms if self.predicted_ms > 0 and self.predicted_tokens > 1 else None

    @classmethod
    def from_wire(cls, t: dict[str, Any]) -> Timings:
        return cls(
            prompt_tokens=int(t.get("prompt_n") or 0),
            cached_tokens=int(t.get("cache_n") or 0),
            prompt_ms=float(t.get("prompt_ms") or 0.0),
            predicted_tokens=int(t.get("predicted_n") or 0),
            predicted_ms=float(t.get("predicted_ms") or 0.0),
        )


@dataclass(frozen=True)
class HTTPEndpoint:
    """Where the runtime's own HTTP server listens, and its key (this process only)."""

    url: str  # base URL; with `uds`, the host part is ignored
    uds: str | None  # the UNIX socket path, when it listens on one
    api_key: str


class _Run:
    """One request's hand-over between the worker thread and the event loop."""

    __slots__ = ("loop", "queue", "stop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.stop = threading.Event()

    def put(self, item: Any) -> bool:
        """Hand `item` to the loop; False when the loop is gone (the request then stops)."""
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed
            return False
        return True


class LocalProvider:
    """A GGUF model run in this process by llama.cpp (a Provider; see the module docstring)."""

    def __init__(self, config: ProviderConfig, api_key: str | None = None, *, client: Any = None) -> None:
        del api_key, client  # no key, no HTTP client: the model runs here
        self.config = config
        self.name = config.name
        self.path: Path | None = Path(config.path).expanduser() if config.path else None
        self.model_id = EMBEDDED_MODEL_ID if self.path is None else self.path.stem
        self.threads = config.threads or available_cpus()
        self.context = config.context or LOCAL_CONTEXT
        # What a load is doing now ("loading the model", ...), None when idle: for a status line.
        self.status: str | None = None
        self.last_timings: Timings | None = None
        self.model_path: Path | None = None  # the GGUF file loaded
        self._load_lock = threading.Lock()
        self._server: Any = None
        self._endpoint: HTTPEndpoint | None = None
        self._socket_cleanup: weakref.finalize | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mmchat-{self.name}")
        self._runs: set[_Run] = set()
        self._closed = False

    # ---- the protocol ---------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        """The one model this provider serves; raises the one-line error when it cannot be had
        (the extra is not installed, `path:` is not a GGUF file). Loads nothing."""
        await asyncio.to_thread(self._check)
        return [self.model_id]

    def prepare(self) -> None:
        """Join or check the model file and load it (blocking, seconds; idempotent and cheap
        once loaded). Raises LocalModelError when the model cannot be had or loaded."""
        with self._load_lock:
            if self._closed:
                raise LocalModelError(self.name, "the provider is closed")
            if self._server is None:
                try:
                    self._server = self._load()
                finally:
                    self.status = None

    @property
    def loaded(self) -> bool:
        return self._server is not None

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        if request.model != self.model_id:
            raise BadRequestError(self.name, f"serves the model {self.model_id}, not {request.model}")
        if self._closed:
            raise LocalModelError(self.name, "the provider is closed")
        loop = asyncio.get_running_loop()
        if self._server is None:
            # Waits for a load already running in another thread (the lock), or loads now.
            await loop.run_in_executor(None, self.prepare)
        run = _Run(loop)
        self._runs.add(run)
        try:
            loop.run_in_executor(self._worker, self._generate, self._body(request), run)
            finish: str | None = None
            usage: Usage | None = None
            while True:
                item = await run.queue.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                if "error" in item:
                    raise self._error(item["error"])
                if item.get("timings"):
                    self.last_timings = Timings.from_wire(item["timings"])
                if item.get("usage"):
                    usage = self._usage(item["usage"])
                for choice in item.get("choices") or ():
                    delta = choice.get("delta") or {}
                    if delta.get("reasoning_content"):
                        yield ReasoningDelta(delta["reasoning_content"])
                    if delta.get("content"):
                        yield TextDelta(delta["content"])
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
            if finish is None:
                raise BadResponseError(self.name, "llama.cpp ended the answer without a finish reason")
            if usage is not None:
                yield usage
            yield Finish(finish)
        finally:
            run.stop.set()  # llama.cpp stops at its next chunk; the worker then takes the next request
            self._runs.discard(run)

    async def aclose(self) -> None:
        """Stop a running request and free the model (waits for llama.cpp to let go of it)."""
        self._closed = True
        for run in list(self._runs):
            run.stop.set()
        await asyncio.to_thread(self._free)

    # ---- for benchmarks, tests and status lines -------------------------------------------

    def http_endpoint(self) -> HTTPEndpoint | None:
        """The runtime's own HTTP server (a benchmark reads llama.cpp's speed through it), or
        None before the model is loaded. Its key must never leave this process."""
        return self._endpoint

    def counters(self) -> dict[str, float]:
        """llama.cpp's running totals since the load (its Prometheus metrics, without the
        `llamacpp:` prefix): tokens_predicted_total, prompt_tokens_total, n_decode_total, ..."""
        server = self._server
        if server is None:
            return {}
        text = server.handle_metrics()
        if isinstance(text, bytes):
            text = text.decode()
        figures = {}
        for line in text.splitlines():
            match = re.match(r"llamacpp:(\w+)\s+(\S+)$", line)
            if match:
                with contextlib.suppress(ValueError):
                    figures[match[1]] = float(match[2])
        return figures

    # ---- inside -----------------------------------------------------------------------------

    def _check(self) -> None:
        if self.path is not None:
            require_runtime(self.name)
            check_gguf(self.path, self.name)
        else:
            check_installed(EMBEDDED, self.name)

    def _set_status(self, text: str) -> None:
        self.status = text

    def _load(self) -> Any:
        status: Status = self._set_status
        if self.path is not None:
            require_runtime(self.name)
            path = check_gguf(self.path, self.name)
        else:
            path = model_file(EMBEDDED, provider=self.name, status=status)
        status("loading the model")
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.model_alias = {self.model_id}  # the id the listener reports, instead of the cache path
        params.n_ctx = self.context
        params.n_parallel = 1  # one request at a time: one slot, one context's memory
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.n_batch = params.n_ubatch = BATCH_TOKENS_PER_THREAD * self.threads
        params.fit_params = False  # the sizes above are meant, not to be fitted to free memory
        params.cache_ram_mib = 0  # no second prompt cache in RAM (the slot keeps the last prompt)
        params.verbosity = -1  # llama.cpp's log would write over the terminal UI
        endpoint = self._secure_listener(params)
        try:
            server = xllamacpp.Server(params)
        except Exception as e:  # "Failed to init server, please check the input params."
            self._remove_socket_dir()
            raise LocalModelError(
                self.name,
                f"llama.cpp could not load {path.name} with a {self.context:,}-token context on {self.threads} threads "
                f"({e}); a damaged file or too little memory",
            ) from None
        address = server.listening_address
        if endpoint.uds is None:
            endpoint = HTTPEndpoint(address, None, endpoint.api_key)
        self._endpoint = endpoint
        self.model_path = path
        return server

    def _secure_listener(self, params: Any) -> HTTPEndpoint:
        """Keep llama.cpp's HTTP server to this process: a random key, a private UNIX socket
        where there are such, no web UI or slot endpoints, CORS for no real origin."""
        key = secrets.token_urlsafe(32)
        params.api_keys = [key]
        params.cors_origins = NO_ORIGIN
        params.cors_origins_explicit = True
        params.cors_credentials = False
        params.ui = False
        params.ui_mcp_proxy = False
        params.endpoint_slots = False
        params.endpoint_props = False
        params.endpoint_metrics = True  # counters(); behind the key like every endpoint but /health
        params.n_threads_http = HTTP_THREADS
        if hasattr(socket, "AF_UNIX") and os.name == "posix":
            # The user's runtime directory where there is one (a 0700 tmpfs cleared at logout).
            runtime = os.environ.get("XDG_RUNTIME_DIR")
            base = runtime if runtime and os.path.isdir(runtime) else None
            directory = tempfile.mkdtemp(prefix="mmchat-llama-", dir=base)  # mode 0700
            path = os.path.join(directory, "llama.sock")
            if len(path.encode()) <= SOCKET_PATH_MAX:
                # Removed by aclose(), or at exit when the provider was never closed.
                self._socket_cleanup = weakref.finalize(self, shutil.rmtree, directory, True)
                params.hostnames = [path]
                return HTTPEndpoint("http://localhost", path, key)
            os.rmdir(directory)
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # a random free port
        return HTTPEndpoint("", None, key)

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        # mmchat's parameter names are OpenAI's, which llama.cpp's server reads; others pass through.
        return {
            **request.params,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "timings_per_token": True,  # timings on every chunk: an answer cut short has them too
            "return_progress": True,  # a chunk per prompt batch: a chance to stop a long prompt
        }

    def _generate(self, body: dict[str, Any], run: _Run) -> None:
        """On the worker thread: one request, each chunk handed to the loop until told to stop."""
        try:
            if run.stop.is_set() or self._server is None:
                return
            stop = run.stop

            def on_chunk(chunk: Any) -> bool:
                if stop.is_set():
                    return True
                return not run.put(chunk)

            self._server.handle_chat_completions(body, on_chunk)
        except Exception as e:  # noqa: BLE001 - handed to the stream, which raises it
            run.put(ServerError(self.name, f"llama.cpp failed: {e}"))
        finally:
            run.put(_DONE)

    def _usage(self, usage: dict[str, Any]) -> Usage:
        prompt = int(usage.get("prompt_tokens") or 0)
        cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
        return Usage(
            input_tokens=max(prompt - cached, 0),
            cached_input_tokens=cached,
            output_tokens=int(usage.get("completion_tokens") or 0),
        )

    def _error(self, error: Any) -> ProviderError:
        if not isinstance(error, dict):
            return ServerError(self.name, f"llama.cpp failed: {str(error)[:200]}")
        message = str(error.get("message") or "unknown error")[:200]
        if error.get("type") == "exceed_context_size_error":
            tokens, n_ctx = error.get("n_prompt_tokens"), error.get("n_ctx") or self.context
            size = f"{tokens:,} tokens" if isinstance(tokens, int) else "longer than that"
            return ContextLengthError(
                self.name,
                f"the conversation is {size}, more than the model's context of {n_ctx:,}: "
                f"start a new conversation or raise context: in the config",
                status=400,
            )
        code = error.get("code")
        if isinstance(code, int) and 400 <= code < 500 or code == 501:
            return BadRequestError(self.name, f"llama.cpp refused the request: {message}", status=code)
        return ServerError(self.name, f"llama.cpp failed: {message}", status=code if isinstance(code, int) else None)

    def _free(self) -> None:
        self._worker.shutdown(wait=True)  # a running request ends at its next chunk
        with self._load_lock:
            server, self._server = self._server, None
            self._endpoint = None
            del server  # llama.cpp's loop ends and the model and its context are freed
            self._remove_socket_dir()

    def _remove_socket_dir(self) -> None:
        if self._socket_cleanup is not None:
            self._socket_cleanup()  # rmtree, once
            self._socket_cleanup = None
