"""Reading composed YAML nodes with their line numbers; every problem is one ConfigError line.

The config and the routing rules are composed (not loaded) so each key keeps
its line. PyYAML is imported when a reader is made, not with this module, so
commands that read no YAML do not pay for it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

PARAM_KEYS = ("temperature", "top_p", "max_tokens", "stop", "seed")  # generation params: a model's, a suite's


class FileError(Exception):
    """One line: '<file>:<line>: <dotted.key>: <what is wrong and how to fix it>'."""

    def __init__(
        self, message: str, *, path: Path | None = None, line: int | None = None, key: str | None = None
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.key = key
        where = None if path is None else (f"{path}:{line}" if line else str(path))
        super().__init__(": ".join(part for part in (where, key, message) if part))


class ConfigError(FileError):
    """A config file (or its routing section) that cannot be used."""


class NodeReader:
    def __init__(self, path: Path | None) -> None:
        import yaml

        self._yaml = yaml
        self._constructor = yaml.constructor.SafeConstructor()
        self.path = path

    def fail(self, node: Any, key: str | None, message: str) -> NoReturn:
        line = node.start_mark.line + 1 if node is not None and hasattr(node, "start_mark") else None
        raise ConfigError(message, path=self.path, line=line, key=key)

    def value(self, node: Any) -> Any:
        """A scalar's Python value; other nodes are returned as they are."""
        if not isinstance(node, self._yaml.ScalarNode):
            return node
        if node.tag == "tag:yaml.org,2002:merge":
            self.fail(node, None, "YAML merge keys (<<) are not supported: write the keys out")
        try:
            return self._constructor.construct_object(node)
        except self._yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or "unreadable value"
            self.fail(node, None, f"cannot read this value ({problem}): remove the tag or quote the text")

    def kind(self, node: Any) -> str:
        if isinstance(node, self._yaml.MappingNode):
            return "a mapping"
        if isinstance(node, self._yaml.SequenceNode):
            return "a list"
        value = self.value(node)
        return "empty" if value is None else f"{type(value).__name__} {value!r}"

    def mapping(self, node: Any, key: str | None, allowed: Sequence[str] | None) -> list[tuple[str, Any, Any]]:
        """(name, key node, value node) of each entry; names outside `allowed` go to `unknown`."""
        if not isinstance(node, self._yaml.MappingNode):
            self.fail(node, key, f"must be a mapping (key: value lines), not {self.kind(node)}")
        seen: set[str] = set()
        items = []
        for knode, vnode in node.value:
            name = self.value(knode)
            dotted = f"{key}.{name}" if key else str(name)
            if not isinstance(name, str) or not name:
                self.fail(knode, key, f"keys must be non-empty text, not {name!r}")
            if name in seen:
                self.fail(knode, dotted, "duplicate key: keep only one")
            seen.add(name)
            if allowed is not None and name not in allowed:
                self.unknown(knode, dotted, name, allowed)
            items.append((name, knode, vnode))
        return items

    def unknown(self, knode: Any, dotted: str, name: str, allowed: Sequence[str]) -> NoReturn:
        self.fail(knode, dotted, f"unknown key; {suggest(name, allowed, 'valid keys are')}")

    def sequence(self, node: Any, key: str) -> list[Any]:
        if not isinstance(node, self._yaml.SequenceNode):
            self.fail(node, key, f"must be a list, not {self.kind(node)}")
        return list(node.value)

    def text(self, node: Any, key: str) -> str:
        """Non-empty text (a number counts as its text)."""
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not str(value).strip():
            self.fail(node, key, f"must be non-empty text, not {self.kind(node)}")
        return str(value).strip()

    def texts(self, node: Any, key: str) -> tuple[str, ...]:
        """One text or a list of texts."""
        if isinstance(node, self._yaml.SequenceNode):
            if not node.value:
                self.fail(node, key, "must not be an empty list")
            return tuple(self.text(item, f"{key}[{i}]") for i, item in enumerate(node.value))
        return (self.text(node, key),)

    def flag(self, node: Any, key: str) -> bool:
        value = self.value(node)
        if not isinstance(value, bool):
            self.fail(node, key, f"must be true or false, not {self.kind(node)}")
        return value

    def positive_int(self, node: Any, key: str) -> int:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(node, key, f"must be a positive whole number, not {self.kind(node)}")
        return value

    def number(self, node: Any, key: str, *, low: float = 0.0, high: float = math.inf, low_open: bool = False) -> float:
        value = self.value(node)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok:
            ok = (value > low if low_open else value >= low) and value <= high
        if not ok:
            bound = "above" if low_open else "at least"
            limit = "" if high == math.inf else f" and at most {high:g}"
            self.fail(node, key, f"must be a number {bound} {low:g}{limit}, not {self.kind(node)}")
        return float(value)

    def text_list(self, node: Any, key: str) -> tuple[str, ...]:
        if not isinstance(node, self._yaml.SequenceNode):
            self.fail(node, key, f"must be a list of text, e.g. [fast, code], not {self.kind(node)}")
        return tuple(self.text(item, f"{key}[{i}]") for i, item in enumerate(node.value))

    def params(self, node: Any, key: str) -> dict[str, Any]:
        """Generation params (PARAM_KEYS), as a model's config or a bench suite gives them."""
        result: dict[str, Any] = {}
        for name, _, vnode in self.mapping(node, key, PARAM_KEYS):
            dotted = f"{key}.{name}"
            if name == "temperature":
                result[name] = self.number(vnode, dotted, high=2.0)
            elif name == "top_p":
                result[name] = self.number(vnode, dotted, high=1.0)
            elif name == "max_tokens":
                result[name] = self.positive_int(vnode, dotted)
            elif name == "seed":
                seed = self.value(vnode)
                if isinstance(seed, bool) or not isinstance(seed, int):
                    self.fail(vnode, dotted, f"must be a whole number, not {self.kind(vnode)}")
                result[name] = seed
            else:  # stop
                is_list = isinstance(vnode, self._yaml.SequenceNode)
                result[name] = list(self.text_list(vnode, dotted)) if is_list else self.text(vnode, dotted)
        return result

    def count(self, node: Any, key: str, low: int = 0, high: int | None = None) -> int:
        value = self.value(node)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        if not ok or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            self.fail(node, key, f"must be a whole number {span}, not {self.kind(node)}")
        return value


def read_text(path: Path) -> str:
    """A YAML file's text; ConfigError (one line, naming the file) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text: save the file as UTF-8", path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read it ({exc.strerror})", path=path) from None


def suggest(name: str, choices: Sequence[str], lead: str) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else f"{lead} {', '.join(choices)}"


def fast_loader() -> Any:
    """PyYAML's safe loader, in C (libyaml) when this PyYAML has it: several times faster."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str, path: Path | None) -> Any:
    """The YAML `text` as a node tree (raises ConfigError on a syntax error)."""
    import yaml

    try:
        return yaml.compose(text, Loader=fast_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(
            f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}",
            path=path, line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {exc}", path=path) from None
