"""Adding routing rules to the user's config file, keeping everything else as written.

The file is edited as text (comments, order and quoting stay), at the place its
composed YAML says: before the first rule of `routing: rules:`, so the new rules
are tried first; a `routing:` section without rules gets a `rules:` list; a
file without a `routing:` section gets one at its end. A section written in
flow style (`routing: {policy: best}`) is not rewritten: the caller is told to
add the rules by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmchat.yaml_nodes import compose


class EditError(ValueError):
    """Why the rules cannot be added to the file automatically (one line)."""


def with_rules(text: str, rules: list[str], path: Path | None = None) -> str:
    """`text` (a config file, read from `path`) with `rules` added first among its routing
    rules. Each rule is one YAML mapping written as a block at indentation 0, its first line
    starting with 'name:' (e.g. "name: x\\nwhen: {intent: code}\\nthen: {use: a/b}").
    ConfigError (file:line) when `text` is not valid YAML."""
    import yaml

    root = compose(text, path) if text.strip() else None
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise EditError("the config's top level is not a mapping")
    key, routing = _entry(root, "routing")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if routing is None:
        return "".join(lines) + "\nrouting:\n" + "".join(_block(rules, 2))
    if isinstance(routing, yaml.ScalarNode) and routing.value in ("", "~", "null"):
        at = key.start_mark.line  # `routing:` with nothing under it: the rules go right after
        return "".join(lines[: at + 1] + _block(rules, 2) + lines[at + 1:])
    if not isinstance(routing, yaml.MappingNode) or routing.flow_style:
        raise EditError("the routing section is written in flow style ({...}): add the rules by hand")
    existing = _entry(routing, "rules")[1]
    indent = routing.value[0][0].start_mark.column
    if existing is None:
        at = routing.value[0][0].start_mark.line  # before the section's first key
        return "".join(lines[:at] + _block(rules, indent) + lines[at:])
    if not isinstance(existing, yaml.SequenceNode) or existing.flow_style:
        raise EditError("routing.rules is not a block list (- name: …): add the rules by hand")
    if not existing.value:
        raise EditError("routing.rules is an empty list: add the rules by hand")
    first = existing.value[0]
    at = first.start_mark.line
    item_indent = _dash_column(lines[at], first.start_mark.column)
    return "".join(lines[:at] + _items(rules, item_indent) + lines[at:])


def _entry(node: Any, key: str) -> tuple[Any, Any]:
    """(key node, value node) of `key` in a mapping node, or (None, None)."""
    if node is None:
        return None, None
    return next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), (None, None))


def _dash_column(line: str, content_column: int) -> int:
    """The column of the '- ' that starts the list item whose content begins at `content_column`."""
    dash = line.rfind("-", 0, content_column)
    return dash if dash >= 0 else content_column


def _block(rules: list[str], indent: int) -> list[str]:
    """A `rules:` key at `indent` with the rules as its list."""
    return [" " * indent + "rules:\n"] + _items(rules, indent + 2)


def _items(rules: list[str], indent: int) -> list[str]:
    """The rules as list items at `indent` ('- ' there, the rest of each rule under it)."""
    out = []
    for rule in rules:
        for n, line in enumerate(rule.strip("\n").splitlines()):
            out.append(" " * indent + ("- " if n == 0 else "  ") + line + "\n")
    return out
