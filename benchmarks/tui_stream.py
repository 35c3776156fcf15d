"""How fast the full-screen interface shows a streamed answer, and whether it stays responsive.

    .venv/bin/python -m benchmarks.tui_stream            # the full run (about a minute)
    .venv/bin/python -m benchmarks.tui_stream --quick    # one run of each
    .venv/bin/python -m benchmarks.tui_stream --stress   # also the hard shapes: one huge code block, one huge paragraph
    .venv/bin/python -m benchmarks.tui_stream --profile 20000   # where one TUI run's time goes (cProfile)

A local OpenAI-format server (tests.servers.OpenAIServer) runs in a child
process on 127.0.0.1, so its CPU does not share the GIL with the client. Asked
"bench N SHAPE", it streams an N-token Markdown answer as fast as it can, one
token per event and per HTTP chunk. SHAPE `mixed` is what answers look like
(headings, paragraphs, lists, Python code blocks, tables, quotes); `code` is one
fenced block of N tokens and `prose` one paragraph, the worst cases for a
renderer that re-parses the block still open.

Three clients read the same answers, interleaved; the first two in this
process, the tui each time in a fresh one (one app per process, as a session):

  httpx   the baseline: httpx `aiter_lines` + json.loads until [DONE]
  engine  Engine.turn() with a real Store, no interface
  tui     the real MmchatApp (Textual's pilot, headless, 120x40): the prompt is
          typed and Enter pressed through the driver as a terminal would, and
          the run ends at the first frame painted after the answer completed

The headless driver writes nothing; here every frame is still turned into the
escape sequences a terminal would get (CompositorUpdate.render_segments), so
the interface pays what it pays in a real terminal. While the answer streams a
thread types a key every ~100 ms through the driver (the terminal's input
thread in a real run); a key's echo is the time from the keypress to the first
frame painted with it in the prompt. A heartbeat task on the UI's event loop
measures the longest time the loop was blocked (the screen frozen). The idle
row types the same keys with nothing streaming.

A 50-token answer is measured too, for its first token on screen (no target:
printed for information, against the engine's first token).

Targets: the last token on screen within 2 s for 4,000 tokens and 10 s for
20,000; the loop never blocked 100 ms or more; keystroke echo under 50 ms
(median) while streaming; linear cost (ms per 1,000 tokens at 20,000 under
1.5 times that at 4,000). Exit status 1 on any MISS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.server_process import ROOT, ServerProcess, serve_until_stdin_closes

SIZES = (4_000, 20_000)
SHORT = 50  # a short answer: its row is for the first token on screen (no flood of tokens behind it)
TARGET_TOTAL_S = {4_000: 2.0, 20_000: 10.0}
TARGET_STALL_MS = 100.0
TARGET_ECHO_MS = 50.0
TARGET_GROWTH = 1.5  # ms per 1k tokens at 20k over at 4k: linear, not quadratic
SCREEN = (120, 40)
MODEL = "bench/model"
KEY = "sk-bench-0123456789abcdef"
TYPED = "z"  # the key typed during a stream (no 'z' in the benchmark's prompts)
TYPE_EVERY_S = 0.1
HEARTBEAT_S = 0.005
TIMEOUT_S = 120.0


# ---- the answers ------------------------------------------------------------------------


def _section(i: int) -> str:
    return f"""## Part {i}: what the renderer sees

Streaming Markdown is mostly **prose** with `inline code`, *emphasis* and the odd
[link](https://example.com/{i}); a long answer repeats this shape many times, and
every paragraph ends before the next one starts, so a renderer that only re-parses
the open block does a constant amount of work per token.

- the first point of part {i}, with `a_name` and a number {i * 7}
- the second point, a little longer, so that it wraps on a narrow terminal window
  - a nested point under it
- the third point

```python
def total_{i}(items: list[dict[str, float]]) -> float:
    \"\"\"The sum of price times quantity over `items`.\"\"\"
    total = 0.0
    for item in items:
        total += item["price"] * item["quantity"]
    return round(total, {i % 5 + 1})
```

| name | value | note |
|---|---:|---|
| alpha | {i} | the first row |
| beta | {i * 2} | the second row |

> A quoted line closes part {i}.

1. one ordered item
2. another ordered item

"""


def answer_tokens(n: int, shape: str) -> list[str]:
    """The `n` tokens (about four characters each) of the benchmark's answer of `shape`."""
    if shape == "mixed":
        parts, i = [], 0
        while sum(len(p) for p in parts) < n * 6:
            parts.append(_section(i))
            i += 1
        text = "".join(parts)
    elif shape == "code":
        body = "".join(f"    value_{i} = compute(value_{i - 1}, step={i})  # line {i}\n" for i in range(1, n))
        text = "```python\ndef generated():\n" + body
    else:  # prose: one paragraph, never closed
        text = " ".join(f"word{i % 97} and more" for i in range(n))
    tokens = re.findall(r"\s*\S{1,4}", text)
    if len(tokens) < n:
        raise ValueError(f"the {shape} answer has only {len(tokens)} tokens")
    return tokens[:n]


def parse_prompt(prompt: str) -> tuple[int, str]:
    match = re.fullmatch(r"bench (\d+) (mixed|code|prose)", prompt.strip())
    if match is None:
        raise ValueError(f"not a benchmark prompt: {prompt!r}")
    return int(match[1]), match[2]


def prompt_for(n: int, shape: str) -> str:
    return f"bench {n} {shape}"


# ---- the server process -------------------------------------------------------------------


def serve() -> None:
    """Answer each "bench N SHAPE" prompt with that answer's tokens; stop when stdin closes."""
    from tests.servers import OpenAIServer
    from tests.servers.openai import usage_body

    class BenchServer(OpenAIServer):
        def default_reply(self, request):
            n, shape = parse_prompt(self.last_user_text(request.json))
            return self.text_script(answer_tokens(n, shape), usage=usage_body(12, n), reasoning=[], finish=None)

    serve_until_stdin_closes(BenchServer())


# ---- the measurements -----------------------------------------------------------------------


@dataclass
class Sample:
    total: float  # seconds from sending (Enter) to the last token (on screen, for the tui)
    cpu: float  # this process's CPU seconds over the same span
    first: float = 0.0  # seconds to the first token (on screen, for the tui)
    stall: float = 0.0  # the longest time the UI loop was blocked
    echoes: list[float] = field(default_factory=list)  # keystroke echo times
    frames: int = 0  # frames painted while the answer streamed


def config(base_url: str):
    from mmchat.config import Config, ModelConfig, Price, ProviderConfig, Timeouts

    provider = ProviderConfig(
        name="bench", type="openai", base_url=base_url, timeouts=Timeouts(connect=5, first_token=30, idle=30)
    )
    return Config(
        providers={"bench": provider},
        models={MODEL: ModelConfig(MODEL, context=1_000_000, price=Price(input=1.0, output=2.0))},
        default_model=MODEL,
    )


async def run_httpx(base_url: str, n: int, shape: str) -> Sample:
    body = {
        "model": MODEL.split("/", 1)[1],
        "messages": [{"role": "user", "content": prompt_for(n, shape)}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "text/event-stream", "Accept-Encoding": "identity"}
    async with httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT_S)) as client:
        started, cpu_started = time.perf_counter(), time.process_time()
        first, tokens = 0.0, 0
        async with client.stream("POST", f"{base_url}/chat/completions", json=body, headers=headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                if line[6:] == "[DONE]":
                    break
                choices = json.loads(line[6:])["choices"]
                if choices and choices[0]["delta"].get("content"):
                    tokens += 1
                    if tokens == 1:
                        first = time.perf_counter() - started
        total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if tokens != n:
        raise RuntimeError(f"httpx: expected {n} tokens, got {tokens}")
    return Sample(total, cpu, first)


async def run_engine(base_url: str, n: int, shape: str, data_dir: Path) -> Sample:
    from mmchat.engine.turn import Engine
    from mmchat.engine.events import TurnFailed, TurnFinished
    from mmchat.types import TextDelta
    from mmchat.store import Store

    with Store(data_dir / "engine.db") as store:
        engine = Engine(config(base_url), store, key_lookup=lambda p: KEY)
        try:
            started, cpu_started = time.perf_counter(), time.process_time()
            first, total, cpu, text = 0.0, 0.0, 0.0, []
            # Read to the end: the engine stores the answer as complete only once the turn is over.
            async for event in engine.turn(prompt_for(n, shape), model=MODEL):
                if type(event) is TextDelta:
                    if not text:
                        first = time.perf_counter() - started
                    text.append(event.text)
                elif type(event) is TurnFailed:
                    raise RuntimeError(f"engine: the turn failed: {event.reason}")
                elif type(event) is TurnFinished:
                    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        finally:
            await engine.aclose()
    if "".join(text) != "".join(answer_tokens(n, shape)):
        raise RuntimeError("engine: the answer differs from what the server sent")
    return Sample(total, cpu, first)


class Watch:
    """What the benchmark learns from each painted frame (called on the UI loop)."""

    def __init__(self) -> None:
        self.app = None
        self.answer = None  # the AssistantMessage being measured
        self.started = 0.0
        self.first_at = 0.0
        self.done_at = 0.0
        self.done = asyncio.Event()
        self.frames = 0
        self.key_times: list[float] = []  # when each typed key was sent
        self.echoes: list[float] = []

    def frame(self, now: float) -> None:
        if self.app is None or not self.started:
            return
        if self.key_times:
            from mmchat.tui.widgets.prompt import PromptInput

            shown = self.app.screen.query_one(PromptInput).text.count(TYPED)
            self.echoes += [now - sent for sent in self.key_times[len(self.echoes) : shown]]
        if self.answer is None:
            from mmchat.tui.widgets.conversation import ConversationView

            self.answer = self.app.screen.query_one(ConversationView).last_answer
            if self.answer is None:
                return
        self.frames += not self.done_at
        if not self.first_at and self.answer.text:
            self.first_at = now
        if not self.done_at and self.answer.state != "streaming":
            self.done_at = now
            self.done.set()


def bench_app(service, data_dir: Path, watch: Watch):
    from textual._compositor import CompositorUpdate

    from mmchat.tui.app import MmchatApp
    from mmchat.tui.themes import BUNDLED_DIR

    app = MmchatApp(service, theme_dirs=[BUNDLED_DIR], state_path=data_dir / "tui-state.json")
    display = app._display

    def painted(screen, renderable) -> None:
        # What a real terminal run does that the headless driver skips: the escape sequences.
        if isinstance(renderable, CompositorUpdate) and not app._batch_count:
            renderable.render_segments(app.console)
        display(screen, renderable)
        if renderable is not None and not app._batch_count:
            watch.frame(time.perf_counter())

    app._display = painted  # type: ignore[method-assign]
    return app


async def heartbeat(worst: list[float]) -> None:
    """Record the longest time the event loop took to come back to this task."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(HEARTBEAT_S)
        worst[0] = max(worst[0], loop.time() - before - HEARTBEAT_S)


def type_keys(app, stop: threading.Event, watch: Watch, seed: int, key: tuple[str, str] = (TYPED, TYPED)) -> None:
    """Press `key` (its name and character; TYPED by default) every ~TYPE_EVERY_S through the
    driver, as the terminal's input thread does."""
    from textual import events

    rng = random.Random(seed)
    while not stop.wait(TYPE_EVERY_S * rng.uniform(0.7, 1.3)):
        watch.key_times.append(time.perf_counter())
        app._driver.process_message(events.Key(*key))


async def run_tui(base_url: str, n: int | None, shape: str, data_dir: Path, seed: int) -> Sample:
    """One answer in a fresh app; with `n` None, only type keys into an idle app for a second."""
    from textual import events

    from mmchat.engine.turn import Engine
    from mmchat.store import Store
    from mmchat.tui.service import ChatService
    from mmchat.tui.widgets.prompt import PromptInput

    watch = Watch()
    with Store(data_dir / f"tui-{seed}.db") as store:
        cfg = config(base_url)
        service = ChatService(cfg, store, engine=Engine(cfg, store, key_lookup=lambda p: KEY))
        app = bench_app(service, data_dir, watch)
        async with app.run_test(size=SCREEN) as pilot:
            await pilot.pause(0.3)  # let the warm-up worker finish, as a user would before typing
            prompt = app.screen.query_one(PromptInput)
            watch.app = app
            worst = [0.0]
            beat = asyncio.create_task(heartbeat(worst))
            stop = threading.Event()
            typist = threading.Thread(target=type_keys, args=(app, stop, watch, seed), daemon=True)
            if n is None:
                await asyncio.sleep(0.1)
                watch.started = time.perf_counter()
                typist.start()
                await asyncio.sleep(1.0)
                stop.set()
                typist.join()
                await pilot.pause(0.2)
                beat.cancel()
                return Sample(0.0, 0.0, stall=worst[0], echoes=watch.echoes)
            prompt.insert(prompt_for(n, shape))
            await pilot.pause()
            worst[0] = 0.0
            cpu_started = time.process_time()
            watch.started = time.perf_counter()
            app._driver.process_message(events.Key("enter", "\r"))
            await asyncio.sleep(0.1)  # the prompt is sent and cleared: keys typed from now on stay in it
            typist.start()
            try:
                await asyncio.wait_for(watch.done.wait(), TIMEOUT_S)
            except asyncio.TimeoutError:
                answer = watch.answer
                state = "never shown" if answer is None else f"{answer.state}, {len(answer.text)} characters"
                raise RuntimeError(f"tui: no complete answer within {TIMEOUT_S:g}s (the answer: {state})") from None
            finally:
                stop.set()
                typist.join()
            cpu = time.process_time() - cpu_started
            beat.cancel()
            answer = watch.answer
            if answer.state != "complete" or answer.text != "".join(answer_tokens(n, shape)):
                raise RuntimeError(f"tui: the answer is {answer.state} and differs from what the server sent")
            await pilot.pause(0.1)  # the last keys' echoes
    return sample_of(watch, cpu, worst[0])


def sample_of(watch, cpu: float, stall: float) -> Sample:
    """A TUI run's Sample from its watch (started, first_at, done_at, echoes, frames: tui_stream's
    Watch or tui_compare's CompareWatch), its CPU seconds and its longest stall."""
    return Sample(
        watch.done_at - watch.started,
        cpu,
        watch.first_at - watch.started,
        stall,
        watch.echoes,
        watch.frames,
    )


# ---- the report -----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def report(samples: dict[tuple[int, str, str], list[Sample]], idle: list[Sample], cases: list[tuple[int, str]]) -> bool:
    ok = True
    print(
        f"mmchat TUI streaming vs raw httpx; server in a separate process, one token per event;"
        f" screen {SCREEN[0]}x{SCREEN[1]}"
    )
    header = (
        f"{'tokens':>6} {'shape':<5} {'client':<6} {'runs':>4} {'first ms':>8} {'last ms':>8} {'cpu ms':>8}"
        f" {'ms/1k tok':>9} {'ratio':>6} {'stall ms':>8} {'echo ms':>8} {'echo max':>8} {'fps':>4}  verdict"
    )
    print(header)
    print("-" * len(header))
    for n, shape in cases:
        base = statistics.median(s.total for s in samples[(n, shape, "httpx")])
        for client in ("httpx", "engine", "tui"):
            runs = samples[(n, shape, client)]
            total = statistics.median(s.total for s in runs)
            line = (
                f"{n:>6} {shape:<5} {client:<6} {len(runs):>4} {ms(statistics.median(s.first for s in runs)):>8}"
                f" {ms(total):>8} {ms(statistics.median(s.cpu for s in runs)):>8} {total / n * 1e6:>9.1f}"
                f" {total / base:>6.1f}"
            )
            if client != "tui":
                print(line)
                continue
            stall = max(s.stall for s in runs)
            echoes = [e for s in runs for e in s.echoes]
            fps = statistics.median(s.frames / s.total for s in runs)
            if n == SHORT:  # over before typing starts
                print(f"{line} {ms(stall):>8} {'':>8} {'':>8} {fps:>4.0f}  info: first token on screen")
                continue
            echo = statistics.median(echoes) if echoes else float("inf")
            misses = []
            if shape == "mixed" and total >= TARGET_TOTAL_S[n]:
                misses.append(f"last token >= {TARGET_TOTAL_S[n]:g} s")
            if stall * 1000 >= TARGET_STALL_MS:
                misses.append(f"stall >= {TARGET_STALL_MS:g} ms")
            if echo * 1000 >= TARGET_ECHO_MS:
                misses.append(f"echo >= {TARGET_ECHO_MS:g} ms")
            verdict = "PASS" if not misses else "MISS (" + ", ".join(misses) + ")"
            if shape != "mixed":
                verdict = f"info: {verdict.lower()} (stress shape)"
            else:
                ok = ok and not misses
            print(
                f"{line} {ms(stall):>8} {echo * 1000:>8.1f} {max(echoes, default=0) * 1000:>8.1f} {fps:>4.0f}  {verdict}"
            )
    echoes = [e for s in idle for e in s.echoes]
    echo_idle = f"{statistics.median(echoes) * 1000:>8.1f} {max(echoes) * 1000:>8.1f}" if echoes else f"{'none':>8} {'':>8}"
    print(
        f"{'idle':>6} {'':<5} {'tui':<6} {len(idle):>4} {'':>8} {'':>8} {'':>8} {'':>9} {'':>6}"
        f" {ms(max(s.stall for s in idle)):>8} {echo_idle}"
    )
    small, large = (statistics.median(s.total for s in samples[(n, "mixed", "tui")]) / n for n in SIZES)
    growth = large / small
    linear = growth < TARGET_GROWTH
    ok = ok and linear
    print(
        f"growth: the tui's ms per 1,000 tokens at {SIZES[1]:,} / at {SIZES[0]:,} = {growth:.2f}"
        f" (linear: < {TARGET_GROWTH:g}) {'PASS' if linear else 'MISS'}"
    )
    print(
        "first/last = to the first/last token (on screen for the tui, from pressing Enter); ratio = last / httpx's;"
        " stall = the longest the UI loop was blocked (worst run); echo = keypress to a frame showing it"
        " (median, max over all runs); fps = frames painted while streaming."
    )
    print(
        f"targets (mixed shape): last token < {TARGET_TOTAL_S[4_000]:g} s at 4,000 tokens and"
        f" < {TARGET_TOTAL_S[20_000]:g} s at 20,000; stall < {TARGET_STALL_MS:g} ms; echo median < {TARGET_ECHO_MS:g} ms."
    )
    return ok


def tui_in_child(base_url: str, n: int | None, shape: str, seed: int) -> Sample:
    """One TUI run in a fresh process, as a user's session: a Textual app run in this long-lived
    process leaves objects behind (the run's context, its threads), and every run after would
    pay for them in longer garbage collections."""
    return Sample(**run_child("benchmarks.tui_stream", ["--tui-run", base_url, str(n or 0), shape, str(seed)]))


def run_child(module: str, args: list[str]) -> dict:
    """Run `python -m module *args` in a fresh process; the JSON object its last line prints."""
    command = [sys.executable, "-m", module, *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S + 30)
    if done.returncode != 0:
        raise RuntimeError(f"the TUI run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def tui_run(base_url: str, n: int, shape: str, seed: int) -> None:
    """The child's side of tui_in_child: run once, print the sample as JSON."""
    with tempfile.TemporaryDirectory(prefix="mmchat-bench-") as tmp:
        sample = asyncio.run(run_tui(base_url, n or None, shape, Path(tmp), seed))
    print(json.dumps(sample.__dict__))


async def measure(base_url: str, cases: list[tuple[int, str]], reps: dict[int, int]):
    samples: dict[tuple[int, str, str], list[Sample]] = {(n, s, c): [] for n, s in cases for c in ("httpx", "engine", "tui")}
    with tempfile.TemporaryDirectory(prefix="mmchat-bench-") as tmp:
        data_dir = Path(tmp)
        await run_httpx(base_url, 400, "mixed")  # warm-up: imports, the server's first connection
        await run_engine(base_url, 400, "mixed", data_dir)
        idle = [await asyncio.to_thread(tui_in_child, base_url, None, "mixed", 1)]
        seed = 2
        for rep in range(max(reps.values())):
            for n, shape in cases:
                if rep >= reps[n]:
                    continue
                for client in ("httpx", "engine", "tui"):
                    gc.collect()
                    if client == "httpx":
                        sample = await run_httpx(base_url, n, shape)
                    elif client == "engine":
                        sample = await run_engine(base_url, n, shape, data_dir)
                    else:
                        sample = await asyncio.to_thread(tui_in_child, base_url, n, shape, seed)
                        seed += 1
                    samples[(n, shape, client)].append(sample)
    return samples, idle


async def profile(base_url: str, n: int) -> None:
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="mmchat-bench-") as tmp:
        await run_tui(base_url, 400, "mixed", Path(tmp), seed=0)
        profiler = cProfile.Profile()
        profiler.enable()
        sample = await run_tui(base_url, n, "mixed", Path(tmp), seed=1)
        profiler.disable()
    print(f"{n} tokens: last token on screen in {ms(sample.total)} ms, worst stall {ms(sample.stall)} ms (under cProfile)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps-small", type=int, default=5, help="runs per client of the 50- and 4,000-token answers")
    parser.add_argument("--reps-large", type=int, default=3, help="runs per client of the 20,000-token answer")
    parser.add_argument("--quick", action="store_true", help="one run of each")
    parser.add_argument("--stress", action="store_true", help="also one huge code block and one huge paragraph")
    parser.add_argument("--profile", type=int, metavar="TOKENS", help="profile one TUI run of this many tokens instead")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tui-run", nargs=4, metavar=("URL", "TOKENS", "SHAPE", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        serve()
        return 0
    if args.tui_run:
        url, n, shape, seed = args.tui_run
        tui_run(url, int(n), shape, int(seed))
        return 0
    server = ServerProcess("benchmarks.tui_stream")
    try:
        if args.profile:
            asyncio.run(profile(server.base_url, args.profile))
            return 0
        small = 1 if args.quick else args.reps_small
        reps = {SHORT: small, SIZES[0]: small, SIZES[1]: 1 if args.quick else args.reps_large}
        cases = [(n, "mixed") for n in (SHORT, *SIZES)]
        if args.stress:
            cases += [(SIZES[0], "code"), (SIZES[0], "prose")]
        started = time.perf_counter()
        samples, idle = asyncio.run(measure(server.base_url, cases, reps))
    finally:
        server.close()
    ok = report(samples, idle, cases)
    print(f"({time.perf_counter() - started:.1f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
