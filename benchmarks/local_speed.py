"""The embedded provider's speed against llama.cpp's own, same model, same threads, same run.

    .venv/bin/python -m benchmarks.local_speed              # 6 rounds (~2 min on 2 cores)
    .venv/bin/python -m benchmarks.local_speed --quick      # 2 rounds
    .venv/bin/python -m benchmarks.local_speed --threads 4 --context 8192 --path model.gguf
    .venv/bin/python -m benchmarks.local_speed --sizes      # only the disk sizes: no model loaded

One LocalProvider is loaded (the embedded model unless --path; --threads defaults
to the CPUs available, like the provider). Its runtime is llama.cpp's server in
this process, which also listens for HTTP (on the provider's private socket, with
its key): the reference is that very server, same weights, same parameters, read
over HTTP by httpx. Each round asks every prompt both ways, alternating which
goes first, so drifting load on the machine falls on both alike:

  embedded   LocalProvider.stream(): what the engine sees. Time to first token from
             the call; tokens/s as the engine's Meter counts it (tokens after the
             first over the time from the first to the last).
  llama.cpp  a streamed POST /v1/chat/completions: llama.cpp's own tokens/s (its
             `timings.predicted_per_second`), time to first token at the client.

Every answer is exactly --tokens tokens (`ignore_eos`) and computes its whole
prompt (`cache_prompt: false`), at temperature 0. Printed: medians of time to first
token and tokens/s per path, llama.cpp's own figure for the embedded requests too
(does the bridge slow llama.cpp down, or only add delivery?), PASS/MISS against the
target (the embedded tokens/s at least 95 % of llama.cpp's own), then the load time,
resident memory, and how fast a stop takes effect (inside an answer and inside a long
prompt: wall time until llama.cpp is idle, and tokens or prompt batches computed
after the stop). The exit status is 1 on a MISS.

Before loading, it prints what the embedded model takes on disk (`--sizes`: only
that): the installed part packages (their distributions' files, found as
`local_model.find_parts` finds them), the runtime (xllamacpp), the rest of what
`mmchat[local]` installs (its dependency tree's distributions), and the joined
file in the cache (`local_model.models_dir()`), which the first start writes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from mmchat.config import ProviderConfig
from mmchat.providers import local_model
from mmchat.providers.local import LocalProvider, available_cpus
from mmchat.types import ChatMessage, ChatRequest, TextDelta, Usage

TARGET = 0.95  # embedded tokens/s over llama.cpp's own
PROMPTS = (
    "Write a Python function that checks whether a string is a palindrome, and explain it.",
    "Explain the difference between a process and a thread.",
    "Write a SQL query that lists the ten customers with the most orders, and explain it.",
)
LONG_PROMPT = "Summarise this text: " + "The quick brown fox jumps over the lazy dog. " * 150


@dataclass(frozen=True)
class Sample:
    ttft: float  # seconds from the request to the first token
    tokens_per_s: float  # as the path's reader sees it (embedded) or llama.cpp reports it (llama.cpp)
    own_tokens_per_s: float  # llama.cpp's own figure for this request
    tokens: int


def rss() -> dict[str, float]:
    """This process's resident memory in MB: total, private (anon), file-backed, peak."""
    figures = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                figures[key] = int(value.split()[0]) / 1024
    return figures


def params(tokens: int) -> dict:
    return {"max_tokens": tokens, "ignore_eos": True, "cache_prompt": False, "temperature": 0, "seed": 1}


async def embedded(provider: LocalProvider, prompt: str, tokens: int) -> Sample:
    request = ChatRequest(provider.model_id, (ChatMessage("user", prompt),), params(tokens))
    started = time.perf_counter()
    first = last = None
    usage = None
    async for event in provider.stream(request):
        if isinstance(event, TextDelta):
            last = time.perf_counter()
            first = first or last
        elif isinstance(event, Usage):
            usage = event
    assert first is not None and last is not None and usage is not None
    n = usage.output_tokens
    own = provider.last_timings.predicted_per_second if provider.last_timings else None
    return Sample(first - started, (n - 1) / (last - first), own or 0.0, n)


async def over_http(client: httpx.AsyncClient, provider: LocalProvider, prompt: str, tokens: int) -> Sample:
    import json

    endpoint = provider.http_endpoint()
    body = {"messages": [{"role": "user", "content": prompt}], "stream": True, **params(tokens)}
    started = time.perf_counter()
    first = None
    timings = None
    async with client.stream(
        "POST", "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {endpoint.api_key}"}
    ) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("timings"):
                timings = chunk["timings"]
            if first is None and any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or ()):
                first = time.perf_counter()
    assert first is not None and timings is not None
    own = timings["predicted_per_second"]
    return Sample(first - started, own, own, timings["predicted_n"])


async def stop_inside_answer(provider: LocalProvider) -> tuple[float, float]:
    """Close a stream after 8 tokens: (seconds until llama.cpp is idle, tokens computed after the stop)."""
    before = provider.counters()
    stream = provider.stream(ChatRequest(provider.model_id, (ChatMessage("user", PROMPTS[1]),), params(400)))
    received = 0
    async for event in stream:
        received += isinstance(event, TextDelta)
        if received == 8:
            break
    stopped = time.perf_counter()
    await stream.aclose()
    idle = await until_idle(provider, stopped)
    after = provider.counters()
    return idle, after["tokens_predicted_total"] - before["tokens_predicted_total"] - received


async def stop_inside_prompt(provider: LocalProvider) -> tuple[float, float]:
    """Cancel a ~1,500-token prompt after 1 s: (seconds until idle, prompt batches computed after the stop)."""
    request = ChatRequest(provider.model_id, (ChatMessage("user", LONG_PROMPT),), params(8))

    async def consume() -> None:
        async for _ in provider.stream(request):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(1.0)
    task.cancel()
    stopped = time.perf_counter()
    try:
        await task
    except asyncio.CancelledError:
        pass
    at_stop = provider.counters()
    idle = await until_idle(provider, stopped)
    return idle, provider.counters()["n_decode_total"] - at_stop["n_decode_total"]


async def until_idle(provider: LocalProvider, since: float) -> float:
    while provider.counters()["requests_processing"] > 0:
        await asyncio.sleep(0.005)
    return time.perf_counter() - since


def distribution_bytes(name: str) -> int:
    """Bytes of the installed files of distribution `name` (0 when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return 0
    total = 0
    for entry in dist.files or ():
        path = Path(dist.locate_file(entry))
        if path.is_file():
            total += path.stat().st_size
    return total


def dependency_tree(name: str, extras: tuple[str, ...] = ()) -> set[str]:
    """The installed distributions `name[extras]` requires, transitively (canonical names, `name` included)."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = [(name, extras)]
    while todo:
        current, current_extras = todo.pop()
        key = canonicalize_name(current)
        if key in seen:
            continue
        try:
            dist = distribution(current)
        except PackageNotFoundError:
            continue
        seen.add(key)
        for line in dist.requires or ():
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *current_extras)):
                todo.append((req.name, tuple(req.extras)))
    return seen


def disk_sizes() -> None:
    """Print what the embedded model takes on disk: installed (parts, runtime, the rest) and cached."""
    from packaging.utils import canonicalize_name

    parts = [p.distribution for p in local_model.EMBEDDED.parts]
    try:
        found = local_model.find_parts()
    except local_model.LocalModelError as e:
        print(f"disk: the part packages are not installed ({e})")
        return
    parts_bytes = sum(distribution_bytes(name) for name in parts)
    slices_bytes = sum(p.stat().st_size for p in found)
    runtime_bytes = distribution_bytes(local_model.RUNTIME)
    tree = dependency_tree("mmchat", ("local",))
    skip = {canonicalize_name(n) for n in (*parts, local_model.RUNTIME)}
    rest_bytes = sum(distribution_bytes(name) for name in tree - skip)
    installed = parts_bytes + runtime_bytes + rest_bytes
    print(
        f"disk, installed: {len(found)} part packages {parts_bytes / 1e9:.2f} GB (slices {slices_bytes:,} bytes), "
        f"runtime {local_model.RUNTIME} {runtime_bytes / 1e9:.2f} GB, the rest of mmchat[local] "
        f"({len(tree - skip)} distributions) {rest_bytes / 1e9:.2f} GB: {installed / 1e9:.2f} GB in all"
    )
    cached = local_model.models_dir() / local_model.EMBEDDED.file_name
    if cached.is_file():
        print(f"disk, cached: {cached} {cached.stat().st_size:,} bytes ({cached.stat().st_size / 1e9:.2f} GB)")
    else:
        print(f"disk, cached: {cached} not there yet (the first start writes {local_model.EMBEDDED.size / 1e9:.2f} GB)")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def run(args: argparse.Namespace) -> bool:
    config = ProviderConfig(
        name="local", type="local", base_url="", path=args.path, threads=args.threads, context=args.context
    )
    provider = LocalProvider(config)
    if args.path is None:
        disk_sizes()
    print(f"preparing {provider.model_id} ({provider.threads} threads, context {provider.context:,}) ...", flush=True)
    memory_before = rss()
    started = time.perf_counter()
    await asyncio.to_thread(provider.prepare)
    load = time.perf_counter() - started
    memory_loaded = rss()
    endpoint = provider.http_endpoint()
    limits = httpx.Limits(max_keepalive_connections=0)
    transport = httpx.AsyncHTTPTransport(uds=endpoint.uds, limits=limits) if endpoint.uds else httpx.AsyncHTTPTransport(limits=limits)
    samples: dict[str, list[Sample]] = {"embedded": [], "llama.cpp": []}
    # A connection per request: llama.cpp's server drops a keep-alive connection idle for 5 s,
    # and an embedded answer lasts longer than that.
    async with httpx.AsyncClient(transport=transport, base_url=endpoint.url, timeout=600) as client:
        # One of each first, unmeasured: llama.cpp's first requests warm its caches.
        await embedded(provider, PROMPTS[0], 16)
        await over_http(client, provider, PROMPTS[0], 16)
        bench_started = time.perf_counter()
        for round_ in range(args.rounds):
            for i, prompt in enumerate(PROMPTS):
                prompt = f"({round_}) {prompt}"  # a different prompt each round: no cache to lean on
                order = ("embedded", "llama.cpp") if (round_ + i) % 2 == 0 else ("llama.cpp", "embedded")
                for path in order:
                    if path == "embedded":
                        samples[path].append(await embedded(provider, prompt, args.tokens))
                    else:
                        samples[path].append(await over_http(client, provider, prompt, args.tokens))
            print(f"  round {round_ + 1}/{args.rounds} done", flush=True)
        elapsed = time.perf_counter() - bench_started
    memory_after = rss()
    answer_stops = [await stop_inside_answer(provider) for _ in range(3)]
    prompt_stops = [await stop_inside_prompt(provider) for _ in range(2)]
    await provider.aclose()
    memory_closed = rss()

    own = median([s.tokens_per_s for s in samples["llama.cpp"]])
    mine = median([s.tokens_per_s for s in samples["embedded"]])
    mine_own = median([s.own_tokens_per_s for s in samples["embedded"]])
    ratio = mine / own
    ok = ratio >= TARGET

    n = len(samples["embedded"])
    print()
    print(
        f"embedded model vs llama.cpp's own server, same process and weights: {provider.model_id}, "
        f"{provider.threads} threads, context {provider.context:,}, {args.tokens}-token answers, "
        f"{n} requests each, interleaved ({elapsed:.0f}s)"
    )
    header = f"{'path':<11} {'TTFT ms':>8} {'tokens/s':>9} {'llama.cpp tokens/s':>19} {'vs llama.cpp':>13}"
    print(header)
    print("-" * len(header))
    ref_ttft = median([s.ttft for s in samples["llama.cpp"]])
    print(f"{'llama.cpp':<11} {ref_ttft * 1000:>8.0f} {own:>9.1f} {own:>19.1f} {'':>13}")
    mine_ttft = median([s.ttft for s in samples["embedded"]])
    print(f"{'embedded':<11} {mine_ttft * 1000:>8.0f} {mine:>9.1f} {mine_own:>19.1f} {ratio * 100:>12.1f}%")
    print(
        f"tokens/s target: embedded >= {TARGET * 100:.0f}% of llama.cpp's own: {'PASS' if ok else 'MISS'} "
        f"({ratio * 100:.1f}%); time to first token {(mine_ttft - ref_ttft) * 1000:+.0f} ms "
        f"({mine_ttft / ref_ttft * 100:.0f}% of llama.cpp's over HTTP)"
    )
    print()
    print(f"load (join/check + llama.cpp): {load:.2f}s")
    print(
        f"resident memory: {memory_loaded['VmRSS']:.0f} MB loaded "
        f"({memory_loaded['RssAnon'] - memory_before['RssAnon']:.0f} MB private + "
        f"{memory_loaded['RssFile'] - memory_before['RssFile']:.0f} MB of the mapped model file), "
        f"{memory_after['VmRSS']:.0f} MB after the run, peak {memory_after['VmHWM']:.0f} MB; "
        f"{memory_closed['VmRSS']:.0f} MB after aclose (before loading: {memory_before['VmRSS']:.0f} MB)"
    )
    print(
        "stop inside an answer: idle after "
        + ", ".join(f"{t * 1000:.0f} ms ({extra:.0f} more tokens)" for t, extra in answer_stops)
    )
    print(
        "stop inside a long prompt: idle after "
        + ", ".join(f"{t * 1000:.0f} ms ({batches:.0f} more batches)" for t, batches in prompt_stops)
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds instead of 6")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--tokens", type=int, default=128, help="tokens per answer (default 128)")
    parser.add_argument("--threads", type=int, default=None, help=f"default: the CPUs available ({available_cpus()})")
    parser.add_argument("--context", type=int, default=None, help="default: the provider's (4,096)")
    parser.add_argument("--path", default=None, help="a GGUF file (default: the embedded model)")
    parser.add_argument("--sizes", action="store_true", help="only print the embedded model's disk sizes (no model loaded)")
    args = parser.parse_args()
    if args.sizes:
        disk_sizes()
        return
    if args.rounds is None:
        args.rounds = 2 if args.quick else 6
    ok = asyncio.run(run(args))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
