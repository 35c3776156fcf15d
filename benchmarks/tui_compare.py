"""How fast the full-screen interface shows a compare of four streamed answers, and whether it
stays responsive meanwhile (issue 12, "Speed").

    .venv/bin/python -m benchmarks.tui_compare            # the full run (5 runs of each, ~20-30 s on 2 cores)
    .venv/bin/python -m benchmarks.tui_compare --quick    # one run of each
    .venv/bin/python -m benchmarks.tui_compare --servers 1   # the four models on one server process
    .venv/bin/python -m benchmarks.tui_compare --profile        # where one compare run's time goes (cProfile)

The same local server as benchmarks.tui_stream (its `--serve`: asked "bench N SHAPE",
it streams an N-token Markdown answer as fast as it can, one token per event and per
HTTP chunk), in child processes: by default four, one per model (four providers), so
that the server is not what the figures measure: one process (`--servers 1`, four
model ids on one provider, the server answers any) serves its four streams from
threads sharing one GIL, and httpx ×4 then waits on it (its wall time well above its
CPU time); with four, httpx ×4 is bound by the client's own CPU. Clients,
interleaved, each of the 4,000-token `mixed` answer:

  httpx ×1      one httpx stream (information: what the server gives one stream)
  httpx ×4      four concurrent httpx streams (asyncio.gather) until the last [DONE]: the floor
  tui ×1        the single-stream chat figure, measured exactly as benchmarks.tui_stream
                measures it (its run_tui): the README's baseline, in the same run
  tui compare ×4  the real MmchatApp (pilot, headless, 120x40, frames turned into escape
                sequences as tui_stream does): `/compare a,b,c,d` + Enter, then the prompt
                + Enter through the driver; the run ends at the first frame painted once
                every column shows its complete text

Each TUI run is a fresh process (tui_stream's reason: one app per process, as a session):
the full run is 5 rounds of the four clients, so ten TUI processes of a few seconds each
(start-up, a 0.3 s settle, the stream) plus the httpx reads, about 20-30 s on 2 cores.

"On screen", as tui_stream defines it: the first frame painted after the answer is
complete and everything received is drawn. In the chat that is the message's state
leaving "streaming" (set once its StreamingMarkdown.finish() returned). The compare
screen never calls finish(); so a column counts as shown when its answer has ended
(TurnView.done) and its StreamingMarkdown has nothing left to draw (nothing pending
or in the backlog, no frame scheduled, no slice rendering): the frame painted after
that shows its last token. The run ends at the first frame where all four columns are
shown; the text each column holds is then checked against what the server sent.

Keystroke echo. While the answers stream, nothing on the compare screen echoes typed
text: its note Input (#compare-note) is hidden and `n`, which shows it, works only
once the answers ended; the digits, t, x and Enter are disabled too, and left/right
only switch tabs on a narrow screen. The key the screen does handle while streaming
with a visible repaint is Tab: focus moves to the next column (its border turns the
accent colour) or into a column's scrolling body (the column's border goes back).
So a thread presses Tab every ~100 ms through the driver (tui_stream's type_keys), and
a key's "echo" is the time from the keypress to the first frame painted after the
screen applied it (Screen.focus_next ran): keypress to the next frame showing its
effect, as tui_stream's echo is keypress to the first frame with the character in
the prompt. The report also gives the first part of it: from the keypress to the screen
applying it (the key goes from the app to the focused column and bubbles back up to the
app's bindings, one trip through a message queue per widget). A heartbeat task on the
UI loop measures the longest stall (tui_stream's).

Peak memory: the TUI process's RSS high-water mark (getrusage ru_maxrss) at the end of
its run, interpreter and imports included.

Targets: the compare ×4 under 2 s (median); echo median under 50 ms; no stall of
100 ms or more (worst run); peak memory under 200 MB (worst run). Exit status 1 on
any MISS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.server_process import ServerProcess
from benchmarks.tui_stream import (
    KEY,
    SCREEN,
    TIMEOUT_S,
    Sample,
    answer_tokens,
    bench_app,
    heartbeat,
    ms,
    prompt_for,
    run_child,
    run_httpx,
    run_tui,
    sample_of,
    type_keys,
)

TOKENS = 4_000
SHAPE = "mixed"
COLUMNS = 4
TARGET_TOTAL_S = 2.0
TARGET_ECHO_MS = 50.0
TARGET_STALL_MS = 100.0
TARGET_PEAK_MB = 200.0
PRESSED = ("tab", "\t")  # the key pressed during the compare: focus to the next column (see above)
MODULE = "benchmarks.tui_compare"


@dataclass
class RunSample(Sample):
    peak_mb: float = 0.0  # the process's RSS high-water mark at the end of the run
    waits: list[float] = field(default_factory=list)  # compare: keypress to the screen applying it (echo's first part)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def models_for(urls: list[str]) -> list[tuple[str, str]]:
    """(model address, base URL) of the compare's four models: four ids on one provider, or
    one provider per server."""
    if len(urls) == 1:
        return [(f"bench/model-{chr(ord('a') + i)}", urls[0]) for i in range(COLUMNS)]
    return [(f"bench{i + 1}/model", urls[i % len(urls)]) for i in range(COLUMNS)]


def compare_config(urls: list[str]):
    from mmchat.config import Config, ModelConfig, Price, ProviderConfig, Timeouts

    timeouts = Timeouts(connect=5, first_token=30, idle=30)
    models = models_for(urls)
    providers = {}
    for address, url in models:
        name = address.split("/", 1)[0]
        providers[name] = ProviderConfig(name=name, type="openai", base_url=url, timeouts=timeouts)
    return Config(
        providers=providers,
        models={a: ModelConfig(a, context=1_000_000, price=Price(input=1.0, output=2.0)) for a, _ in models},
        default_model=models[0][0],
    )


# ---- the baselines ----------------------------------------------------------------------------


async def run_httpx_many(urls: list[str]) -> Sample:
    """COLUMNS concurrent httpx streams of the answer, from the first request to the last [DONE]."""
    started, cpu_started = time.perf_counter(), time.process_time()
    samples = await asyncio.gather(*(run_httpx(url, TOKENS, SHAPE) for _, url in models_for(urls)))
    return Sample(time.perf_counter() - started, time.process_time() - cpu_started, min(s.first for s in samples))


# ---- the compare in the TUI ---------------------------------------------------------------------


class CompareWatch:
    """What the benchmark learns from each painted frame (called on the UI loop); the
    interface of tui_stream's Watch that bench_app and type_keys use."""

    def __init__(self) -> None:
        self.app = None
        self.screen = None  # the CompareScreen, once painted
        self.bodies: list = []  # each column's StreamingMarkdown
        self.on_screen = asyncio.Event()  # the compare screen was painted: keys go to it
        self.started = 0.0
        self.first_at = 0.0
        self.done_at = 0.0
        self.done = asyncio.Event()
        self.frames = 0
        self.key_times: list[float] = []  # when each key was sent (by the typist thread)
        self.applied = 0  # keys the screen applied (focus moved)
        self.waits: list[float] = []  # each key's time from the keypress to the screen applying it
        self.echoes: list[float] = []

    def frame(self, now: float) -> None:
        if self.app is None or not self.started:
            return
        if self.screen is None:
            from mmchat.tui.screens.compare import CompareScreen
            from mmchat.tui.widgets.streaming_markdown import StreamingMarkdown

            screen = self.app.screen
            if not isinstance(screen, CompareScreen):
                return
            self.screen = screen
            self.bodies = [column.query_one(StreamingMarkdown) for column in screen.columns]
            focus_next = screen.focus_next

            def counted(*args, **kwargs):
                result = focus_next(*args, **kwargs)
                if self.applied < len(self.key_times):
                    self.waits.append(time.perf_counter() - self.key_times[self.applied])
                self.applied += 1
                return result

            screen.focus_next = counted  # type: ignore[method-assign]
            self.on_screen.set()
        if self.applied > len(self.echoes):
            self.echoes += [now - sent for sent in self.key_times[len(self.echoes) : self.applied]]
        self.frames += not self.done_at
        if not self.first_at and any(body.done.blocks or body.open.blocks for body in self.bodies):
            self.first_at = now
        if not self.done_at and all(view.done for view in self.screen.views) and all(map(drawn, self.bodies)):
            self.done_at = now
            self.done.set()


def drawn(body) -> bool:
    """Whether a StreamingMarkdown has drawn everything it was fed (nothing waits for a frame)."""
    return not (body._behind or body._scheduled or body._rendering)


async def run_compare(urls: list[str], data_dir: Path, seed: int, tokens: int = TOKENS) -> RunSample:
    from textual import events

    from mmchat.engine.turn import Engine
    from mmchat.store import Store
    from mmchat.tui.service import ChatService
    from mmchat.tui.widgets.prompt import PromptInput

    watch = CompareWatch()
    expected = "".join(answer_tokens(tokens, SHAPE))
    with Store(data_dir / f"compare-{seed}.db") as store:
        cfg = compare_config(urls)
        service = ChatService(cfg, store, engine=Engine(cfg, store, key_lookup=lambda p: KEY))
        app = bench_app(service, data_dir, watch)
        async with app.run_test(size=SCREEN) as pilot:
            await pilot.pause(0.3)  # let the warm-up worker finish, as a user would before typing
            prompt = app.screen.query_one(PromptInput)
            prompt.insert("/compare " + ",".join(address for address, _ in models_for(urls)))
            await pilot.press("enter")
            await pilot.pause()
            if service.compare_choice is None:
                raise RuntimeError("tui: /compare did not set the compare")
            prompt.insert(prompt_for(tokens, SHAPE))
            await pilot.pause()
            watch.app = app
            worst = [0.0]
            beat = asyncio.create_task(heartbeat(worst))
            stop = threading.Event()
            typist = threading.Thread(target=type_keys, args=(app, stop, watch, seed, PRESSED), daemon=True)
            cpu_started = time.process_time()
            watch.started = time.perf_counter()
            app._driver.process_message(events.Key("enter", "\r"))
            try:
                await asyncio.wait_for(watch.on_screen.wait(), TIMEOUT_S)
                typist.start()  # from the compare screen's first frame: keys go to it
                await asyncio.wait_for(watch.done.wait(), TIMEOUT_S)
            except asyncio.TimeoutError:
                shown = watch.screen
                states = [f"{v.status} {len(b.text)} chars" for v, b in zip(shown.views, watch.bodies)] if shown else "none"
                raise RuntimeError(f"tui: the compare did not complete within {TIMEOUT_S:g}s (columns: {states})") from None
            finally:
                stop.set()
                if typist.is_alive():
                    typist.join()
            cpu = time.process_time() - cpu_started
            beat.cancel()
            for view, body in zip(watch.screen.views, watch.bodies):
                if view.status != "complete" or body.text != expected:
                    raise RuntimeError(f"tui: a column is {view.status} and differs from what the server sent")
                if body.done.source + body.open.source != expected:
                    raise RuntimeError("tui: a column's drawn blocks differ from its text")
            await pilot.pause(0.1)  # the last keys' echoes
    return RunSample(**sample_of(watch, cpu, worst[0]).__dict__, peak_mb=peak_mb(), waits=watch.waits)


def child_run(kind: str, urls: list[str], seed: int) -> None:
    """The child's side: one TUI run (kind `single`: tui_stream's chat run; `compare`), the sample as JSON."""
    with tempfile.TemporaryDirectory(prefix="mmchat-bench-") as tmp:
        if kind == "single":
            sample = asyncio.run(run_tui(urls[0], TOKENS, SHAPE, Path(tmp), seed))
            result = RunSample(**sample.__dict__, peak_mb=peak_mb())
        else:
            result = asyncio.run(run_compare(urls, Path(tmp), seed))
    print(json.dumps(result.__dict__))


def tui_in_child(kind: str, urls: list[str], seed: int) -> RunSample:
    return RunSample(**run_child(MODULE, ["--tui-run", kind, str(seed), *urls]))


# ---- the report -----------------------------------------------------------------------------------

ROWS = ("httpx ×1", "httpx ×4", "tui ×1", "tui compare ×4")


def spread(values: list[float]) -> str:
    return f"{ms(min(values))}–{ms(max(values))}"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def report(samples: dict[str, list[Sample]], servers: int) -> bool:
    print(
        f"mmchat TUI compare: {COLUMNS} models streaming {TOKENS:,} tokens each ({SHAPE}) at once;"
        f" {servers} server process{'es' if servers > 1 else ''}, one token per event; screen {SCREEN[0]}x{SCREEN[1]}"
    )
    header = (
        f"{'client':<15} {'runs':>4} {'first ms':>8} {'last ms':>8} {'range ms':>13} {'cpu ms':>7} {'÷httpx×4':>8}"
        f" {'stall ms':>8} {'echo ms':>7} {'p95':>6} {'max':>6} {'fps':>4} {'peak MB':>7}"
    )
    print(header)
    print("-" * len(header))
    floor = statistics.median(s.total for s in samples["httpx ×4"])
    for row in ROWS:
        runs = samples[row]
        totals = [s.total for s in runs]
        total = statistics.median(totals)
        line = (
            f"{row:<15} {len(runs):>4} {ms(statistics.median(s.first for s in runs)):>8} {ms(total):>8}"
            f" {spread(totals):>13} {ms(statistics.median(s.cpu for s in runs)):>7} {total / floor:>8.1f}"
        )
        if not row.startswith("tui"):
            print(line)
            continue
        echoes = [e for s in runs for e in s.echoes]
        echo = (
            f"{statistics.median(echoes) * 1000:>7.1f} {p95(echoes) * 1000:>6.1f} {max(echoes) * 1000:>6.1f}"
            if echoes else f"{'none':>7} {'':>6} {'':>6}"
        )
        fps = statistics.median(s.frames / s.total for s in runs)
        peak = max(s.peak_mb for s in runs)  # type: ignore[attr-defined]
        print(f"{line} {ms(max(s.stall for s in runs)):>8} {echo} {fps:>4.0f} {peak:>7.0f}")
    print(
        "first/last = Enter (or the request) to the first/last token (on screen for the tui: every column's);"
        " range = fastest–slowest run; ÷httpx×4 = last / httpx ×4's; stall = the longest the UI loop was blocked"
        " (worst run); echo = keypress to the first frame showing it (median, p95, max over all runs): typed"
        " characters in the chat's prompt for tui ×1, Tab moving the focus between the columns for the compare;"
        " fps = frames painted while streaming; peak = the TUI process's RSS high-water mark (worst run)."
    )
    compare = samples["tui compare ×4"]
    total = statistics.median(s.total for s in compare)
    echoes = [e for s in compare for e in s.echoes]
    echo = statistics.median(echoes) if echoes else float("inf")
    waits = [w for s in compare for w in s.waits]  # type: ignore[attr-defined]
    wait = statistics.median(waits) if waits else float("nan")
    stall = max(s.stall for s in compare)
    peak = max(s.peak_mb for s in compare)  # type: ignore[attr-defined]
    single = statistics.median(s.total for s in samples["tui ×1"])
    checks = [
        (
            f"compare ×{COLUMNS}, Enter to the last column's last token on screen: {ms(total)} ms median"
            f" ({spread([s.total for s in compare])} ms; tui ×1 {ms(single)} ms, httpx ×4 {ms(floor)} ms)",
            total < TARGET_TOTAL_S, f"< {TARGET_TOTAL_S * 1000:,.0f} ms",
        ),
        (
            f"Tab during the {COLUMNS} streams, keypress to the first frame with the focus moved (no typed echo here):"
            f" {echo * 1000:.1f} ms median, p95 {p95(echoes) * 1000 if echoes else float('inf'):.1f} ms, {len(echoes)} keys"
            f" (of which the wait for the UI loop to take the key, median {wait * 1000:.1f} ms)",
            echo * 1000 < TARGET_ECHO_MS, f"< {TARGET_ECHO_MS:g} ms",
        ),
        (f"longest UI-loop stall during the compare: {ms(stall)} ms (worst run)", stall * 1000 < TARGET_STALL_MS,
         f"< {TARGET_STALL_MS:g} ms"),
        (f"peak memory of the TUI process (RSS high-water mark): {peak:.0f} MB (worst run)", peak < TARGET_PEAK_MB,
         f"< {TARGET_PEAK_MB:g} MB"),
    ]
    ok = True
    for text, passed, target in checks:
        print(f"{text}, target {target}: {'PASS' if passed else 'MISS'}")
        ok = ok and passed
    return ok


async def measure(urls: list[str], reps: int) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {row: [] for row in ROWS}
    await run_httpx(urls[0], 400, SHAPE)  # warm-up: imports, the server's first connection
    await run_httpx_many(urls)
    seed = 1
    for _ in range(reps):
        for row in ROWS:
            gc.collect()
            if row == "httpx ×1":
                sample = await run_httpx(urls[0], TOKENS, SHAPE)
            elif row == "httpx ×4":
                sample = await run_httpx_many(urls)
            else:
                sample = await asyncio.to_thread(tui_in_child, "single" if row == "tui ×1" else "compare", urls, seed)
                seed += 1
            samples[row].append(sample)
    return samples


async def profile(urls: list[str], dump: str | None = None) -> None:
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="mmchat-bench-") as tmp:
        await run_compare(urls, Path(tmp), seed=0, tokens=400)  # warm-up: imports, first connections
        profiler = cProfile.Profile()
        profiler.enable()
        sample = await run_compare(urls, Path(tmp), seed=1)
        profiler.disable()
    if dump:
        profiler.dump_stats(dump)
    print(
        f"compare ×{COLUMNS} of {TOKENS:,} tokens: the last column's last token on screen in {ms(sample.total)} ms,"
        f" worst stall {ms(sample.stall)} ms (under cProfile)"
    )
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="runs of each client, interleaved")
    parser.add_argument("--quick", action="store_true", help="one run of each")
    parser.add_argument("--servers", type=int, choices=(1, COLUMNS), default=COLUMNS,
                        help="server processes: 1 (four model ids on one) or 4 (one per model)")
    parser.add_argument("--profile", action="store_true", help="profile one compare run instead")
    parser.add_argument("--profile-dump", metavar="FILE", help="with --profile: also write the pstats data to FILE")
    parser.add_argument("--tui-run", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.tui_run:
        kind, seed, *urls = args.tui_run
        child_run(kind, urls, int(seed))
        return 0
    servers = [ServerProcess("benchmarks.tui_stream") for _ in range(args.servers)]
    try:
        urls = [server.base_url for server in servers]
        if args.profile:
            asyncio.run(profile(urls, args.profile_dump))
            return 0
        started = time.perf_counter()
        samples = asyncio.run(measure(urls, 1 if args.quick else args.reps))
    finally:
        for server in servers:
            server.close()
    ok = report(samples, len(servers))
    print(f"({time.perf_counter() - started:.1f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
