"""HTML policy pages -> blocks, with the CSS that applies to the body text.

Scripts, styles, frames, objects, forms and navigation are dropped; nothing from the input is
executed or fetched (no network, no entities from outside, no external stylesheets).
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree
from lxml import html as lxml_html

from pica.errors import InputError
from pica.extract.policy.css import (
    StyleSheet,
    font_size_from_shorthand,
    parse_colour,
    parse_declarations,
    parse_font_size,
    parse_stylesheet,
)
from pica.extract.policy.document import Block, BodyStyle, Document
from pica.extract.policy.lexicon import compile_cached

MAX_DEPTH = 512
MAX_ELEMENTS = 2_000_000
MAX_TABLE_ROWS = 5000
MAX_TABLE_COLS = 50

_DROP = {
    "script",
    "style",
    "noscript",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "template",
    "svg",
    "math",
    "canvas",
    "video",
    "audio",
    "select",
    "button",
    "input",
    "textarea",
    "nav",
    "head",
    "link",
    "meta",
    "base",
}
_BLOCK = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "body",
    "header",
    "footer",
    "aside",
    "form",
    "fieldset",
    "address",
    "figure",
    "figcaption",
    "hr",
    "br",
    "center",
    "caption",
    "details",
    "summary",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
}
_BOILER = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|breadcrumb|sidebar|cookie-banner|site-footer|site-header|toolbar)($|[\s_-])",
    re.I,
)
# Whitespace with a line break between two CJK characters. One branch per first character (the
# lookbehind re-checks the CJK character before it), so that ``re`` scans for the first
# character in C instead of trying the lookbehind at every position.
_CJK = r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]"
_CJK_GAP = compile_cached(
    rf" (?<={_CJK} )[ \t]*\r?\n\s*(?={_CJK})"
    rf"|\t(?<={_CJK}\t)[ \t]*\r?\n\s*(?={_CJK})"
    rf"|\r(?<={_CJK}\r)\n\s*(?={_CJK})"
    rf"|\n(?<={_CJK}\n)\s*(?={_CJK})"
)


def _clean(text: str) -> str:
    """Collapse HTML whitespace; a source line break between two CJK characters is not a space.

    HTML whitespace is ``str.isspace`` plus U+200B (tests/test_policy_clean.py checks that the
    regex class this replaced is exactly that), and ``str.split`` cuts at ``str.isspace`` runs
    in C, far faster than the character-class regex.
    """
    # every _CJK_GAP branch contains a line feed; all-whitespace text comes out empty either way
    if "\n" in text and not text.isspace():
        text = _CJK_GAP.sub("", text)
    if "\u200b" in text:
        text = text.replace("\u200b", " ")
    return " ".join(text.split())


# A style stack entry: (font_px, color, background, hidden, key); ``key`` is the
# (rounded size, color, background) that body-text characters are weighted under.
Style = tuple[float, tuple | None, tuple | None, bool, tuple]
_ROOT_STYLE: Style = (16.0, (0, 0, 0), (255, 255, 255), False, (16.0, (0, 0, 0), (255, 255, 255)))
# Computed styles remembered per document; real pages repeat a few (tag, class, parent style)
# combinations thousands of times. Past this many distinct keys, styles are just computed.
MAX_STYLE_CACHE = 4096


def parse_html(text: str) -> Document:
    if "\x00" in text:
        text = text.replace("\x00", "")
    # lxml.html's parser builds the same tree, but looks up a Python element class for every
    # element; the plain etree parser does not, and only element methods are used here.
    parser = etree.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, huge_tree=False, recover=True
    )
    try:
        root = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        if not text.strip():
            return Document(fmt="html")
        raise InputError(f"HTML cannot be parsed: {str(exc).splitlines()[0][:120]}") from None
    if root is None:
        return Document(fmt="html")

    doc = Document(fmt="html")
    title_el = root.find(".//title")
    if title_el is not None and title_el.text:
        doc.title = _clean(title_el.text)[:300]
    doc.declared_lang = (root.get("lang") or "").strip()[:20]

    sheet = StyleSheet()
    for st in root.iter("style"):
        css = st.text or ""
        if css:
            parse_stylesheet(css, sheet)
    doc.style = BodyStyle(has_css=sheet.count > 0)
    weights = _walk(root, sheet, doc.blocks)
    _body_style(doc.style, weights)
    return doc


def _walk(root, sheet: StyleSheet, blocks: list[Block]) -> Counter:
    """Append the blocks under ``root``; return visible characters counted per style key."""
    # a plain dict keeps first-seen order, which breaks ties in _body_style as Counter would
    weights: dict[tuple, int] = {}
    buf: list[str] = []
    buf_level = 0

    def flush() -> None:
        nonlocal buf_level
        if not buf:
            return
        t = _clean("".join(buf))
        buf.clear()
        if t:
            blocks.append(Block("heading" if buf_level else "para", t, buf_level))
        buf_level = 0

    def take(text: str | None, style: Style) -> None:
        """Buffer the text if its style shows it, and weigh its characters under that style."""
        if text and not style[3]:
            buf.append(text)
            n = len(text.strip())
            if n:
                weights[style[4]] = weights.get(style[4], 0) + n

    root_px = 16.0
    stack: list[Style] = [_ROOT_STYLE]
    cache: dict[tuple, Style] = {}
    count = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        tag = tag.lower() if isinstance(tag, str) else ""
        if event == "start":
            count += 1
            if count > MAX_ELEMENTS:
                raise InputError(f"HTML has more than {MAX_ELEMENTS} elements")
            if len(stack) > MAX_DEPTH:
                raise InputError(f"HTML is nested more than {MAX_DEPTH} levels deep")
            if not tag or tag in _DROP:
                walker.skip_subtree()
                # an "end" event still follows for this element; mark it so
                stack.append(stack[-1])
                continue
            el_id = el.get("id")
            el_cls = el.get("class")
            if _is_boilerplate(el, tag, el_cls, el_id):
                walker.skip_subtree()
                stack.append(stack[-1])
                continue
            style = _style(el, tag, el_id, el_cls, sheet, stack[-1], root_px, cache)
            if tag == "html":
                root_px = style[0]
            stack.append(style)
            if tag in _BLOCK:
                flush()
                if tag[0] == "h" and len(tag) == 2 and tag[1].isdigit():
                    buf_level = int(tag[1])
            if tag == "table":
                flush()
                rows = _table_rows(el)
                if rows:
                    blocks.append(Block("table", "", 0, rows))
                    n = sum(len(c) for r in rows for c in r)
                    if not style[3]:
                        weights[style[4]] = weights.get(style[4], 0) + n
                walker.skip_subtree()
                continue
            take(el.text, style)
        else:  # end
            if len(stack) > 1:
                stack.pop()
            if tag in _BLOCK:
                flush()
            take(el.tail, stack[-1])  # the tail belongs to the parent
    flush()
    return Counter(weights)


def _is_boilerplate(el, tag: str, el_cls: str | None, el_id: str | None) -> bool:
    if tag in ("header", "footer", "aside"):
        # drop only small page chrome, never a wrapper that carries the policy
        return _short(el)
    if el_cls or el_id:
        cls = (el_cls or "") + " " + (el_id or "")
        if cls.strip() and _BOILER.search(cls):
            return _short(el)
    role = el.get("role")
    return bool(role) and role.lower() in ("navigation", "banner", "contentinfo")


def _style(
    el, tag: str, el_id, el_cls, sheet: StyleSheet, parent: Style, root_px: float, cache: dict
) -> Style:
    """``_computed`` plus the weight key, remembered for everything the result depends on."""
    inline = el.get("style")
    hidden_attr = el.get("hidden") is not None
    font_attrs = (el.get("size"), el.get("color")) if tag == "font" else None
    key = (tag, el_id, el_cls, inline, hidden_attr, font_attrs, parent, root_px)
    style = cache.get(key)
    if style is None:
        font_px, color, bg, hidden = _computed(el, tag, sheet, parent[:4], root_px)
        style = (font_px, color, bg, hidden, (round(font_px, 1), color, bg))
        if len(cache) < MAX_STYLE_CACHE:
            cache[key] = style
    return style


def _short(el, limit: int = 1500) -> bool:
    n = 0
    for t in el.itertext():
        n += len(t.strip())
        if n >= limit:
            return False
    return True


def _computed(el, tag, sheet: StyleSheet, parent: tuple, root_px: float) -> tuple:
    font_px, color, bg, hidden = parent
    decls: dict[str, str] = {}
    el_id = el.get("id")
    classes = (el.get("class") or "").split()
    for rule in sheet.matching(tag, el_id, classes):
        decls.update(rule.decls)
    inline = el.get("style")
    if inline:
        decls.update(parse_declarations(inline[:5000]))
    # legacy presentational attributes
    if tag == "font":
        size = el.get("size")
        if size and size.strip().lstrip("+-").isdigit():
            n = int(size.strip().lstrip("+-"))
            font_px = {1: 10.0, 2: 13.0, 3: 16.0, 4: 18.0, 5: 24.0, 6: 32.0, 7: 48.0}.get(
                n, font_px
            )
        if el.get("color"):
            c = parse_colour(el.get("color"), bg or (255, 255, 255))
            color = c or color
    if tag in ("small",) and "font-size" not in decls:
        font_px = font_px / 1.2
    if tag[:1] == "h" and tag[1:].isdigit() and "font-size" not in decls and "font" not in decls:
        font_px = {1: 32.0, 2: 24.0, 3: 18.7, 4: 16.0, 5: 13.3, 6: 10.7}.get(int(tag[1:]), font_px)
    if "font-size" in decls:
        size = parse_font_size(decls["font-size"], font_px, root_px)
        if size:
            font_px = size
    elif "font" in decls:
        size = font_size_from_shorthand(decls["font"], font_px, root_px)
        if size:
            font_px = size
    base = bg or (255, 255, 255)
    for prop in ("background", "background-color"):
        if prop in decls:
            c = parse_colour(decls[prop], base)
            if c is not None:
                bg = c
    if "color" in decls:
        c = parse_colour(decls["color"], bg or (255, 255, 255))
        if c is not None:
            color = c
    disp = decls.get("display", "").lower()
    vis = decls.get("visibility", "").lower()
    if "none" in disp or "hidden" in vis or el.get("hidden") is not None:
        hidden = True
    return (font_px, color, bg, hidden)


def _table_rows(table) -> list[list[str]]:
    rows: list[list[str]] = []
    for tr in table.iter("tr"):
        cells = []
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            parts = []
            for t in cell.itertext():
                parts.append(t)
                if sum(len(p) for p in parts) > 5000:
                    break
            cells.append(_clean(" ".join(parts)))
            if len(cells) >= MAX_TABLE_COLS:
                break
        if any(cells):
            rows.append(cells)
        if len(rows) >= MAX_TABLE_ROWS:
            break
    return rows


def _body_style(style: BodyStyle, weights: Counter) -> None:
    total = sum(weights.values())
    if not total:
        return
    (font, color, bg), n = weights.most_common(1)[0]
    style.font_px = font
    style.color = color
    style.background = bg
    style.share = n / total
    by_size: Counter[float] = Counter()
    for (f, _c, _b), k in weights.items():
        by_size[f] += k
    sizes = [f for f, k in by_size.items() if k / total >= 0.05]
    style.font_px_min = min(sizes) if sizes else font
