"""Markdown report (GitHub-flavoured): the HTML report's content as compact tables.

Every string from the report goes through :func:`md` before it is written: Markdown
punctuation is backslash-escaped (so no input can open a link, image, code span or emphasis,
or break out of a table cell with ``|``), ``<``/``>``/``&`` become entities (so no raw HTML
reaches a renderer that allows it), and line breaks become spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pica.render._common import (
    REGULATION_EN,
    REGULATION_ZH,
    VERDICT_LABELS,
    VERDICT_ORDER,
    Catalog,
    RenderError,
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
    searched_text,
    signer_text,
    text,
    utf8,
    verdict_counts,
    verdict_label,
)
from pica.report import Report, Verdict

# Inline-significant characters. Block syntax (#, -, 1.) cannot arise: input text never
# starts a line. Links need "[", autolinks "<", and both are neutralised.
_PUNCT = re.compile(r"([\\`*_\[\]|~])")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")


def md(value: Any) -> str:
    """Escape any report value for Markdown inline text or a table cell."""
    s = _NEWLINES.sub(" ", text(value))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PUNCT.sub(r"\\\1", s)


def _table(header: Iterable[str], body: Iterable[Iterable[str]]) -> list[str]:
    """A table from cells that are already escaped."""
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in body:
        row = list(row)
        if len(row) != len(header):  # a renderer bug, never an input problem
            raise RenderError(f"markdown table row has {len(row)} cells, header {len(header)}")
        lines.append("| " + " | ".join(row) + " |")
    return lines + [""]


def _join(values: Iterable[Any]) -> str:
    return "<br>".join(md(v) for v in values if text(v))


def _badge(verdict: Verdict | None) -> str:
    return f"**{md(verdict_label(verdict))}**"


def _cite_row(index: int, cite: Any) -> list[str]:
    where = " · ".join(md(v) for v in (cite.artifact, cite.logical) if v)
    path = " → ".join(md(hop) for hop in cite.path)
    return [str(index), md(cite.text), md(cite.source), where, path]


def _item(row: Row) -> list[str]:
    finding = row.finding
    verdict = row.verdict
    lines = [
        f"#### {md(row.item.id)} {md(row.item.title_zh)} — {_badge(verdict)}",
        "",
        f"*{md(row.item.title_en)}*",
        "",
    ]
    if finding is None:
        lines += ["- **理由 Reason:** 报告中没有该条目的检测结果。 No finding for this item.", ""]
        return lines
    lines.append(f"- **理由 Reason:** {md(finding.reason)}")
    basis = [
        p
        for p in (
            f"证据类型 Evidence kind: {md(finding.evidence_kind)}" if finding.evidence_kind else "",
            f"置信度 Confidence: {md(finding.confidence)}" if finding.confidence else "",
        )
        if p
    ]
    if basis:
        lines.append(f"- **依据 Basis:** {' · '.join(basis)}")
    for searched in finding.searched:
        lines.append(f"- **已检索 Searched:** {md(searched_text(searched))}")
    if finding.missing:
        lines.append(f"- **所需证据 Evidence needed:** {', '.join(md(m) for m in finding.missing)}")
    manual = finding.manual_test or row.item.manual_test
    if manual and verdict in (Verdict.MANUAL, Verdict.INCONCLUSIVE):
        lines.append(f"- **人工检测 Manual test:** {md(manual)}")
    fix = finding.fix or row.item.fix
    if fix and verdict not in (Verdict.COMPLIANT, Verdict.NOT_APPLICABLE):
        lines.append(f"- **整改建议 Fix:** {md(fix)}")
    lines.append("")
    if finding.cites:
        lines += _table(
            ["#", "证据 Evidence", "来源 Source", "位置 Location", "调用路径 Call path"],
            (_cite_row(i, c) for i, c in enumerate(finding.cites, 1)),
        )
    return lines


def _kv(pairs: Iterable[tuple[str, Any]]) -> list[str]:
    body = [[label, md(value)] for label, value in pairs if text(value)]
    return _table(["项目 Field", "值 Value"], body) if body else []


def _mapping(title: str, data: Mapping[str, Any] | None) -> list[str]:
    if not data:
        return []
    return [f"## {title}", ""] + _kv((md(k), v) for k, v in data.items())


def _type_name(entry: Mapping[str, Any]) -> str:
    name = " / ".join(x for x in (text(entry.get("name_zh")), text(entry.get("name_en"))) if x)
    return f"{name} ({text(entry.get('id'))})"


def _cleared(p: Mapping[str, Any]) -> bool:
    """Whether a proposal's confidence reaches its threshold (False if either is not a number)."""
    try:
        return float(p.get("confidence")) >= float(p.get("threshold"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _proposal(report: Report) -> str:
    """The app type proposed without --category, in one line: assumed for 4.1 or not, and why
    (plain text; the caller escapes it)."""
    p = report.category_proposal
    if not p:
        return ""
    conf, threshold = text(p.get("confidence")), text(p.get("threshold"))
    if p.get("used"):
        head = (
            f"假定类型 Assumed type: {_type_name(p)} (置信度 confidence {conf} ≥ {threshold}；"
            "第4.1项据此判定 item 4.1 judged against it)"
        )
    elif _cleared(p):
        head = (
            f"未采用 Not used: {_type_name(p)} (置信度 confidence {conf} ≥ {threshold}，"
            "第4.1项未据此判定 item 4.1 not judged against it: no APK, or a checklist answer)"
        )
    else:
        head = (
            "未假定 Not assumed: confidence below threshold — 最可能 best guess "
            f"{_type_name(p)} (置信度 confidence {conf} < {threshold}；"
            "第4.1项需 --category item 4.1 needs --category)"
        )
    signals = "; ".join(
        f"{text(s.get('text'))} (+{text(s.get('weight'))})"
        for s in p.get("signals") or []
        if isinstance(s, Mapping)
    )
    out = f"{head}; 依据 signals: {signals or '—'}"
    runner = p.get("runner_up")
    if isinstance(runner, Mapping):
        out += f"; 次选 runner-up: {_type_name(runner)} {text(runner.get('confidence'))}"
    return out


def render_markdown(report: Report, catalog: Catalog | None = None) -> bytes:
    item_rows = rows(report, catalog)
    app = report.app or {}
    category = report.category or {}
    cat_name = " / ".join(
        p for p in (text(category.get("name_zh")), text(category.get("name_en"))) if p
    ) or text(category.get("id"))
    lines = [
        "# App个人信息收集使用合规检测报告 · App Personal-Information Compliance Audit Report",
        "",
        f"依据《{REGULATION_ZH}》（2019） · per the {REGULATION_EN} (2019)",
        "",
        *_kv(
            [
                ("应用名称 App label", app.get("label")),
                ("包名 Package", app.get("package")),
                ("版本 Version", app_version(app)),
                ("SHA-256", app.get("sha256")),
                ("文件 File", app.get("file_name")),
                ("开发者 Developer (signing certificate)", developer_text(app)),
                ("签名证书 Signing certificate", signer_text(app)),
                ("应用类型 App type", cat_name),
                ("推定类型 Proposed app type", _proposal(report)),
                ("生成时间 Generated", report.generated_at),
                ("工具 Tool", f"pica {report.tool_version}"),
            ]
        ),
    ]
    banner = hidden_code_lines(report)
    if banner is not None:
        lines += [f"> **{md(banner[0])}**", ">"]
        lines += [f"> - {md(line)}" for line in banner[1]]
        lines += [""]
    lines += [
        "## 检测输入 Inputs audited",
        "",
    ]
    if report.inputs:
        lines += _table(
            ["类型 Kind", "详情 Details"],
            (
                [
                    md(entry.get("kind")),
                    "<br>".join(
                        f"{md(k)}: {md(v)}" for k, v in entry.items() if k != "kind" and text(v)
                    ),
                ]
                for entry in report.inputs
            ),
        )
    else:
        lines += ["无 None", ""]

    counts = verdict_counts(item_rows)
    lines += ["## 检测结论 Summary", ""]
    lines += _table(
        [f"{zh} {en}" for zh, en in (VERDICT_LABELS[v] for v in VERDICT_ORDER)],
        [[str(counts[v.value]) for v in VERDICT_ORDER]],
    )
    missing = not_assessed(item_rows)
    if missing:
        lines += [f"> 未评估的条目 Items without a finding: {md(', '.join(missing))}", ""]
    lines += ["### 分类汇总 By category", ""]
    lines += _table(
        ["#", "类别 Category"] + [VERDICT_LABELS[v][1] for v in VERDICT_ORDER],
        (
            [str(cat.number), f"{md(cat.title_zh)}<br>{md(cat.title_en)}"]
            + [str(cat.counts()[v.value]) for v in VERDICT_ORDER]
            for cat in categories(item_rows)
        ),
    )
    lines += ["### 条目一览 All items", ""]
    lines += _table(
        ["条目 Item", "判定 Verdict", "内容 Text", "理由 Reason"],
        (
            [
                md(row.item.id),
                _badge(row.verdict),
                md(row.item.title_zh),
                md(row.finding.reason) if row.finding else "",
            ]
            for row in item_rows
        ),
    )

    lines += ["## 逐项检测结果 Findings, item by item", ""]
    for cat in categories(item_rows):
        lines += [f"### {cat.number} {md(cat.title_zh)} · {md(cat.title_en)}", ""]
        for row in cat.rows:
            lines += _item(row)

    lines += ["## 第三方SDK Third-party SDKs detected", ""]
    if report.sdks:
        lines += _table(
            [
                "名称 Name",
                "厂商 Vendor",
                "类别 Category",
                "检测依据 Signals",
                "厂商声明的个人信息 PI (vendor-documented)",
                "代码实际读取 PI reached",
                "隐私政策 Policy",
            ],
            (
                [
                    md(sdk_display_name(sdk)),
                    md(sdk.get("vendor")) + (" (CN)" if sdk.get("chinese") is True else ""),
                    md(sdk.get("category")) + md(confidence_note(sdk)),
                    _join(sdk.get("signals") or ()),
                    _join(pi_label(p) for p in sdk.get("pi_types") or ()),
                    _join(pi_label(p) for p in sdk.get("reached_pi") or ()),
                    md(sdk.get("policy_url")),
                ]
                for sdk in report.sdks
            ),
        )
    else:
        lines += ["未检测到第三方SDK。 No third-party SDK detected.", ""]

    if report.consistency:
        c = report.consistency
        lines += ["## 隐私政策与实际行为对照 Policy versus behaviour", ""]
        lines += _table(
            [
                "个人信息 PI type",
                "主体 Party",
                "行为证据 Behaviour",
                "已披露 Disclosed",
                "政策原文 Policy text",
            ],
            (
                [
                    md(pi_label(r["pi_type"])),
                    md(r["party_name"]),
                    _join(
                        [f"{f['text']} ({f.get('kind', r['reach'])})" for f in r["evidence"][:3]]
                    ),
                    "denied" if r["denied_by_policy"] else ("yes" if r["disclosed"] else "**no**"),
                    md(((r["denied_by"] or r["policy_ref"]) or {}).get("text", "")[:160]),
                ]
                for r in c["pi"]
            ),
        )
        if c["sdks"]:
            lines += _table(
                ["SDK", "已披露 Disclosed", "政策用语 Named as", "界面前运行 Before UI"],
                (
                    [
                        md(s["name"]),
                        "yes" if s["disclosed"] else "**no**",
                        md(s["matched"] or ""),
                        "yes" if s["pre_ui"] else "",
                    ]
                    for s in c["sdks"]
                ),
            )

    lines += ["## 个人信息收集（按主体） PI collection by party", ""]
    if report.pi_by_party:
        lines += _table(
            ["主体 Party", "个人信息 PI type", "调用位置 Call sites"],
            (
                [md(party), md(pi_label(pi_type)), _join(sites)]
                for party, by_type in report.pi_by_party.items()
                for pi_type, sites in by_type.items()
            ),
        )
    else:
        lines += ["未发现读取个人信息的调用。 No PI-reaching call found.", ""]

    if report.present_unreached:
        lines += [
            "## 存在但不可达的调用 Present but unreached",
            "",
            "No entry point of the app reaches these call sites; they are not counted as collection.",
            "",
        ]
        lines += _table(
            ["主体 Party", "个人信息 PI type", "调用位置 Call sites"],
            (
                [md(party), md(pi_label(pi_type)), _join(sites)]
                for party, by_type in report.present_unreached.items()
                for pi_type, sites in by_type.items()
            ),
        )

    lines += ["## 申请的权限 Permissions requested", ""]
    if report.permissions:
        lines += _table(
            ["权限 Permission", "保护级别 Protection", "个人信息 PI types", "来源 Source"],
            (
                [
                    md(p.get("name")),
                    md(p.get("protection")),
                    _join(pi_label(t) for t in p.get("pi_types") or ()),
                    md(p.get("source")),
                ]
                for p in report.permissions
            ),
        )
    else:
        lines += ["无 None", ""]
    policy = dict(report.policy or {})
    pi_rows = policy.pop("pi_table", None) or []
    lines += _mapping("隐私政策 Privacy policy", policy)
    if pi_rows:
        lines += ["### 隐私政策声明收集的个人信息 PI the policy says is collected", ""]
        lines += _table(
            ["个人信息 PI type", "主体 Party", "政策原文 Policy text", "目的 Purpose"],
            (
                [
                    md(pi_label(text(r.get("pi_type")))),
                    md(r.get("party")),
                    md(text((r.get("disclosed_by") or {}).get("text"))[:160]),
                    md(text(r.get("purpose_from")) or "未说明 none stated"),
                ]
                for r in pi_rows
            ),
        )
    lines += _mapping("检测统计 Audit statistics", report.stats)
    lines += [
        "---",
        "",
        "本报告由 pica 自动生成；条目英文为工作译文，非官方译本。 Generated by pica; English item "
        "texts are a working rendering, not an official translation.",
        "",
    ]
    return utf8("\n".join(lines))
