"""Which GGUF model should be the embedded one: simple questions with known answers, speed, memory.

    .venv/bin/python -m benchmarks.local_models                       # the embedded model
    .venv/bin/python -m benchmarks.local_models --path other.gguf     # and others, one after another

Each model is loaded by mmchat's own LocalProvider (2 threads unless --threads, a
4,096-token context) and asked the QUESTIONS below at temperature 0, one at a time;
an answer is right when it holds the expected answer (a number as a whole number, a
word anywhere, case aside). Printed per model: right answers (and the wrong ones,
with what the model said), medians of time to first token and tokens/s (after the
first token, as the engine's Meter counts), and the process's resident memory with
the model loaded (each model is freed before the next is loaded).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# (question, expected answer): simple, unambiguous, the kind a small local model is for.
QUESTIONS = [
    ("What is 17 × 23? Answer with the number only.", "391"),
    ("What is the capital of France? Answer with one word.", "Paris"),
    ("How many days are in a leap year? Answer with the number only.", "366"),
    ("What is the chemical symbol for gold?", "Au"),
    ("Translate 'thank you' into Spanish. Give only the translation.", "gracias"),
    ("I have 5 apples and eat 2 of them. How many apples are left? Answer with the number only.", "3"),
    ("What is the largest planet in the solar system? One word.", "Jupiter"),
    ("Write a Python expression that reverses the string s. Code only.", "[::-1]"),
    ("What is 2 to the power of 10? Answer with the number only.", "1024"),
    ("Which number is larger, 0.9 or 0.11? Answer with the number only.", "0.9"),
    ("Which HTTP status code means 'Not Found'? Answer with the number only.", "404"),
    ("Spell the word 'stressed' backwards.", "desserts"),
    ("How many sides does a hexagon have? Answer with the number only.", "6"),
    ("At what temperature in Celsius does water boil at sea level? Answer with the number only.", "100"),
]
MAX_TOKENS = 64


@dataclass
class Result:
    name: str
    right: int = 0
    wrong: list[tuple[str, str]] = field(default_factory=list)  # (question, what was said)
    ttft_ms: list[float] = field(default_factory=list)
    tokens_per_s: list[float] = field(default_factory=list)
    rss_mb: float = 0.0
    load_s: float = 0.0


def is_right(answer: str, expected: str) -> bool:
    if re.fullmatch(r"[\d.]+", expected):  # a number: not a part of a longer one
        return re.search(rf"(?<![\d.]){re.escape(expected)}(?![\d]|\.\d)", answer) is not None
    return expected.lower() in answer.lower()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def ask(provider, question: str) -> tuple[str, float | None, float | None]:
    """The answer, its time to first token (ms) and tokens/s after the first token."""
    from mmchat.types import ChatMessage, ChatRequest, TextDelta, Usage

    request = ChatRequest(provider.model_id, (ChatMessage("user", question),), {"max_tokens": MAX_TOKENS, "temperature": 0})
    started = time.perf_counter()
    first = None
    pieces: list[str] = []
    tokens = 0
    async for event in provider.stream(request):
        if type(event) is TextDelta:
            first = first or time.perf_counter()
            pieces.append(event.text)
        elif type(event) is Usage:
            tokens = event.output_tokens
    ended = time.perf_counter()
    ttft = None if first is None else (first - started) * 1000
    speed = (tokens - 1) / (ended - first) if first is not None and tokens > 1 and ended > first else None
    return "".join(pieces), ttft, speed


async def measure(path: Path | None, threads: int) -> Result:
    from mmchat.config import ProviderConfig
    from mmchat.providers.local import LocalProvider

    config = ProviderConfig(name="local", type="local", base_url="", path=str(path) if path else None, threads=threads)
    provider = LocalProvider(config)
    result = Result(provider.model_id)
    started = time.perf_counter()
    await asyncio.to_thread(provider.prepare)
    result.load_s = time.perf_counter() - started
    result.rss_mb = rss_mb()
    try:
        await ask(provider, "Say hello.")  # unmeasured: llama.cpp's first request warms its caches
        for question, expected in QUESTIONS:
            answer, ttft, speed = await ask(provider, question)
            if is_right(answer, expected):
                result.right += 1
            else:
                result.wrong.append((question, " ".join(answer.split())[:80]))
            if ttft is not None:
                result.ttft_ms.append(ttft)
            if speed is not None:
                result.tokens_per_s.append(speed)
    finally:
        await provider.aclose()
    return result


def report(results: list[Result], threads: int) -> None:
    print(f"simple questions with known answers: {len(QUESTIONS)} each, temperature 0, {threads} threads, context 4,096")
    header = f"{'model':<32} {'right':>7} {'TTFT ms':>8} {'tok/s':>6} {'RSS MB':>7} {'load s':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        ttft = statistics.median(r.ttft_ms) if r.ttft_ms else float("nan")
        speed = statistics.median(r.tokens_per_s) if r.tokens_per_s else float("nan")
        print(f"{r.name:<32} {r.right:>3}/{len(QUESTIONS):<3} {ttft:>8.0f} {speed:>6.1f} {r.rss_mb:>7.0f} {r.load_s:>7.2f}")
    for r in results:
        for question, said in r.wrong:
            print(f"  {r.name} wrong: {question!r} -> {said!r}")
    print("RSS = this process's resident memory with the model loaded (the previous one freed);"
          " tok/s = tokens after the first over the time they took (medians).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", action="append", default=[], type=Path, help="a GGUF file to measure too (repeatable)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    results = [asyncio.run(measure(path, args.threads)) for path in [None, *args.path]]
    report(results, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
