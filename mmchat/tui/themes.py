"""Themes as data: the bundled YAML files and the user's own in `<config dir>/themes/`.

The bundled files live in the repository's top-level `themes/` folder;
`mmchat/data/themes` links to it, so they are package data in a wheel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.theme import Theme

DEFAULT_THEME = "mmchat-dark"
COLOR_KEYS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "warning", "error", "success")
BUNDLED_DIR = Path(__file__).resolve().parents[1] / "data" / "themes"


class ThemeError(Exception):
    """A theme file cannot be used; the message names the file and what to fix."""


def theme_dirs() -> list[Path]:
    from mmchat.paths import config_dir

    return [BUNDLED_DIR, config_dir() / "themes"]


def load_theme(path: Path) -> Theme:
    import yaml
    from textual.color import Color, ColorParseError

    from mmchat.yaml_nodes import fast_loader
    from textual.theme import Theme

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=fast_loader())
    except (OSError, yaml.YAMLError) as exc:
        raise ThemeError(f"{path}: cannot read the theme ({exc.__class__.__name__}); fix or remove the file") from exc
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or "primary" not in data:
        raise ThemeError(f"{path}: a theme needs at least 'name' and 'primary' (see themes/dark.yaml)")
    unknown = set(data) - {"name", "dark", *COLOR_KEYS}
    if unknown:
        raise ThemeError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; valid keys are name, dark, {', '.join(COLOR_KEYS)}")
    colors = {key: str(data[key]) for key in COLOR_KEYS if data.get(key) is not None}
    for key, value in colors.items():
        try:
            Color.parse(value)
        except ColorParseError:
            raise ThemeError(f"{path}: {key}: '{value}' is not a colour (write it as \"#rrggbb\")") from None
    return Theme(name=data["name"], dark=bool(data.get("dark", True)), **colors)


def load_themes(dirs: list[Path] | None = None) -> tuple[list[Theme], list[str]]:
    """The themes found in `dirs` (later folders win on a name clash) and one line per unusable file."""
    found: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in theme_dirs() if dirs is None else dirs:
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            try:
                theme = load_theme(path)
            except ThemeError as exc:
                problems.append(str(exc))
                continue
            found[theme.name] = theme
    return list(found.values()), problems
