"""Short human figures shared by the CLI, the TUI and exports."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from mmchat.types import TurnMetrics


def cost(usd: float | None, *, places: int = 2) -> str:
    """'$0.0123'-style: two decimals from a cent on (`places` of them under a dollar), more
    below, and '<$0.000001' for less."""
    if usd is None:
        return "cost unknown"
    if usd == 0:
        return "$0"
    if usd < 0.000001:
        return "<$0.000001"
    if usd < 0.0001:
        return f"${usd:.6f}".rstrip("0")
    if usd < 0.01 or usd < 1 and places > 2:
        return f"${usd:.{max(4, places)}f}"
    return f"${usd:,.2f}"


def counted(n: int, noun: str) -> str:
    """'1 model', '3 models' (a plural that takes an s)."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def duration_ms(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def turn_summary(model: str, metrics: TurnMetrics) -> str:
    """One line: model · latency · TTFT · speed · tokens · cost ('~' marks estimates)."""
    usage = metrics.usage
    approx = "~" if usage.estimated else ""
    parts = [model, duration_ms(metrics.latency_ms), f"TTFT {duration_ms(metrics.ttft_ms)}"]
    if metrics.tokens_per_s is not None:
        parts.append(f"{metrics.tokens_per_s:.0f} tok/s")
    tokens = f"{approx}{usage.total_input:,} in / {approx}{usage.total_output:,} out tokens"
    if usage.cached_input_tokens:
        tokens += f" ({usage.cached_input_tokens:,} cached)"
    parts.append(tokens)
    parts.append(approx + cost(metrics.cost_usd) if metrics.cost_usd is not None else cost(None))
    return " · ".join(parts)


def table(rows: Sequence[Sequence[str]], *, right: Collection[int] = ()) -> list[str]:
    """Rows of cells as lines, each column as wide as its widest cell, two spaces apart: the
    `right` columns (figures) aligned right, the others left; trailing spaces dropped."""
    if not rows:
        return []
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths))).rstrip()
        for row in rows
    ]
