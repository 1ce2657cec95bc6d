"""A small, bounded CSS reader: enough cascade to know the body text's font size and colours.

Only what decides readability is modelled: ``font-size``, ``font`` (its size), ``color``,
``background-color``/``background`` (its colour) and ``display: none``. Selectors are matched on
their last compound (tag, #id, .class); combinators and pseudo-classes are not evaluated, so
a rule for ``.a p`` applies to every ``p`` (a documented approximation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CSS_CHARS = 2_000_000
MAX_RULES = 20_000
VIEWPORT_W, VIEWPORT_H = 375.0, 667.0  # a common phone viewport, for vw/vh units

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_COMPOUND = re.compile(r"^([a-zA-Z][a-zA-Z0-9]*|\*)?((?:[#.][A-Za-z0-9_\-]+)*)$")

NAMED_COLOURS = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "darkgray": (169, 169, 169),
    "darkgrey": (169, 169, 169),
    "dimgray": (105, 105, 105),
    "dimgrey": (105, 105, 105),
    "lightgray": (211, 211, 211),
    "lightgrey": (211, 211, 211),
    "gainsboro": (220, 220, 220),
    "whitesmoke": (245, 245, 245),
    "silver": (192, 192, 192),
    "red": (255, 0, 0),
    "darkred": (139, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "navy": (0, 0, 128),
    "yellow": (255, 255, 0),
    "orange": (255, 165, 0),
    "purple": (128, 0, 128),
    "brown": (165, 42, 42),
    "beige": (245, 245, 220),
    "ivory": (255, 255, 240),
    "snow": (255, 250, 250),
    "linen": (250, 240, 230),
    "aliceblue": (240, 248, 255),
    "ghostwhite": (248, 248, 255),
    "floralwhite": (255, 250, 240),
}

_KEYWORD_SIZES = {
    "xx-small": 9.0,
    "x-small": 10.0,
    "small": 13.0,
    "medium": 16.0,
    "large": 18.0,
    "x-large": 24.0,
    "xx-large": 32.0,
    "xxx-large": 48.0,
}

RGB = tuple[int, int, int]


@dataclass
class Rule:
    tag: str | None
    ids: tuple[str, ...]
    classes: tuple[str, ...]
    specificity: tuple[int, int, int, int]  # important, ids, classes, tags
    order: int
    decls: dict[str, str]


@dataclass
class StyleSheet:
    by_id: dict[str, list[Rule]] = field(default_factory=dict)
    by_class: dict[str, list[Rule]] = field(default_factory=dict)
    by_tag: dict[str, list[Rule]] = field(default_factory=dict)
    universal: list[Rule] = field(default_factory=list)
    count: int = 0

    def matching(self, tag: str, el_id: str | None, classes: list[str]) -> list[Rule]:
        cands: list[Rule] = list(self.universal)
        cands += self.by_tag.get(tag, [])
        if el_id:
            cands += self.by_id.get(el_id, [])
        for c in classes:
            cands += self.by_class.get(c, [])
        out = []
        seen = set()
        for r in cands:
            if id(r) in seen:
                continue
            seen.add(id(r))
            if r.tag and r.tag != tag:
                continue
            if r.ids and (el_id is None or any(i != el_id for i in r.ids)):
                continue
            if r.classes and not all(c in classes for c in r.classes):
                continue
            out.append(r)
        out.sort(key=lambda r: (r.specificity, r.order))
        return out


def parse_declarations(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split(";"):
        if ":" not in part:
            continue
        k, v = part.split(":", 1)
        k = k.strip().lower()
        v = v.strip()
        if k and v:
            out[k] = v
    return out


def parse_stylesheet(css: str, sheet: StyleSheet | None = None) -> StyleSheet:
    sheet = sheet or StyleSheet()
    css = _COMMENT.sub(" ", css[:MAX_CSS_CHARS])
    for m in _RULE.finditer(css):
        if sheet.count >= MAX_RULES:
            break
        selectors, body = m.group(1), m.group(2)
        decls = {
            k: v for k, v in parse_declarations(body).items() if k in _RELEVANT or k == "display"
        }
        if not decls:
            continue
        for sel in selectors.split(","):
            sel = sel.strip()
            if not sel or sel.startswith("@") or ":" in sel or "[" in sel:
                continue
            last = re.split(r"[\s>+~]+", sel)[-1]
            cm = _COMPOUND.match(last)
            if not cm:
                continue
            tag = (cm.group(1) or "").lower() or None
            if tag == "*":
                tag = None
            quals = re.findall(r"([#.])([A-Za-z0-9_\-]+)", cm.group(2) or "")
            ids = tuple(v for k, v in quals if k == "#")
            classes = tuple(v for k, v in quals if k == ".")
            # specificity of the full selector, approximately
            n_ids = sel.count("#")
            n_cls = sel.count(".")
            n_tags = len(re.findall(r"(?:^|[\s>+~])[a-zA-Z]", sel))
            for imp in (False, True):
                part = {
                    k: v.replace("!important", "").strip()
                    for k, v in decls.items()
                    if ("!important" in v) == imp
                }
                if not part:
                    continue
                rule = Rule(tag, ids, classes, (int(imp), n_ids, n_cls, n_tags), sheet.count, part)
                sheet.count += 1
                if ids:
                    sheet.by_id.setdefault(ids[0], []).append(rule)
                elif classes:
                    sheet.by_class.setdefault(classes[0], []).append(rule)
                elif tag:
                    sheet.by_tag.setdefault(tag, []).append(rule)
                else:
                    sheet.universal.append(rule)
    return sheet


_RELEVANT = {"font-size", "font", "color", "background-color", "background", "visibility"}


def parse_colour(value: str, base: RGB = (255, 255, 255)) -> RGB | None:
    """A CSS colour as RGB; alpha is blended over ``base``. None if unknown or transparent."""
    v = value.strip().lower()
    v = v.replace("!important", "").strip()
    m = re.search(r"#([0-9a-f]{3,8})\b", v)
    if m:
        h = m.group(1)
        if len(h) in (3, 4):
            r, g, b = (int(c * 2, 16) for c in h[:3])
            a = int(h[3] * 2, 16) / 255 if len(h) == 4 else 1.0
        elif len(h) in (6, 8):
            r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
            a = int(h[6:8], 16) / 255 if len(h) == 8 else 1.0
        else:
            return None
        return _blend((r, g, b), a, base)
    m = re.search(
        r"rgba?\(\s*([\d.]+)%?\s*[, ]\s*([\d.]+)%?\s*[, ]\s*([\d.]+)%?\s*(?:[,/]\s*([\d.]+)(%?))?\s*\)",
        v,
    )
    if m:
        r, g, b = (min(255, int(float(x))) for x in m.group(1, 2, 3))
        a = 1.0
        if m.group(4):
            a = float(m.group(4)) / (100 if m.group(5) else 1)
        if a <= 0:
            return None
        return _blend((r, g, b), min(a, 1.0), base)
    for word in re.findall(r"[a-z]+", v):
        if word == "transparent":
            return None
        if word in NAMED_COLOURS:
            return NAMED_COLOURS[word]
    return None


def _blend(rgb: RGB, alpha: float, base: RGB) -> RGB:
    if alpha >= 1.0:
        return rgb
    return tuple(round(alpha * c + (1 - alpha) * b) for c, b in zip(rgb, base, strict=True))  # type: ignore[return-value]


def parse_font_size(value: str, parent_px: float, root_px: float) -> float | None:
    v = value.strip().lower()
    if v in _KEYWORD_SIZES:
        return _KEYWORD_SIZES[v]
    if v == "smaller":
        return parent_px / 1.2
    if v == "larger":
        return parent_px * 1.2
    m = re.match(r"^(-?[\d.]+)\s*(px|pt|em|rem|%|vw|vh|vmin|pc|cm|mm|in)?$", v)
    if not m:
        return None
    try:
        n = float(m.group(1))
    except ValueError:
        return None
    unit = m.group(2) or "px"
    factor = {
        "px": 1.0,
        "pt": 4 / 3,
        "pc": 16.0,
        "in": 96.0,
        "cm": 96 / 2.54,
        "mm": 96 / 25.4,
        "em": parent_px,
        "rem": root_px,
        "%": parent_px / 100,
        "vw": VIEWPORT_W / 100,
        "vh": VIEWPORT_H / 100,
        "vmin": min(VIEWPORT_W, VIEWPORT_H) / 100,
    }[unit]
    px = n * factor
    if px <= 0 or px > 1000:
        return None
    return px


def font_size_from_shorthand(value: str, parent_px: float, root_px: float) -> float | None:
    for tok in value.replace("/", " / ").split():
        if tok == "/":
            break
        size = parse_font_size(tok, parent_px, root_px)
        if size is not None and re.match(
            r"^[\d.]+(px|pt|em|rem|%)$|^(x*-?small|medium|x*-?large)$", tok
        ):
            return size
    return None


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2.1 relative luminance."""

    def ch(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)


def contrast_ratio(fg: RGB, bg: RGB) -> float:
    """WCAG 2.1 contrast ratio (L1 + 0.05) / (L2 + 0.05), 1..21."""
    a, b = relative_luminance(fg), relative_luminance(bg)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def hex_colour(rgb: RGB | None) -> str | None:
    if rgb is None:
        return None
    return "#{:02x}{:02x}{:02x}".format(*rgb)
