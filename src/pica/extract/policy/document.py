"""The format-neutral document the readers produce: blocks (headings, paragraphs, tables)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Block:
    kind: str  # heading | para | table
    text: str = ""
    level: int = 0  # heading level (1..6), 0 for others
    rows: list[list[str]] | None = None  # table cells


@dataclass
class BodyStyle:
    """The style of the body text, weighted by characters (HTML only)."""

    font_px: float | None = None
    color: tuple[int, int, int] | None = None
    background: tuple[int, int, int] | None = None
    share: float = 0.0  # fraction of visible characters in this style
    font_px_min: float | None = None  # smallest size carrying >= 5% of the characters
    has_css: bool = False


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)
    fmt: str = "text"  # html | pdf | text
    title: str = ""
    style: BodyStyle | None = None
    declared_lang: str = ""
    notes: list[str] = field(default_factory=list)
