"""Reading back what was stored as JSON (a decision on each answer), whichever version wrote it.

A field that is missing, null or of another type gives its default: an older version did not
write it, a newer one wrote something else, or the row was edited by hand. Nothing here raises.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


class Fields:
    """The fields of one stored JSON object, each read as one type or its default."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        return value if isinstance(value, str) else default

    def optional_text(self, key: str) -> str | None:
        """A string, or None when it is missing, empty or not a string."""
        value = self.data.get(key)
        return value if isinstance(value, str) and value else None

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of strings (items of other types are left out)."""
        value = self.data.get(key)
        if not isinstance(value, (list, tuple)):
            return ()
        return tuple(item for item in value if isinstance(item, str))

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        return value if isinstance(value, bool) else default

    def integer(self, key: str, default: int = 0) -> int:
        value = self.data.get(key)
        return int(value) if _is_number(value) else default

    def number(self, key: str, default: float = 0.0) -> float:
        value = self.data.get(key)
        return float(value) if _is_number(value) else default

    def optional_number(self, key: str) -> float | None:
        value = self.data.get(key)
        return float(value) if _is_number(value) else None

    def object(self, key: str) -> Fields:
        """A nested object (an empty one when it is missing or not an object)."""
        value = self.data.get(key)
        return Fields(value if isinstance(value, Mapping) else {})

    def objects(self, key: str) -> list[Fields]:
        """A list of objects (items that are not objects are left out)."""
        value = self.data.get(key)
        if not isinstance(value, (list, tuple)):
            return []
        return [Fields(item) for item in value if isinstance(item, Mapping)]


def _is_number(value: object) -> bool:
    # A bool is an int to Python but not a number in JSON; NaN and infinities are no stored figure.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
