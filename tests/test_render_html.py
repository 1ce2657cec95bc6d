"""HTML renderer: one self-contained file, all 31 items, everything from inputs escaped."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from test_render_support import (
    IMG,
    ITEM_IDS,
    JS_URL,
    PATH_3_1,
    SCRIPT,
    VERDICTS,
    build_report,
    catalog,
)

from pica.render import render
from pica.render.html import render_html
from pica.report import Verdict

# every tag the renderer itself writes; anything else would have come from input
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3",
    "p", "span", "strong", "table", "tr", "th", "td", "section", "ul", "ol", "li", "a",
    "article", "div", "dl", "dt", "dd", "br", "footer",
}  # fmt: skip


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        for name, value in attrs:
            if name == "id":
                self.ids.add(value)

    def handle_data(self, data):
        self.text.append(data)


def _parse(html_bytes: bytes) -> _Collector:
    parser = _Collector()
    parser.feed(html_bytes.decode("utf-8"))
    parser.close()
    return parser


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(build_report(), catalog()).decode("utf-8")


@pytest.fixture(scope="module")
def hostile() -> bytes:
    return render(build_report(hostile=True), "html", catalog())


def test_self_contained_and_printable(page):
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page.split("<body>")[0])
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src &#x27;none&#x27;" in page
    assert "PingFang SC" in page and "Noto Sans CJK SC" in page
    assert "@media print" in page


def test_header_identity_and_inputs(page):
    for value in ("com.example.shop", "2.3.1 (231)", "ab" * 32, "示例商城", "shop.apk",
                  "policy.html", "网络购物类"):  # fmt: skip
        assert value in page
    for label in ("包名", "Package", "检测输入", "Inputs audited", "分类汇总", "By category"):
        assert label in page


def test_all_31_items_with_verdicts_and_details(page):
    parsed = _parse(page.encode())
    cat = catalog()
    for item_id in ITEM_IDS:
        assert f"item-{item_id.replace('.', '-')}" in parsed.ids
        assert html.escape(cat[item_id].title_zh) in page
        assert html.escape(cat[item_id].title_en) in page
    badges = re.findall(r'<article class="item b-(\w+)"', page)
    assert len(badges) == 31
    assert sorted(badges) == sorted(v.value for v in VERDICTS.values())
    # the call path as an arrow list, in order
    path_html = re.search(r'<ol class="path">(.*?)</ol>', page).group(1)
    assert re.findall(r"<li>(.*?)</li>", path_html) == list(PATH_3_1)
    # missing evidence for inconclusive, manual test for manual, fix for violations
    item_1_2 = page.split('id="item-1-2"')[1].split("</article>")[0]
    assert "Evidence needed" in item_1_2 and "policy" in item_1_2
    item_6_1 = page.split('id="item-6-1"')[1].split("</article>")[0]
    assert "Manual test" in item_6_1 and "cancel the account" in item_6_1
    item_3_1 = page.split('id="item-3-1"')[1].split("</article>")[0]
    assert "Fix 3.1" in item_3_1 and "IMEI read before any UI" in item_3_1
    assert "classes2.dex@0x1f3a" in item_3_1 and "Confidence" in item_3_1


def test_category_summary_counts(page):
    # category 3 row: 1 violation, 6 inconclusive, 1 manual, 0 compliant, 1 n/a
    title = html.escape(catalog()["3.1"].category_title_en)
    row = page.split(f"{title}</span></td>")[1].split("</tr>")[0]
    assert re.findall(r">(\d+)</td>", row) == ["1", "6", "1", "0", "1"]
    counts = re.findall(r'<li class="v-(\w+)"><span class=n>(\d+)</span>', page)
    assert {k: int(n) for k, n in counts} == {
        v.value: list(VERDICTS.values()).count(v) for v in Verdict
    }


def test_sdks_party_and_permissions(page):
    assert "个推 / Getui Push" in page and "每日互动 Getui" in page
    assert "code: com.igexin" in page and "domain: ulogs.umeng.com" in page
    assert '<a href="https://docs.getui.com/privacy/"' in page
    for party in ("app", "个推 Getui Push", "友盟统计 Umeng Analytics"):
        assert f"<h3>{party} " in page
    assert "com.igexin.b.a.c (classes2.dex@0x1f3a)" in page
    assert "android.permission.READ_PHONE_STATE" in page and "dangerous" in page


def test_everything_from_inputs_is_escaped(hostile):
    page = hostile.decode("utf-8")
    assert SCRIPT not in page and "<script" not in page.lower()
    assert IMG not in page and "<img" not in page.lower()
    assert "<b>bold</b>" not in page
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page, re.I)
    parsed = _parse(hostile)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name == "href":
                assert value.startswith(("#", "https://", "http://")), value
    # the attack text is still shown, as text
    text = "".join(parsed.text)
    assert SCRIPT in text and IMG in text and JS_URL in text
    # SDK policy_url "javascript:..." is shown but not linked
    assert f'<span class="mono">{JS_URL}</span>' in page


def test_escaping_check_can_fail():
    """The parser-based check above does see a raw tag when one slips through."""
    parsed = _parse(b"<p>ok</p><img src=x onerror=alert(1)>")
    assert any(tag not in ALLOWED_TAGS for tag, _ in parsed.tags)


def test_partial_report_marks_items_not_assessed():
    page = render_html(build_report(ids=["3.1"]), catalog()).decode("utf-8")
    assert "Items without a finding" in page
    assert page.count('class="item b-not_assessed"') == 30
    assert "Not assessed" in page


def test_empty_sections_render():
    report = build_report()
    report.sdks, report.pi_by_party, report.permissions, report.inputs = [], {}, [], []
    report.app, report.category, report.policy = None, None, None
    page = render_html(report, catalog()).decode("utf-8")
    assert "No third-party SDK detected" in page and "No PI-reaching call found" in page


class _TableShapes(HTMLParser):
    """Cells per row for every table (rows of th and td alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[int]] = []
        self._open: list[list[int]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._open.append([])
        elif tag == "tr":
            self._open[-1].append(0)
        elif tag in ("td", "th"):
            self._open[-1][-1] += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.tables.append(self._open.pop())


@pytest.mark.parametrize("hostile_input", [False, True])
def test_tables_are_rectangular(hostile_input):
    parser = _TableShapes()
    parser.feed(render_html(build_report(hostile=hostile_input), catalog()).decode("utf-8"))
    assert len(parser.tables) >= 8
    for widths in parser.tables:
        assert len(set(widths)) == 1, widths


def test_a_stored_json_document_renders_the_same_html_and_json():
    """What the web UI shows from a stored report is what ``pica audit -f html`` writes: the
    JSON document turned back into a Report renders byte-identical HTML and JSON (the built
    report with hostile strings, cites, paths and searches, and a real audit with a policy)."""
    from conftest import APKS, FIXTURES

    from pica.audit import audit
    from pica.render import html_body, render_json, report_document, report_from_document

    real = audit(
        APKS / "settings_apk-debug.apk",
        FIXTURES / "policies" / "viodroid" / "C107228073-1.0.0.html",
    )
    for report, cat in ((build_report(hostile=True), catalog()), (real, None)):
        again = report_from_document(report_document(report, cat))
        assert render_html(again, cat) == render_html(report, cat)
        assert render_json(again, cat) == render_json(report, cat)
        assert html_body(again, cat) in render_html(report, cat).decode()
    assert any(f.cites and f.searched for f in real.findings)


def test_a_document_that_is_not_a_report_is_a_render_error():
    from pica.render import RenderError, report_from_document

    with pytest.raises(RenderError, match="not a pica JSON report document"):
        report_from_document({"findings": [{"item_id": "1.1"}]})
