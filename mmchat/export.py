"""Conversations out of the store: Markdown to read, JSON to keep or process.

JSON shape, format "mmchat.conversation/1" (fields are only ever added):

    {
      "format": "mmchat.conversation/1",
      "conversation": {"id", "title", "created_at", "updated_at", "models",
                       "total_cost_usd"},
      "messages": [      # in the order given, normally the chosen path
        {"id", "parent_id", "role", "content", "status", "provider", "model",
         "params", "error",
         "usage": null | {"input_tokens", "cached_input_tokens", "cache_write_tokens",
                          "output_tokens", "reasoning_tokens", "estimated"},
         "ttft_ms", "latency_ms", "tokens_per_s", "cost_usd", "attempts",
         "decision", "created_at", "finished_at",
         "alternatives": null | [message, …]}   # answers only: see below
      ]
    }

An answer's "alternatives" are the other answers to its prompt (a compare's
other models, retries, answers again), each a message of the same shape
without "alternatives": null when they were not exported, [] when it has none.

Times are ISO 8601 in UTC; a null cost means unknown. Every message carries
every field (null where it does not apply). Values under secret-looking names
(api_key, authorization, …) inside params, attempts and decision are replaced
by "[redacted]".
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mmchat import format as fmt
from mmchat.store import ConversationSummary, Store, StoredMessage

FORMAT = "mmchat.conversation/1"
UNTITLED = "Untitled conversation"
_SECRET_NAMES = frozenset(
    {
        "api_key",
        "apikey",
        "key",
        "x_api_key",
        "x_goog_api_key",
        "authorization",
        "proxy_authorization",
        "bearer",
        "token",
        "access_token",
        "secret",
        "client_secret",
        "password",
    }
)


Alternatives = dict[int, list[StoredMessage]]  # answer id → the other answers to its prompt


def alternatives_of(messages: list[StoredMessage], answers: dict[int | None, list[StoredMessage]]) -> Alternatives:
    """For each answer of `messages`, the other answers to its prompt, from `answers` (the
    conversation's answers by the prompt they answer: Store.answers_by_prompt)."""
    return {
        m.id: [a for a in answers.get(m.parent_id, []) if a.id != m.id]
        for m in messages
        if m.role == "assistant"
    }


def to_markdown(
    summary: ConversationSummary, messages: list[StoredMessage], alternatives: Alternatives | None = None
) -> str:
    """The conversation as Markdown; with `alternatives`, each answer's others follow it."""
    lines = [f"# {summary.title or UNTITLED}", ""]
    about = [f"started {_local(summary.created_at)}", f"{len(messages)} messages"]
    if summary.models:
        about.append("models: " + ", ".join(summary.models))
    total = summary.total_cost_usd
    about.append("cost " + ("unknown" if total is None else fmt.cost(total, places=4)))
    lines += ["*" + " · ".join(about) + "*", ""]
    for message in messages:
        lines += ["---", "", _header(message)]
        lines += _body(message)
        others = (alternatives or {}).get(message.id, [])
        for n, other in enumerate(others, 1):
            lines += [f"### Other answer {n} of {len(others)} · {other.model or 'unknown model'}"]
            lines += _body(other)
    return "\n".join(lines)


def _body(message: StoredMessage) -> list[str]:
    """A message's figures line, text and end state, as Markdown lines."""
    lines = []
    meta = _meta(message)
    if meta:
        lines.append(f"*{meta}*")
    lines.append("")
    if message.content:
        lines += [message.content.rstrip("\n"), ""]
    if message.status == "interrupted":
        lines += ["**⚠ interrupted** — the answer stopped before it was finished.", ""]
    elif message.status == "error":
        lines += [f"**✖ error:** {message.error or 'unknown error'}", ""]
    elif message.status == "pending":
        lines += ["**… still streaming when exported**", ""]
    return lines


def to_json(
    summary: ConversationSummary, messages: list[StoredMessage], alternatives: Alternatives | None = None
) -> str:
    """The conversation as JSON (the shape above); with `alternatives`, each answer's others."""
    document = {
        "format": FORMAT,
        "conversation": {
            "id": summary.id,
            "title": summary.title,
            "created_at": _iso(summary.created_at),
            "updated_at": _iso(summary.updated_at),
            "models": list(summary.models),
            "total_cost_usd": summary.total_cost_usd,
        },
        "messages": [_with_alternatives(m, alternatives) for m in messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def conversation_text(
    store: Store, conversation_id: int, form: str, *, alternatives: bool = False
) -> tuple[ConversationSummary, str]:
    """The conversation's summary, and its path as Markdown ('md') or JSON ('json'); with
    `alternatives`, each answer's other answers to its prompt too."""
    summary = store.conversation(conversation_id)
    messages = store.path(conversation_id)
    others = alternatives_of(messages, store.answers_by_prompt(conversation_id)) if alternatives else None
    text = to_markdown(summary, messages, others) if form == "md" else to_json(summary, messages, others)
    return summary, text


def write_private(
    path: Path, text: str, *, mode: int = 0o600, check: Callable[[Path], None] | None = None
) -> None:
    """Writes `text` to `path` as a new file with `mode`, replacing it atomically. `check`
    is given the written temporary file first: what it raises leaves `path` as it was."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if check is not None:
            check(Path(temp))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _with_alternatives(m: StoredMessage, alternatives: Alternatives | None) -> dict[str, Any]:
    data = _message_json(m)
    others = alternatives.get(m.id, []) if alternatives is not None and m.role == "assistant" else None
    data["alternatives"] = None if others is None else [_message_json(o) for o in others]
    return data


def _message_json(m: StoredMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "parent_id": m.parent_id,
        "role": m.role,
        "content": m.content,
        "status": m.status,
        "provider": m.provider,
        "model": m.model,
        "params": _scrub(m.params),
        "error": m.error,
        "usage": None if m.usage is None else asdict(m.usage),
        "ttft_ms": m.ttft_ms,
        "latency_ms": m.latency_ms,
        "tokens_per_s": m.tokens_per_s,
        "cost_usd": m.cost_usd,
        "attempts": _scrub(m.attempts),
        "decision": _scrub(m.decision),
        "created_at": _iso(m.created_at),
        "finished_at": None if m.finished_at is None else _iso(m.finished_at),
    }


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "[redacted]" if _is_secret_name(k) else _scrub(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def _is_secret_name(name: object) -> bool:
    return isinstance(name, str) and name.lower().replace("-", "_") in _SECRET_NAMES


def _header(m: StoredMessage) -> str:
    if m.role != "assistant":
        return f"## {m.role.capitalize()}"
    return f"## Assistant · {m.model}" if m.model else "## Assistant"


def _meta(m: StoredMessage) -> str:
    if m.role != "assistant":
        return ""
    parts = []
    if m.usage is not None or m.cost_usd is not None:
        parts.append(fmt.cost(m.cost_usd, places=4))
    if m.usage is not None:
        approx = "~" if m.usage.estimated else ""
        parts.append(
            f"{approx}{m.usage.total_input:,} in / {approx}{m.usage.total_output:,} out tokens"
        )
    if m.ttft_ms is not None:
        parts.append(f"TTFT {m.ttft_ms:,.0f} ms")
    if m.latency_ms is not None:
        parts.append(f"{m.latency_ms / 1000:.1f} s")
    if m.tokens_per_s is not None:
        parts.append(f"{m.tokens_per_s:.0f} tok/s")
    return " · ".join(parts)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z")
