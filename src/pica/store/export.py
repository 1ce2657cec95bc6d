"""Exports of the store for a regulator's notice: xlsx (four sheets), csv (the findings) and
json (every scan with its findings).

Findings sheet / csv: one row per finding of every done scan, columns :data:`FINDING_COLUMNS`.
Summary sheet: one row per done scan (app version) × the six categories, counting violations.
SDKs sheet: one row per SDK (strong or medium detections) with the apps that carry it.
Scans sheet: every input with its status and error line (failed inputs included).

Text from an input (app labels, policy sentences) is data, never a formula: a cell starting with
``=`` stays a string in xlsx, and csv cells starting with ``= + - @`` get a leading apostrophe
(OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from pica import knowledge
from pica.store import ScanDetail, Store

FORMATS = ("xlsx", "csv", "json")

# (header: Chinese first, English after, key of the row dict)
FINDING_COLUMNS = (
    ("应用名称 App name", "app"),
    ("开发者 Developer", "developer"),
    ("包名 Package", "package"),
    ("版本 Version", "version"),
    ("SHA-256", "sha256"),
    ("条目 Item", "item_id"),
    ("条目标题 Item title (zh)", "title_zh"),
    ("结论 Verdict", "verdict"),
    ("理由 Reason", "reason"),
    ("证据摘要 Evidence summary", "evidence"),
    ("主体/SDK Party/SDK", "party"),
    ("检测时间 Scan time (UTC)", "scan_time"),
)
SCAN_COLUMNS = (
    ("输入 Input", "input"),
    ("SHA-256", "sha256"),
    ("包名 Package", "package"),
    ("应用名称 App name", "app"),
    ("版本 Version", "version"),
    ("状态 Status", "status"),
    ("错误 Error", "error"),
    ("错误类型 Error kind", "error_kind"),
    ("开始 Started (UTC)", "started"),
    ("用时 Seconds", "seconds"),
)
WIDTHS = {"reason": 60, "evidence": 60, "title_zh": 40, "error": 60, "input": 40, "sha256": 20}


def _time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _evidence(cites: list[dict[str, Any]], limit: int = 3) -> str:
    """The first cites' texts, with how many more there are."""
    texts = [c.get("text", "") for c in cites[:limit]]
    more = len(cites) - limit
    return "; ".join(texts) + (f" (+{more} more)" if more > 0 else "")


def finding_rows(details: Iterable[ScanDetail]) -> list[dict[str, Any]]:
    titles = knowledge.rule_catalog()
    rows = []
    for detail in details:
        s = detail.scan
        if s.status != "done":
            continue
        for f in detail.findings:
            rows.append(
                {
                    "app": s.label or "",
                    "developer": s.developer or "",
                    "package": s.package or "",
                    "version": s.version_name or "",
                    "sha256": s.sha256,
                    "item_id": f.item_id,
                    "title_zh": f.title_zh or titles[f.item_id].title_zh,
                    "verdict": f.verdict,
                    "reason": f.reason,
                    "evidence": _evidence(f.evidence),
                    "party": f.party,
                    "scan_time": _time(s.finished_at),
                }
            )
    return rows


def scan_rows(details: Iterable[ScanDetail]) -> list[dict[str, Any]]:
    return [
        {
            "input": d.scan.input,
            "sha256": d.scan.sha256,
            "package": d.scan.package or "",
            "app": d.scan.label or "",
            "version": d.scan.version_name or "",
            "status": d.scan.status,
            "error": d.scan.error or "",
            "error_kind": d.scan.error_kind or "",
            "started": _time(d.scan.started_at),
            "seconds": round(d.scan.seconds, 1) if d.scan.seconds is not None else "",
        }
        for d in details
    ]


def category_titles() -> dict[int, str]:
    return {i.category: i.category_title_zh for i in knowledge.rule_catalog().values()}


def summary_rows(details: Iterable[ScanDetail]) -> tuple[list[str], list[list[Any]]]:
    """Apps × the six categories: violations per category, and their total."""
    titles = category_titles()
    header = ["应用名称 App name", "包名 Package", "版本 Version", "SHA-256"]
    header += [f"{n}. {titles[n]}" for n in sorted(titles)] + ["违规合计 Violations"]
    rows = []
    for d in details:
        if d.scan.status != "done":
            continue
        per = {n: 0 for n in titles}
        for f in d.findings:
            if f.verdict == "violation":
                per[int(f.item_id.split(".")[0])] += 1
        s = d.scan
        row = [s.label or "", s.package or "", s.version_name or "", s.sha256]
        rows.append(row + [per[n] for n in sorted(per)] + [sum(per.values())])
    return header, rows


def sdk_rows(details: Iterable[ScanDetail]) -> tuple[list[str], list[list[Any]]]:
    """SDK × apps: each SDK carried (strong or medium detection) and the apps carrying it."""
    carried: dict[str, dict[str, Any]] = {}
    for d in details:
        if d.scan.status != "done":
            continue
        for sdk in d.sdks:
            if sdk["confidence"] == "weak":
                continue
            entry = carried.setdefault(
                sdk["sdk_id"],
                {"name": sdk["name"], "vendor": sdk["vendor"] or "", "apps": set()},
            )
            entry["chinese"] = sdk["chinese"]
            entry["apps"].add(f"{d.scan.label or d.scan.package} ({d.scan.package})")
    header = ["SDK", "厂商 Vendor", "中国厂商 Chinese vendor", "应用数 Apps", "应用 Apps (package)"]
    rows = [
        [e["name"], e["vendor"], "yes" if e["chinese"] else "no", len(e["apps"])]
        + ["; ".join(sorted(e["apps"]))]
        for e in sorted(carried.values(), key=lambda e: (-len(e["apps"]), e["name"]))
    ]
    return header, rows


def to_json(details: list[ScanDetail]) -> bytes:
    scans = [
        {
            "input": d.scan.input,
            "sha256": d.scan.sha256,
            "package": d.scan.package,
            "status": d.scan.status,
            "error": d.scan.error,
            "findings": [
                {
                    "item_id": f.item_id,
                    "title_zh": f.title_zh,
                    "verdict": f.verdict,
                    "reason": f.reason,
                    "party": f.party,
                    "evidence": f.evidence,
                }
                for f in d.findings
            ],
        }
        for d in details
    ]
    return (json.dumps({"scans": scans}, ensure_ascii=False, indent=2) + "\n").encode()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(details: list[ScanDetail]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([h for h, _ in FINDING_COLUMNS])
    for row in finding_rows(details):
        writer.writerow([_csv_cell(row[key]) for _, key in FINDING_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read the Chinese


def to_xlsx(details: list[ScanDetail]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()

    def sheet(title: str, header: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        ws = book.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type == "f":
                    cell.data_type = "s"  # text from an input is never a formula
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        if rows:
            ws.auto_filter.ref = ws.dimensions

    book.remove(book.active)
    keys = [k for _, k in FINDING_COLUMNS]
    findings = finding_rows(details)
    sheet(
        "Findings 问题",
        [h for h, _ in FINDING_COLUMNS],
        [[r[k] for k in keys] for r in findings],
        [WIDTHS.get(k, 16) for k in keys],
    )
    header, rows = summary_rows(details)
    sheet("Summary 汇总", header, rows, [24, 28, 12, 20] + [18] * 6 + [12])
    header, rows = sdk_rows(details)
    sheet("SDKs", header, rows, [28, 24, 12, 10, 80])
    keys = [k for _, k in SCAN_COLUMNS]
    sheet(
        "Scans 输入",
        [h for h, _ in SCAN_COLUMNS],
        [[r[k] for k in keys] for r in scan_rows(details)],
        [WIDTHS.get(k, 16) for k in keys],
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    """Strip the control characters openpyxl refuses (they cannot be stored in xlsx)."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def export(store: Store, fmt: str, batch_id: int | None = None) -> bytes:
    """The store (or one batch of it) in ``fmt`` (xlsx, csv or json), as bytes."""
    details = store.details(batch_id)
    if fmt == "xlsx":
        return to_xlsx(details)
    if fmt == "csv":
        return to_csv(details)
    if fmt == "json":
        return to_json(details)
    raise ValueError(f"unknown export format {fmt!r}")
