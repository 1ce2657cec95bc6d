"""Markdown renderer: same content as the HTML report, tables intact, input text escaped.

The output is rendered with markdown-it-py (CommonMark + GFM tables, raw HTML *enabled*, as
a permissive viewer would) to check what a reader would really see.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from test_render_support import IMG, ITEM_IDS, MD_ATTACK, PATH_3_1, SCRIPT, build_report, catalog

from pica.render import render
from pica.render.markdown import md, render_markdown


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


@pytest.fixture(scope="module")
def doc() -> str:
    return render_markdown(build_report(), catalog()).decode("utf-8")


def test_all_items_and_sections(doc):
    for item_id in ITEM_IDS:
        assert re.search(rf"^\| {re.escape(item_id)} \| \*\*", doc, re.M), item_id
        assert re.search(rf"^#### {re.escape(item_id)} ", doc, re.M), item_id
    for title in ("检测输入", "分类汇总", "第三方SDK", "PI collection by party", "Permissions"):
        assert title in doc
    assert "com.example.shop" in doc and "ab" * 32 in doc and "2.3.1 (231)" in doc
    # call path as an arrow list, escaped identifiers
    assert " → ".join(md(p) for p in PATH_3_1) in doc
    assert "Evidence needed:** policy, trace" in doc
    assert "cancel the account" in doc
    assert "个推 / Getui Push" in doc and "code: com.igexin" in doc
    assert re.search(r"^\| 个推 Getui Push \| [^|]*imei[^|]* \| com\.igexin", doc, re.M)


def _cells(line: str) -> int:
    """Cells of a raw table row: unescaped pipes, minus the two at the ends."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def test_tables_keep_their_shape():
    for hostile in (False, True):
        text = render_markdown(build_report(hostile=hostile), catalog()).decode("utf-8")
        # raw rows: every row of a table has as many cells as its header
        for block in re.findall(r"(?:^\|.*\n)+", text, re.M):
            widths = {_cells(line) for line in block.splitlines()}
            assert len(widths) == 1, block[:200]
        # and as a viewer renders them
        rendered = _html(text)
        for table in re.findall(r"<table>.*?</table>", rendered, re.S):
            head = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
            for row in re.findall(r"<tbody>.*?</tbody>", table, re.S)[0].split("</tr>")[:-1]:
                assert len(re.findall(r"<td[ >]", row)) == head


def test_input_text_is_escaped():
    text = render(build_report(hostile=True), "md", catalog()).decode("utf-8")
    assert SCRIPT not in text and IMG not in text
    rendered = _html(text)
    assert "<script" not in rendered and "<img" not in rendered and "<b>bold" not in rendered
    assert "<a " not in rendered and "<code>" not in rendered and "<em>em" not in rendered
    # and still readable as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "[x](javascript:alert(1))" in rendered


def test_md_escape_function():
    assert md("a|b") == "a\\|b"
    assert md("`x`") == "\\`x\\`"
    assert md("<b>&") == "&lt;b&gt;&amp;"
    assert md("line1\nline2") == "line1 line2"
    assert md(None) == ""
    rendered = _html(f"| h |\n|---|\n| {md(MD_ATTACK)} |\n")
    assert rendered.count("<td>") == 1 and "<a " not in rendered


def test_unescaped_input_would_be_caught():
    """Without escaping, the checks above fail: the attack strings are live in Markdown."""
    cell = _html(f"| h |\n|---|\n| {MD_ATTACK} |\n")
    assert "javascript" not in cell  # the unescaped pipe cut the cell short
    inline = _html(f"{MD_ATTACK} {SCRIPT}\n")
    assert "<script>" in inline and "<code>" in inline and "<b>bold" in inline
