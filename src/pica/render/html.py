"""HTML report: one self-contained, printable file with Chinese and English labels.

No external assets and no JavaScript: the CSS is inline, and a Content-Security-Policy meta
tag forbids scripts, so even a mistake in escaping could not run code. Every string that
comes from the report passes through :func:`_e` (``html.escape`` with quotes); the only
links emitted are ``http``/``https`` URLs and in-page anchors built from item ids.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from pica.render._common import (
    REGULATION_EN,
    REGULATION_ZH,
    VERDICT_LABELS,
    VERDICT_ORDER,
    Catalog,
    Row,
    app_version,
    categories,
    confidence_note,
    developer_text,
    hidden_code_lines,
    not_assessed,
    pi_label,
    rows,
    sdk_display_name,
    sdk_id,
    searched_text,
    signer_text,
    text,
    utf8,
    verdict_counts,
)
from pica.report import Report, Verdict

_CSS = """
:root{--fg:#1d2433;--muted:#5b6475;--line:#d8dde6;--bg:#f6f7f9;--card:#fff;
--violation:#b42318;--violation-bg:#fef3f2;--inconclusive:#b54708;--inconclusive-bg:#fffaeb;
--manual:#175cd3;--manual-bg:#eff8ff;--compliant:#067647;--compliant-bg:#ecfdf3;
--not_applicable:#475467;--not_applicable-bg:#f2f4f7;--not_assessed:#6941c6;--not_assessed-bg:#f4f3ff}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.55;font-size:14px;
font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",
"Source Han Sans SC","WenQuanYi Micro Hei",system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 28px 48px;background:var(--card)}
h1{font-size:22px;margin:0 0 2px}
h1 .en{display:block;font-size:15px;font-weight:500;color:var(--muted)}
h2{font-size:17px;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--fg)}
h2 .en,h3 .en{font-weight:500;color:var(--muted);font-size:.85em;margin-left:.4em}
h3{font-size:15px;margin:22px 0 8px}
.reg{color:var(--muted);margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;width:1%;white-space:nowrap}
table.kv th{width:18%}
code,.mono{font-family:"SFMono-Regular",Consolas,"Liberation Mono",Menlo,monospace;
font-size:12.5px;overflow-wrap:anywhere;word-break:break-all}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
white-space:nowrap;border:1px solid currentColor;-webkit-print-color-adjust:exact;
print-color-adjust:exact}
.counts{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 4px;padding:0;list-style:none}
.counts li{flex:1 1 150px;border:1px solid var(--line);border-left-width:5px;border-radius:4px;
padding:6px 10px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.counts .n{font-size:22px;font-weight:700;display:block}
.v-violation{color:var(--violation);background:var(--violation-bg)}
.v-inconclusive{color:var(--inconclusive);background:var(--inconclusive-bg)}
.v-manual{color:var(--manual);background:var(--manual-bg)}
.v-compliant{color:var(--compliant);background:var(--compliant-bg)}
.v-not_applicable{color:var(--not_applicable);background:var(--not_applicable-bg)}
.v-not_assessed{color:var(--not_assessed);background:var(--not_assessed-bg)}
.counts li.v-violation{border-left-color:var(--violation)}
.counts li.v-inconclusive{border-left-color:var(--inconclusive)}
.counts li.v-manual{border-left-color:var(--manual)}
.counts li.v-compliant{border-left-color:var(--compliant)}
.counts li.v-not_applicable{border-left-color:var(--not_applicable)}
td.zero{color:#98a2b3}
.prot-dangerous{color:var(--inconclusive);background:var(--inconclusive-bg)}
.item{border:1px solid var(--line);border-left:5px solid var(--not_applicable);border-radius:4px;
padding:10px 14px;margin:10px 0;break-inside:avoid;page-break-inside:avoid}
.item.b-violation{border-left-color:var(--violation)}
.item.b-inconclusive{border-left-color:var(--inconclusive)}
.item.b-manual{border-left-color:var(--manual)}
.item.b-compliant{border-left-color:var(--compliant)}
.item.b-not_assessed{border-left-color:var(--not_assessed)}
.item header{display:flex;gap:10px;align-items:baseline;justify-content:space-between}
.item .id{font-weight:700;margin-right:6px}
.item .t-zh{font-weight:600}
.item .t-en{color:var(--muted);font-size:13px;margin:2px 0 6px}
.item dl{margin:6px 0 0;display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}
.item dt{font-weight:600;color:var(--muted);white-space:nowrap}
.item dd{margin:0}
.cites{margin:0;padding-left:18px}
.cites>li{margin-bottom:6px}
.cite-meta{color:var(--muted);font-size:12.5px}
ol.path{list-style:none;margin:4px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:2px 0}
ol.path li{font-family:"SFMono-Regular",Consolas,"Liberation Mono",Menlo,monospace;
font-size:12px;background:var(--bg);border:1px solid var(--line);border-radius:3px;
padding:0 5px;overflow-wrap:anywhere}
ol.path li+li::before{content:"\\2192";margin:0 5px 0 -1px;color:var(--muted);
font-family:inherit}
ul.plain{margin:0;padding-left:16px}
.warn{border:1px solid var(--not_assessed);background:var(--not_assessed-bg);padding:8px 12px;
border-radius:4px}
footer{margin-top:36px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);
font-size:12.5px}
a{color:#1849a9}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}
h2{break-after:avoid;page-break-after:avoid}tr{break-inside:avoid}
a[href^="http"]::after{content:" (" attr(href) ")";font-size:9pt;color:var(--muted)}
a[href^="#"]{color:inherit;text-decoration:none}}
@page{size:A4;margin:16mm 14mm}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"


def _e(value: Any) -> str:
    """Escape any report value for HTML text or a quoted attribute."""
    return html.escape(text(value), quote=True)


def _anchor(item_id: str) -> str:
    return "item-" + re.sub(r"[^0-9A-Za-z]", "-", item_id)


def _safe_url(value: Any) -> str | None:
    """The URL if it is a plain http(s) URL that may become a link, else None."""
    url = text(value).strip()
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _link(value: Any) -> str:
    url = _safe_url(value)
    if url is None:
        return f'<span class="mono">{_e(value)}</span>'
    return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(url)}</a>'


def _bi(zh: str, en: str) -> str:
    """A bilingual label (labels are ours, but escape them all the same)."""
    return f'{_e(zh)}<span class="en">{_e(en)}</span>'


def _badge(verdict: Verdict | None) -> str:
    key = verdict.value if verdict is not None else "not_assessed"
    zh, en = VERDICT_LABELS[verdict] if verdict is not None else ("未评估", "Not assessed")
    return f'<span class="badge v-{key}">{_e(zh)} · {_e(en)}</span>'


def _kv_table(pairs: Iterable[tuple[str, str, str]]) -> str:
    """Rows of (label zh, label en, already-escaped value html), skipping empty values."""
    out = ['<table class="kv">']
    for zh, en, value_html in pairs:
        if value_html:
            en_html = f" <span class=muted>{_e(en)}</span>" if en and en != zh else ""
            out.append(f"<tr><th>{_e(zh)}{en_html}</th>")
            out.append(f"<td>{value_html}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _list(values: Iterable[Any], mono: bool = False) -> str:
    items = [v for v in values if text(v)]
    if not items:
        return ""
    cls = ' class="mono"' if mono else ""
    return '<ul class="plain">' + "".join(f"<li{cls}>{_e(v)}</li>" for v in items) + "</ul>"


def _names(entry: Mapping[str, Any]) -> str:
    """ "中文名 / English name (id)" of an app type, escaped."""
    name = " / ".join(x for x in (text(entry.get("name_zh")), text(entry.get("name_en"))) if x)
    return f'{_e(name)} <span class="mono muted">({_e(entry.get("id"))})</span>'


def _cleared(p: Mapping[str, Any]) -> bool:
    """Whether a proposal's confidence reaches its threshold (False if either is not a number)."""
    try:
        return float(p.get("confidence")) >= float(p.get("threshold"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _proposal(report: Report) -> str:
    """The app type proposed without --category: assumed for 4.1 or not, and why."""
    p = report.category_proposal
    if not p:
        return ""
    conf, threshold = text(p.get("confidence")), text(p.get("threshold"))
    if p.get("used"):
        label = _bi("假定类型", "Assumed type")
        detail = (
            f"置信度 confidence {conf} ≥ {threshold}；第4.1项据此判定 item 4.1 judged against it"
        )
    elif _cleared(p):
        label = _bi("未采用", "Not used")
        detail = (
            f"置信度 confidence {conf} ≥ {threshold}，第4.1项未据此判定（无APK或已有核查答案） "
            "item 4.1 not judged against it (no APK, or a checklist answer settled it)"
        )
    else:
        label = _bi("未假定（置信度低于阈值）", "Not assumed: confidence below threshold")
        detail = (
            f"最可能 best guess, 置信度 confidence {conf} < {threshold}；"
            "第4.1项需 --category item 4.1 needs --category"
        )
    signals = [
        f"{text(s.get('text'))} (+{text(s.get('weight'))})"
        for s in p.get("signals") or []
        if isinstance(s, Mapping)
    ]
    out = f"<strong>{label}</strong>: {_names(p)} — {_e(detail)}"
    out += f"<br>{_bi('依据', 'Signals')}:" + _list(signals)
    runner = p.get("runner_up")
    if isinstance(runner, Mapping):
        out += f"{_bi('次选', 'Runner-up')}: {_names(runner)} "
        out += _e(f"置信度 confidence {text(runner.get('confidence'))}")
    return out


def _header(report: Report) -> str:
    app = report.app or {}
    category = report.category or {}
    cat_html = ""
    if category:
        cat_html = _e(
            " / ".join(
                p for p in (text(category.get("name_zh")), text(category.get("name_en"))) if p
            )
            or text(category.get("id"))
        )
        if category.get("id"):
            cat_html += f' <span class="mono muted">({_e(category.get("id"))})</span>'
    pairs = [
        ("应用名称", "App label", _e(app.get("label"))),
        (
            "包名",
            "Package",
            f'<span class="mono">{_e(app.get("package"))}</span>' if app.get("package") else "",
        ),
        ("版本", "Version", _e(app_version(app))),
        (
            "SHA-256",
            "SHA-256",
            f'<span class="mono">{_e(app.get("sha256"))}</span>' if app.get("sha256") else "",
        ),
        ("文件", "File", _e(app.get("file_name"))),
        ("开发者", "Developer (signing certificate)", _e(developer_text(app))),
        ("签名证书", "Signing certificate", _e(signer_text(app))),
        ("应用类型", "App type (2021 provisions)", cat_html),
        ("推定类型", "Proposed app type", _proposal(report)),
    ]
    for zh, en, key in (
        ("最低SDK版本", "minSdkVersion", "min_sdk"),
        ("目标SDK版本", "targetSdkVersion", "target_sdk"),
        ("Application类", "Application class", "application_class"),
    ):
        if app.get(key) not in (None, ""):
            pairs.append((zh, en, f'<span class="mono">{_e(app.get(key))}</span>'))
    pairs += [
        ("生成时间", "Generated", _e(report.generated_at)),
        ("工具版本", "Tool", _e(f"pica {report.tool_version}")),
    ]
    title = text(app.get("label")) or text(app.get("package"))
    return (
        "<header>"
        f"<h1>{_bi('App个人信息收集使用合规检测报告', 'App Personal-Information Compliance Audit Report')}</h1>"
        f'<p class="reg">依据《{_e(REGULATION_ZH)}》（2019） · per the {_e(REGULATION_EN)} (2019)'
        + (f" · <strong>{_e(title)}</strong>" if title else "")
        + "</p>"
        f"{_kv_table(pairs)}</header>"
    )


def _hidden(report: Report) -> str:
    """The hidden-code banner, right under the header (packers, unread payloads)."""
    banner = hidden_code_lines(report)
    if banner is None:
        return ""
    head, lines = banner
    return (
        f'<section class="warn" id="hidden-code"><p><strong>{_e(head)}</strong></p>'
        + _list(lines)
        + "</section>"
    )


def _inputs(report: Report) -> str:
    out = [f"<section><h2>{_bi('检测输入', 'Inputs audited')}</h2>"]
    if not report.inputs:
        out.append('<p class="muted">无 None</p></section>')
        return "".join(out)
    out.append("<table><tr><th>类型 Kind</th><th>名称 Name</th><th>详情 Details</th></tr>")
    for entry in report.inputs:
        name = next(
            (entry[k] for k in ("name", "file_name", "path", "location", "url") if entry.get(k)),
            "",
        )
        details = [
            f"{_e(k)}: {_e(v)}"
            for k, v in entry.items()
            if k not in ("kind",) and v not in (None, "", [], {}) and v != name
        ]
        out.append(
            f"<tr><td>{_e(entry.get('kind'))}</td><td class=mono>{_e(name)}</td>"
            f"<td class=mono>{'<br>'.join(details)}</td></tr>"
        )
    out.append("</table></section>")
    return "".join(out)


def _summary(item_rows: list[Row]) -> str:
    counts = verdict_counts(item_rows)
    out = [f"<section><h2>{_bi('检测结论', 'Summary')}</h2><ul class=counts>"]
    for verdict in VERDICT_ORDER:
        zh, en = VERDICT_LABELS[verdict]
        out.append(
            f'<li class="v-{verdict.value}"><span class=n>{counts[verdict.value]}</span>'
            f"{_e(zh)} {_e(en)}</li>"
        )
    out.append("</ul>")
    missing = not_assessed(item_rows)
    if missing:
        out.append(
            '<p class="warn">未评估的条目 Items without a finding: '
            f'<span class="mono">{_e(", ".join(missing))}</span></p>'
        )
    out.append(f"<h3>{_bi('分类汇总', 'By category')}</h3><table><tr><th>#</th>")
    out.append("<th>类别 Category</th>")
    for verdict in VERDICT_ORDER:
        zh, en = VERDICT_LABELS[verdict]
        out.append(f'<th class="num">{_e(zh)}<br><span class=muted>{_e(en)}</span></th>')
    out.append("</tr>")
    for cat in categories(item_rows):
        c = cat.counts()
        out.append(
            f"<tr><td class=num>{cat.number}</td><td>{_e(cat.title_zh)}<br>"
            f"<span class=muted>{_e(cat.title_en)}</span></td>"
        )
        for verdict in VERDICT_ORDER:
            n = c[verdict.value]
            cls = f"num v-{verdict.value}" if n else "num zero"
            out.append(f'<td class="{cls}">{n}</td>')
        out.append("</tr>")
    out.append("</table>")
    # compact index of all items
    out.append(f"<h3>{_bi('条目一览', 'All items')}</h3><table>")
    out.append("<tr><th>条目 Item</th><th>内容 Text</th><th>判定 Verdict</th></tr>")
    for row in item_rows:
        out.append(
            f'<tr><td class="num"><a href="#{_anchor(row.item.id)}">{_e(row.item.id)}</a></td>'
            f"<td>{_e(row.item.title_zh)}<br><span class=muted>{_e(row.item.title_en)}</span>"
            f"</td><td>{_badge(row.verdict)}</td></tr>"
        )
    out.append("</table></section>")
    return "".join(out)


def _cite(cite: Any) -> str:
    meta = []
    if cite.source:
        meta.append(f"来源 Source: <span class=mono>{_e(cite.source)}</span>")
    if cite.artifact:
        meta.append(f"文件 File: <span class=mono>{_e(cite.artifact)}</span>")
    if cite.logical:
        meta.append(f"位置 Location: <span class=mono>{_e(cite.logical)}</span>")
    out = f"<li><div>{_e(cite.text)}</div>"
    if meta:
        out += f'<div class="cite-meta">{" · ".join(meta)}</div>'
    if cite.path:
        out += (
            '<div class="cite-meta">调用路径 Call path:</div><ol class="path">'
            + "".join(f"<li>{_e(hop)}</li>" for hop in cite.path)
            + "</ol>"
        )
    return out + "</li>"


def _item(row: Row) -> str:
    finding = row.finding
    verdict = row.verdict
    key = verdict.value if verdict is not None else "not_assessed"
    out = [
        f'<article class="item b-{key}" id="{_anchor(row.item.id)}"><header><div>'
        f'<span class="id">{_e(row.item.id)}</span><span class="t-zh">{_e(row.item.title_zh)}'
        f"</span></div>{_badge(verdict)}</header>"
        f'<div class="t-en">{_e(row.item.title_en)}</div><dl>'
    ]
    if finding is None:
        out.append(
            "<dt>理由 Reason</dt><dd>报告中没有该条目的检测结果。 The report has no "
            "finding for this item.</dd>"
        )
    else:
        out.append(f"<dt>理由 Reason</dt><dd>{_e(finding.reason)}</dd>")
        if finding.cites:
            out.append(
                "<dt>证据 Evidence</dt><dd><ol class=cites>"
                + "".join(_cite(c) for c in finding.cites)
                + "</ol></dd>"
            )
        if finding.searched:
            out.append(
                "<dt>已检索 Searched</dt><dd><ul class=cites>"
                + "".join(f"<li>{_e(searched_text(x))}</li>" for x in finding.searched)
                + "</ul></dd>"
            )
        facts = [
            p
            for p in (
                f"证据类型 Evidence kind: {_e(finding.evidence_kind)}"
                if finding.evidence_kind
                else "",
                f"置信度 Confidence: {_e(finding.confidence)}" if finding.confidence else "",
            )
            if p
        ]
        if facts:
            out.append(f"<dt>依据 Basis</dt><dd>{' · '.join(facts)}</dd>")
        if finding.missing:
            out.append(f"<dt>所需证据 Evidence needed</dt><dd>{_list(finding.missing)}</dd>")
    manual = (finding.manual_test if finding else "") or row.item.manual_test
    if manual and (verdict in (Verdict.MANUAL, Verdict.INCONCLUSIVE, None)):
        out.append(f"<dt>人工检测 Manual test</dt><dd>{_e(manual)}</dd>")
    fix = (finding.fix if finding else "") or row.item.fix
    if fix and verdict not in (Verdict.COMPLIANT, Verdict.NOT_APPLICABLE):
        out.append(f"<dt>整改建议 Fix</dt><dd>{_e(fix)}</dd>")
    out.append("</dl></article>")
    return "".join(out)


def _items(item_rows: list[Row]) -> str:
    out = [f"<section><h2>{_bi('逐项检测结果', 'Findings, item by item')}</h2>"]
    for cat in categories(item_rows):
        out.append(
            f"<h3>{_e(cat.number)}. {_e(cat.title_zh)}<span class=en>{_e(cat.title_en)}</span></h3>"
        )
        out.extend(_item(row) for row in cat.rows)
    out.append("</section>")
    return "".join(out)


def _sdks(report: Report) -> str:
    out = [f"<section><h2>{_bi('第三方SDK', 'Third-party SDKs detected')}</h2>"]
    if not report.sdks:
        out.append('<p class="muted">未检测到第三方SDK。 No third-party SDK detected.</p>')
        return "".join(out) + "</section>"
    out.append(
        "<table><tr><th>名称 Name</th><th>厂商 Vendor</th><th>类别 Category</th>"
        "<th>检测依据 Signals</th><th>厂商声明的个人信息 PI (vendor-documented)</th>"
        "<th>代码实际读取 PI reached by its code</th>"
        "<th>隐私政策 Policy</th></tr>"
    )
    for sdk in report.sdks:
        vendor = _e(sdk.get("vendor"))
        if sdk.get("chinese") is True:
            vendor += ' <span class="muted">(中国 CN)</span>'
        catalog_id = sdk_id(sdk)
        name = _e(sdk_display_name(sdk))
        if catalog_id and catalog_id != text(sdk.get("name")):
            name += f'<br><span class="mono muted">{_e(catalog_id)}</span>'
        policy = sdk.get("policy_url")
        out.append(
            f"<tr><td>{name}</td><td>{vendor}</td>"
            f"<td>{_e(sdk.get('category'))}{_e(confidence_note(sdk))}</td>"
            f"<td>{_list(sdk.get('signals') or (), mono=True)}</td>"
            f"<td>{_list(pi_label(p) for p in sdk.get('pi_types') or ())}</td>"
            f"<td>{_list(pi_label(p) for p in sdk.get('reached_pi') or ())}</td>"
            f"<td>{_link(policy) if policy else ''}</td></tr>"
        )
    out.append("</table></section>")
    return "".join(out)


def _pi_by_party(report: Report) -> str:
    out = [f"<section><h2>{_bi('个人信息收集（按主体）', 'PI collection by party')}</h2>"]
    if not report.pi_by_party:
        out.append('<p class="muted">未发现读取个人信息的调用。 No PI-reaching call found.</p>')
        return "".join(out) + "</section>"
    out.append(
        '<p class="muted">“App”为应用自身代码，其余为嵌入的第三方SDK。 '
        "The app's own code is one party; each embedded SDK is another.</p>"
    )
    for party, by_type in report.pi_by_party.items():
        total = sum(len(v) for v in by_type.values())
        out.append(
            f"<h3>{_e(party)} <span class=muted>— {len(by_type)} 类 PI types, "
            f"{total} 处调用 call sites</span></h3>"
        )
        out.append("<table><tr><th>个人信息 PI type</th><th>调用位置 Call sites</th></tr>")
        for pi_type, sites in by_type.items():
            out.append(
                f"<tr><td>{_e(pi_label(pi_type))}</td><td>{_list(sites, mono=True)}</td></tr>"
            )
        out.append("</table>")
    return "".join(out) + "</section>"


def _consistency(report: Report) -> str:
    c = report.consistency
    if not c:
        return ""
    yes, no = "是 yes", "否 NO"
    out = [
        f"<section><h2>{_bi('隐私政策与实际行为对照', 'Policy versus behaviour')}</h2>"
        '<p class="muted">应用（或SDK）可达的每类个人信息与隐私政策的披露逐项对照。 Each PI type '
        "a party reaches, against what the policy discloses for that party.</p>"
        "<table><tr><th>个人信息 PI type</th><th>主体 Party</th><th>行为证据 Behaviour</th>"
        "<th>已披露 Disclosed</th><th>政策原文 Policy text</th></tr>"
    ]
    for row in c["pi"]:
        ref = row["denied_by"] if row["denied_by_policy"] else row["policy_ref"]
        text = ""
        if ref:
            label = "否认收集 Denies: " if row["denied_by_policy"] else ""
            text = f"{label}{ref['text'][:200]} (chars {ref['start']}-{ref['end']})"
        if row["covered_by"]:
            text = f"[{row['covered_by']}] {text}"
        facts = [f"{f['text']} ({f.get('kind', row['reach'])})" for f in row["evidence"][:3]]
        out.append(
            f"<tr><td>{_e(pi_label(row['pi_type']))}</td><td>{_e(row['party_name'])}</td>"
            f"<td>{_list(facts, mono=True)}</td><td>{yes if row['disclosed'] else no}</td>"
            f"<td>{_e(text)}</td></tr>"
        )
    out.append("</table>")
    if c["sdks"]:
        out.append(
            "<table><tr><th>SDK</th><th>已披露 Disclosed</th><th>政策用语 Named as</th>"
            "<th>目的 Purpose</th><th>个人信息 PI listed</th><th>界面前运行 Before UI</th></tr>"
        )
        for s in c["sdks"]:
            out.append(
                f"<tr><td>{_e(s['name'])}</td><td>{yes if s['disclosed'] else no}</td>"
                f"<td>{_e(s['matched'] or '')}</td><td>{yes if s['purpose_stated'] else no}</td>"
                f"<td>{yes if s['pi_listed'] else no}</td><td>{'是 yes' if s['pre_ui'] else ''}</td></tr>"
            )
        out.append("</table>")
    if c["policy_sdks_not_found"]:
        out.append(
            '<p class="muted">政策列出但安装包中未发现的SDK（仅供参考） Listed in the policy, not '
            f"found in the APK (informational): {_e(', '.join(c['policy_sdks_not_found']))}</p>"
        )
    return "".join(out) + "</section>"


def _summary_of(policy: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The policy block without its PI table (rendered as a table of its own)."""
    return {k: v for k, v in policy.items() if k != "pi_table"} if policy else None


def _policy_pi(report: Report) -> str:
    rows = (report.policy or {}).get("pi_table") or []
    if not rows:
        return ""
    out = [
        f"<section><h2>{_bi('隐私政策声明收集的个人信息', 'PI the policy says is collected')}</h2>"
        '<p class="muted">每类个人信息：由谁收集、披露它的原文、其目的出自何处。 Each PI type: who '
        "collects it, the text that discloses it, and where its purpose is stated.</p>"
        "<table><tr><th>个人信息 PI type</th><th>主体 Party</th><th>政策原文 Policy text</th>"
        "<th>目的 Purpose</th></tr>"
    ]
    for r in rows:
        ref, purpose = r.get("disclosed_by") or {}, r.get("purpose") or {}
        where = text(r.get("purpose_from")) or "未说明 none stated"
        said = text(purpose.get("text"))[:160] if purpose and purpose != ref else ""
        out.append(
            f"<tr><td>{_e(pi_label(text(r.get('pi_type'))))}</td><td>{_e(r.get('party'))}</td>"
            f"<td>{_e(text(ref.get('text'))[:200])} (chars {_e(ref.get('start'))}-"
            f"{_e(ref.get('end'))})</td><td>{_e(where)}{': ' + _e(said) if said else ''}</td></tr>"
        )
    return "".join(out) + "</table></section>"


def _present_unreached(report: Report) -> str:
    if not report.present_unreached:
        return ""
    out = [
        f"<section><h2>{_bi('存在但不可达的调用', 'Present but unreached')}</h2>"
        '<p class="muted">这些调用位于安装包中，但应用的任何入口都不会执行到（例如未被调用的库代码），'
        "不计为收集。 These call sites are in the package but no entry point of the app reaches "
        "them (library code nothing calls, as far as static analysis sees); they are not counted "
        "as collection.</p>"
        "<table><tr><th>主体 Party</th><th>个人信息 PI type</th><th>调用位置 Call sites</th></tr>"
    ]
    for party, by_type in report.present_unreached.items():
        for pi_type, sites in by_type.items():
            out.append(
                f"<tr><td>{_e(party)}</td><td>{_e(pi_label(pi_type))}</td>"
                f"<td>{_list(sites, mono=True)}</td></tr>"
            )
    return "".join(out) + "</table></section>"


def _permissions(report: Report) -> str:
    out = [f"<section><h2>{_bi('申请的权限', 'Permissions requested')}</h2>"]
    if not report.permissions:
        out.append('<p class="muted">无 None</p>')
        return "".join(out) + "</section>"
    out.append(
        "<table><tr><th>权限 Permission</th><th>保护级别 Protection</th>"
        "<th>个人信息 PI types</th><th>来源 Source</th></tr>"
    )
    for perm in report.permissions:
        prot = text(perm.get("protection"))
        prot_html = _e(prot)
        if prot == "dangerous":
            prot_html = f'<span class="badge prot-dangerous">{_e(prot)}</span>'
        max_sdk = perm.get("max_sdk")
        extra = f' <span class="muted">(maxSdk {_e(max_sdk)})</span>' if max_sdk else ""
        out.append(
            f"<tr><td class=mono>{_e(perm.get('name'))}{extra}</td><td>{prot_html}</td>"
            f"<td>{_e(', '.join(pi_label(p) for p in perm.get('pi_types') or ()))}</td>"
            f"<td class=mono>{_e(perm.get('source'))}</td></tr>"
        )
    return "".join(out) + "</table></section>"


def _mapping_section(zh: str, en: str, data: Mapping[str, Any] | None) -> str:
    if not data:
        return ""
    pairs = [(text(k), "", _e(v)) for k, v in data.items() if text(v)]
    return f"<section><h2>{_bi(zh, en)}</h2>{_kv_table(pairs)}</section>"


_FOOTER = (
    "<footer>本报告由 pica 自动生成。条目英文为 pica 的工作译文，非官方译本。“待定”表示现有证据不足以判定，"
    "需补充所列证据；“需人工检测”表示须由检测人员按所述方法测试。<br>"
    "Generated automatically by pica. English item texts are pica's working rendering, not an "
    "official translation. “Inconclusive” means the evidence given cannot settle the item (see "
    "“Evidence needed”); “Manual test” means a person must perform the test described.</footer>"
)


def html_body(report: Report, catalog: Catalog | None = None) -> str:
    """The report's sections without the document around them: what ``render_html`` wraps in
    its page, and what a web page embeds (with :data:`REPORT_CSS`) inside its own layout."""
    item_rows = rows(report, catalog)
    parts = [
        _header(report),
        _hidden(report),
        _inputs(report),
        _summary(item_rows),
        _items(item_rows),
        _sdks(report),
        _pi_by_party(report),
        _present_unreached(report),
        _consistency(report),
        _permissions(report),
        _mapping_section("隐私政策", "Privacy policy", _summary_of(report.policy)),
        _policy_pi(report),
        _mapping_section("检测统计", "Audit statistics", report.stats),
        _FOOTER,
    ]
    return "\n".join(parts)


# The report's stylesheet, for pages that embed :func:`html_body`.
REPORT_CSS = _CSS


def render_html(report: Report, catalog: Catalog | None = None) -> bytes:
    app = report.app or {}
    title = text(app.get("label")) or text(app.get("package")) or "App"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="pica">',
        f"<title>{_e(title)} — 个人信息合规检测报告 PI compliance report</title>",
        f"<style>{_CSS}</style></head><body><main>",
        html_body(report, catalog),
        "</main></body></html>\n",
    ]
    return utf8("\n".join(parts))
