"""mmchat's streaming overhead against a raw httpx stream of the same local server.

    .venv/bin/python -m benchmarks.stream_overhead            # the full run (about a minute)
    .venv/bin/python -m benchmarks.stream_overhead --quick    # fewer repetitions
    .venv/bin/python -m benchmarks.stream_overhead --profile engine   # where one 20k stream's time goes

The server (tests.servers.OpenAIServer, the OpenAI wire format) runs in a child
process on 127.0.0.1, so its CPU does not share the GIL with the client being
measured. It answers with the stream of `reply_tokens(n, batch=...)`: one
`chat.completion.chunk` per token, `batch` events per HTTP chunk (1 by default,
as OpenAI sends them). Four clients read the same streams, interleaved and
repeated, over one shared keep-alive httpx.AsyncClient:

  baseline  httpx `aiter_lines` + json.loads of each `data:` line until [DONE]
  provider  OpenAIProvider.stream(): first TextDelta, Finish
  engine    Engine.turn() with a real Store in a temp dir: first TextDelta, TurnFinished
            (timed from the call, so it includes the store writes before the request)
  session   Session.answer() of a pinned decision: the engine's turn as the TUI and `mmchat ask`
            run it, each event folded into the answer's TurnView

Reported per stream length: medians of time to first token and total time, the
extra time over the baseline (medians of the per-repetition differences), the
ratio, the overhead as % of the baseline's total, events parsed per second, and
PASS/MISS against the targets (extra total < 5 %, extra time to first token < 2 ms).

The targets are the client's: the provider row is what mmchat adds to reading
a stream. The engine row adds what a turn must also do — store the prompt and
a pending answer before the request, save the answer every 0.5 s and at the
end (where SQLite's full-text index takes ~0.3 ms per 1,000 tokens) — and is
printed beside it for information, not held to the same target.
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
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.server_process import ServerProcess, serve_until_stdin_closes

SIZES = (400, 20_000)
PATHS = ("baseline", "provider", "engine", "session")
MODEL = "bench/model"
KEY = "sk-bench-0123456789abcdef"
PROMPT = "Stream me some tokens."
EXTRA_EVENTS = 3  # the role chunk, the finish chunk and the usage chunk around the tokens
TARGET_TOTAL_PCT = 5.0
TARGET_TTFT_MS = 2.0


@dataclass(frozen=True)
class Sample:
    ttft: float  # seconds from the call to the first text delta
    total: float  # seconds from the call to the end of the answer
    cpu: float  # this process's CPU seconds over the same span (less disturbed by other load)
    tokens: int  # text deltas seen


# ---- the server process ----------------------------------------------------------------


def serve(plan: list[int], batch: int) -> None:
    """Serve one queued `reply_tokens` answer per planned request; stop when stdin closes."""
    from tests.servers import OpenAIServer

    server = OpenAIServer()
    for n in plan:
        server.reply_tokens(n, batch=batch)
    serve_until_stdin_closes(server)


# ---- the four clients -----------------------------------------------------------------


def stream_headers() -> dict[str, str]:
    # What OpenAIProvider sends, so both sides get byte-identical answers.
    return {
        "Authorization": f"Bearer {KEY}",
        "Accept": "text/event-stream",
        "Accept-Encoding": "identity",
    }


async def run_baseline(client: httpx.AsyncClient, base_url: str, n: int) -> Sample:
    body = {
        "max_tokens": n,
        "model": MODEL.split("/", 1)[1],
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    started, cpu_started = time.perf_counter(), time.process_time()
    ttft = total = cpu = 0.0
    tokens = 0
    async with client.stream(
        "POST", f"{base_url}/chat/completions", json=body, headers=stream_headers()
    ) as response:
        response.raise_for_status()
        lines = response.aiter_lines()
        async for line in lines:
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                break
            choices = json.loads(data)["choices"]
            if choices and choices[0]["delta"].get("content"):
                tokens += 1
                if tokens == 1:
                    ttft = time.perf_counter() - started
        async for _ in lines:  # read the body's end so the connection is reused, as the provider does
            pass
    return Sample(ttft, total, cpu, tokens)


async def run_provider(provider, n: int) -> Sample:
    from mmchat.types import ChatMessage, ChatRequest, Finish, TextDelta

    request = ChatRequest(MODEL.split("/", 1)[1], (ChatMessage("user", PROMPT),), {"max_tokens": n})
    started, cpu_started = time.perf_counter(), time.process_time()
    ttft = total = cpu = 0.0
    tokens = 0
    async for event in provider.stream(request):
        if type(event) is TextDelta:
            tokens += 1
            if tokens == 1:
                ttft = time.perf_counter() - started
        elif type(event) is Finish:
            total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return Sample(ttft, total, cpu, tokens)


async def read_turn(start, name: str, indexed: bool) -> Sample:
    """Time the turn `start()` begins (the engine's events, or the session's (index, event))."""
    from mmchat.engine.events import TurnFailed, TurnFinished
    from mmchat.types import TextDelta

    started, cpu_started = time.perf_counter(), time.process_time()
    ttft = total = cpu = 0.0
    tokens = 0
    async for item in start():
        event = item[1] if indexed else item
        if type(event) is TextDelta:
            tokens += 1
            if tokens == 1:
                ttft = time.perf_counter() - started
        elif type(event) is TurnFinished:
            total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        elif type(event) is TurnFailed:
            raise RuntimeError(f"the {name}'s turn failed: {event.reason}")
    return Sample(ttft, total, cpu, tokens)


async def run_engine(engine, n: int) -> Sample:
    return await read_turn(lambda: engine.turn(PROMPT, model=MODEL, params={"max_tokens": n}), "engine", False)


async def run_session(session, decision, n: int) -> Sample:
    return await read_turn(lambda: session.answer([decision], params={"max_tokens": n}), "session", True)


class Clients:
    """The baseline client, a provider, an engine and a session, all on one httpx.AsyncClient."""

    def __init__(self, base_url: str, data_dir: Path) -> None:
        from mmchat.catalog import Catalog
        from mmchat.config import Config, ModelConfig, Price, ProviderConfig, Timeouts
        from mmchat.engine.turn import Engine
        from mmchat.providers import build_provider
        from mmchat.session.session import Session
        from mmchat.store import Store

        self.base_url = base_url
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
        pconfig = ProviderConfig(
            name="bench", type="openai", base_url=base_url, timeouts=Timeouts(connect=5, first_token=10, idle=10)
        )
        config = Config(
            providers={"bench": pconfig},
            models={MODEL: ModelConfig(MODEL, price=Price(input=1.0, output=2.0))},
            default_model=MODEL,
        )
        self.provider = build_provider(pconfig, KEY, self.client)
        self.store = Store(data_dir / "mmchat.db")
        catalog = Catalog.build(config)
        self.engine = Engine(config, self.store, catalog, client=self.client, key_lookup=lambda p: KEY)
        # The session writes to a store of its own: re-reading the router's figures after each of
        # its turns (a thread) would otherwise run during the next client's stream.
        self.session_store = Store(data_dir / "session.db")
        session_engine = Engine(config, self.session_store, catalog, client=self.client, key_lookup=lambda p: KEY)
        self.session = Session(config, self.store, catalog, engine=session_engine)
        self.decision = self.session.decide(PROMPT, None, pin=MODEL)

    async def run(self, path: str, n: int) -> Sample:
        if path == "baseline":
            sample = await run_baseline(self.client, self.base_url, n)
        elif path == "provider":
            sample = await run_provider(self.provider, n)
        elif path == "engine":
            sample = await run_engine(self.engine, n)
        else:
            sample = await run_session(self.session, self.decision, n)
        if sample.tokens != n or not sample.total:
            raise RuntimeError(f"{path}: expected {n} tokens, got {sample.tokens}: the server's plan is out of step")
        return sample

    async def aclose(self) -> None:
        await self.engine.aclose()
        await self.session.aclose()
        await self.provider.aclose()
        await self.client.aclose()
        self.store.close()
        self.session_store.close()


# ---- the schedule and the report --------------------------------------------------------


def schedule(reps: dict[int, int], warmup: int) -> list[tuple[int, str, bool]]:
    """(tokens, path, timed) in run order: warm-ups first, then the sizes interleaved,
    the order of the paths rotated each repetition."""
    runs = [(n, path, False) for _ in range(warmup) for n in SIZES for path in PATHS]
    for rep in range(max(reps.values())):
        order = PATHS[rep % len(PATHS) :] + PATHS[: rep % len(PATHS)]
        runs += [(n, path, True) for n in SIZES if rep < reps[n] for path in order]
    return runs


async def measure(base_url: str, runs: list[tuple[int, str, bool]]) -> dict[tuple[int, str], list[Sample]]:
    samples: dict[tuple[int, str], list[Sample]] = {(n, p): [] for n in SIZES for p in PATHS}
    with tempfile.TemporaryDirectory(prefix="mmchat-bench-") as tmp:
        clients = Clients(base_url, Path(tmp))
        try:
            for n, path, timed in runs:
                gc.collect()
                sample = await clients.run(path, n)
                if timed:
                    samples[(n, path)].append(sample)
        finally:
            await clients.aclose()
    return samples


def report(samples: dict[tuple[int, str], list[Sample]], batch: int) -> bool:
    """Print the table; True when the provider (the client) meets both targets at every size."""
    ok = True
    print(f"mmchat stream overhead vs raw httpx; server in a separate process, {batch} event(s) per HTTP chunk")
    header = (
        f"{'tokens':>6} {'client':<8} {'runs':>4} {'TTFT ms':>8} {'total ms':>9} {'cpu ms':>8}"
        f" {'+TTFT ms':>9} {'+total ms':>9} {'ratio':>6} {'overh %':>8} {'+cpu %':>7} {'events/s':>9}  verdict"
    )
    print(header)
    print("-" * len(header))
    for n in SIZES:
        base = samples[(n, "baseline")]
        base_total = statistics.median(b.total for b in base)
        base_cpu = statistics.median(b.cpu for b in base)
        for path in PATHS:
            runs = samples[(n, path)]
            ttft = statistics.median(s.ttft for s in runs) * 1000
            total = statistics.median(s.total for s in runs)
            cpu = statistics.median(s.cpu for s in runs)
            rate = statistics.median((n + EXTRA_EVENTS) / s.total for s in runs)
            line = f"{n:>6} {path:<8} {len(runs):>4} {ttft:>8.2f} {total * 1000:>9.2f} {cpu * 1000:>8.2f}"
            if path == "baseline":
                print(f"{line} {'':>9} {'':>9} {'':>6} {'':>8} {'':>7} {rate:>9,.0f}")
                continue
            pairs = list(zip(runs, base))
            extra_ttft = statistics.median(s.ttft - b.ttft for s, b in pairs) * 1000
            extra_total = statistics.median(s.total - b.total for s, b in pairs)
            ratio = statistics.median(s.total / b.total for s, b in pairs)
            pct = extra_total / base_total * 100
            cpu_pct = (cpu - base_cpu) / base_cpu * 100
            misses = []
            if pct >= TARGET_TOTAL_PCT:
                misses.append(f"total >= {TARGET_TOTAL_PCT:g}%")
            if extra_ttft >= TARGET_TTFT_MS:
                misses.append(f"TTFT >= {TARGET_TTFT_MS:g} ms")
            verdict = "PASS" if not misses else "MISS (" + ", ".join(misses) + ")"
            if path == "engine":
                verdict = f"info: {verdict.lower()} (client + storage)"
            elif path == "session":
                verdict = f"info: {verdict.lower()} (client + storage + view)"
            else:
                ok = ok and not misses
            print(
                f"{line} {extra_ttft:>+9.2f} {extra_total * 1000:>+9.2f} {ratio:>6.3f} {pct:>+7.1f}%"
                f" {cpu_pct:>+6.1f}% {rate:>9,.0f}  {verdict}"
            )
    print(
        f"targets (the client, i.e. the provider row): extra total < {TARGET_TOTAL_PCT:g}% of the baseline's,"
        f" extra TTFT < {TARGET_TTFT_MS:g} ms."
        " Medians; +TTFT/+total/ratio are medians of per-repetition differences;"
        " cpu = this process's CPU time per stream; events/s counts the"
        f" {EXTRA_EVENTS} non-token events too."
    )
    return ok


def server_for(plan: list[int], batch: int) -> ServerProcess:
    """The child process running `serve`; its answers come in the order of `plan`."""
    return ServerProcess("benchmarks.stream_overhead", "--batch", str(batch), "--plan", ",".join(map(str, plan)))


# ---- profiling ------------------------------------------------------------------------------


async def profile(base_url: str, path: str, n: int) -> None:
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="mmchat-bench-") as tmp:
        clients = Clients(base_url, Path(tmp))
        try:
            await clients.run(path, n)  # warm-up: connection, tokenizer, imports
            profiler = cProfile.Profile()
            profiler.enable()
            await clients.run(path, n)
            profiler.disable()
        finally:
            await clients.aclose()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


# ---- entry ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=1, help="token events per HTTP chunk (default 1)")
    parser.add_argument("--reps-small", type=int, default=61, help="timed runs per client of the 400-token stream")
    parser.add_argument("--reps-large", type=int, default=15, help="timed runs per client of the 20k-token stream")
    parser.add_argument("--quick", action="store_true", help="a third of the repetitions")
    parser.add_argument("--profile", choices=PATHS, help="profile one 20k-token stream of this client instead")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plan", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be at least 1")

    if args.serve:
        serve([int(n) for n in args.plan.split(",") if n], args.batch)
        return 0

    if args.profile:
        server = server_for([SIZES[-1]] * 2, args.batch)
        try:
            asyncio.run(profile(server.base_url, args.profile, SIZES[-1]))
        finally:
            server.close()
        return 0

    scale = 3 if args.quick else 1
    reps = {SIZES[0]: max(3, args.reps_small // scale), SIZES[-1]: max(3, args.reps_large // scale)}
    runs = schedule(reps, warmup=2)
    server = server_for([n for n, _, _ in runs], args.batch)
    started = time.perf_counter()
    try:
        samples = asyncio.run(measure(server.base_url, runs))
    finally:
        server.close()
    ok = report(samples, args.batch)
    print(f"({len(runs)} streams in {time.perf_counter() - started:.1f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
