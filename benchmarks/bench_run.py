"""A bench run's time against the same requests made directly with httpx at the same concurrency.

    .venv/bin/python -m benchmarks.bench_run            # 5 runs of each (about two minutes)
    .venv/bin/python -m benchmarks.bench_run --quick    # 2 runs of each

The server (tests.servers.OpenAIServer, the OpenAI wire format) runs in a child
process on 127.0.0.1, so its CPU does not share the GIL with the client measured.
Every answer waits `--delay` seconds before its first byte (a model's time to first
token), then streams `--tokens` words in 20 HTTP chunks, usage last.

Each run sends 4 models × 100 cases = 400 requests, at most 4 at once:

  httpx   one httpx.AsyncClient, an asyncio.Semaphore(4): each answer's stream read
          line by line, its text gathered from the `data:` chunks and checked
          (contains), as a minimal script would
  bench   BenchRunner: the plan (each case pinned to each model by the router), then
          the run through the session into a bench store in a temp dir — each answer
          stored as it streams, each result with its check, progress counted —
          `--concurrency 4`, each provider's own bound 4 (so only the run's binds)

The two are interleaved (httpx, bench, httpx, …) after one warm-up of each, in the same
process against the same server. Printed: the median total time of each, the median of
the per-pair ratios bench/httpx, and PASS/MISS against the target (ratio ≤ 1.10); then
how much of each run is the server's fixed wait (400 requests / 4 at once × `--delay`,
5.0 s by default, the same for both) and the median of the per-pair differences
bench − httpx: the time the bench adds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.server_process import ServerProcess, serve_until_stdin_closes

MODELS = 4
CASES = 100
AT_ONCE = 4
TARGET_RATIO = 1.10
WORD = "token "


# ---- the server process ----------------------------------------------------------------


def serve(delay: float, tokens: int) -> None:
    """Answer every request after `delay` seconds with the prompt and `tokens` words."""
    from tests.servers import OpenAIServer
    from tests.servers.core import RecordedRequest, Script, split_text

    class Server(OpenAIServer):
        def default_reply(self, request: RecordedRequest) -> Script:
            text = f"{self.last_user_text(request.json)}: " + WORD * tokens
            usage = self.usage_body(prompt_tokens=20, output_tokens=tokens + 4)
            script = self.text_script(split_text(text, 20), usage=usage, reasoning=[], finish=None)
            script.delay = delay
            return script

    serve_until_stdin_closes(Server())


# ---- the two clients -------------------------------------------------------------------


def prompts() -> list[str]:
    return [f"Case {i}: repeat this line." for i in range(CASES)]


async def run_httpx(client: httpx.AsyncClient, base_url: str) -> float:
    """Seconds for every (case, model) request, at most AT_ONCE at once; each answer checked."""
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(prompt: str, model: str) -> bool:
        body = {
            "model": model, "messages": [{"role": "user", "content": prompt}], "stream": True,
            "stream_options": {"include_usage": True},
        }
        async with gate, client.stream("POST", f"{base_url}/chat/completions", json=body) as response:
            response.raise_for_status()
            pieces = []
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                choices = json.loads(line[6:])["choices"]
                if choices and (text := choices[0]["delta"].get("content")):
                    pieces.append(text)
        return prompt.split(":")[0].lower() in "".join(pieces).lower()

    started = time.perf_counter()
    # Case by case, the models taking turns: the order the bench runs them in.
    passed = await asyncio.gather(*(one(p, f"m{m}") for p in prompts() for m in range(MODELS)))
    elapsed = time.perf_counter() - started
    if not all(passed):
        raise RuntimeError("httpx: an answer did not hold its case's name")
    return elapsed


def bench_config(base_url: str):
    from mmchat.config import Config, ModelConfig, Price, ProviderConfig, Timeouts

    providers = {
        f"p{m}": ProviderConfig(
            name=f"p{m}", type="openai", base_url=base_url, timeouts=Timeouts(connect=5, first_token=30, idle=30),
            concurrency=AT_ONCE,
        )
        for m in range(MODELS)
    }
    models = {f"p{m}/m{m}": ModelConfig(f"p{m}/m{m}", price=Price(input=1.0, output=2.0)) for m in range(MODELS)}
    return Config(providers=providers, models=models, default_model="p0/m0")


async def run_bench(base_url: str, tmp: Path, index: int) -> float:
    """Seconds for a bench run of the same requests (its plan included), into a fresh bench store."""
    from mmchat.bench.runner import BenchRunner, plan_run
    from mmchat.session.session import Session
    from mmchat.bench.suite import Case, Check, Suite
    from mmchat.catalog import Catalog
    from mmchat.store import Store

    config = bench_config(base_url)
    cases = tuple(
        Case(f"c{i}", prompt, 0, checks=(Check("contains", 0, text=f"case {i}"),)) for i, prompt in enumerate(prompts())
    )
    suite = Suite("speed", None, cases, sha256="-")
    models = list(config.models)
    with Store(tmp / f"user{index}.db") as user, Store(tmp / f"bench{index}.db") as store:
        session = Session(config, user, Catalog.build(config), sink=store)
        try:
            started = time.perf_counter()
            plan = plan_run(session, suite, models, 1)
            run_id = store.create_bench_run(
                suite_name=suite.name, suite_path=None, suite_sha256=suite.sha256, models=plan.models, repeat=1,
                estimated_cost_usd=plan.estimated_cost_usd, max_cost_usd=None, params={},
            )
            runner = BenchRunner(session, store, suite, run_id, plan, concurrency=AT_ONCE)
            status = await runner.run()
            elapsed = time.perf_counter() - started
        finally:
            await session.aclose()
        results = store.bench_results(run_id)
    if status != "done" or len(results) != CASES * MODELS or not all(r.passed for r in results):
        raise RuntimeError(f"bench: run {status}, {sum(bool(r.passed) for r in results)} of {len(results)} passed")
    return elapsed


async def measure(base_url: str, runs: int) -> tuple[list[float], list[float]]:
    """(httpx seconds, bench seconds) per timed run, interleaved after one warm-up of each."""
    httpx_times: list[float] = []
    bench_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mmchat-bench-run-") as tmp:
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as client:
            for index in range(runs + 1):
                gc.collect()
                plain = await run_httpx(client, base_url)
                gc.collect()
                bench = await run_bench(base_url, Path(tmp), index)
                if index:  # the first pair warms up: connections, imports, the tokenizer
                    httpx_times.append(plain)
                    bench_times.append(bench)
    return httpx_times, bench_times


def report(httpx_times: list[float], bench_times: list[float], delay: float, tokens: int) -> bool:
    ratios = [b / h for h, b in zip(httpx_times, bench_times)]
    ratio = statistics.median(ratios)
    ok = ratio <= TARGET_RATIO
    print(f"a bench run of {MODELS} models × {CASES} cases, {AT_ONCE} at once, against httpx making the same requests;")
    print(f"server in a separate process: {delay * 1000:g} ms before each answer, {tokens} words in 20 chunks")
    header = f"{'client':<6} {'runs':>4} {'median s':>9} {'min s':>7} {'max s':>7} {'answers/s':>10}"
    print(header)
    print("-" * len(header))
    for name, times in (("httpx", httpx_times), ("bench", bench_times)):
        median = statistics.median(times)
        print(f"{name:<6} {len(times):>4} {median:>9.3f} {min(times):>7.3f} {max(times):>7.3f} "
              f"{MODELS * CASES / median:>10.1f}")
    verdict = "PASS" if ok else "MISS"
    print(f"ratio bench/httpx (median of the per-pair ratios): {ratio:.3f} "
          f"(pairs: {', '.join(f'{r:.3f}' for r in ratios)})  {verdict} (target ≤ {TARGET_RATIO:.2f})")
    waited = MODELS * CASES / AT_ONCE * delay  # the server's fixed wait before each answer, at AT_ONCE at once
    added = statistics.median(b - h for h, b in zip(httpx_times, bench_times))
    print(f"of each run, {waited:.3f} s is the server's fixed wait ({MODELS * CASES} requests / {AT_ONCE} at once"
          f" × {delay * 1000:g} ms); the bench's added time, median of the per-pair differences: {added:.3f} s")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each client (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 timed runs of each")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds before each answer's first byte")
    parser.add_argument("--tokens", type=int, default=200, help="words in each answer")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.delay, args.tokens)
        return 0
    runs = 2 if args.quick else max(1, args.runs)
    server = ServerProcess("benchmarks.bench_run", "--delay", str(args.delay), "--tokens", str(args.tokens))
    started = time.perf_counter()
    try:
        httpx_times, bench_times = asyncio.run(measure(server.base_url, runs))
    finally:
        server.close()
    ok = report(httpx_times, bench_times, args.delay, args.tokens)
    print(f"({2 * (runs + 1)} runs in {time.perf_counter() - started:.1f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
