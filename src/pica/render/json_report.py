"""JSON report: ``Report.to_dict()`` plus item and category titles, in a fixed key order.

The document is described by ``report.schema.json`` (JSON Schema draft 2020-12) beside this
module; its ``schema_version`` is :data:`pica.report.SCHEMA_VERSION`. Findings are in
regulation order (1.1 … 6.5), whatever order the report holds them in. Output is UTF-8 with
Chinese text as is (``ensure_ascii=False``), two-space indented, ending in a newline.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pica.evidence.derived import Searched
from pica.render._common import (
    Catalog,
    RenderError,
    categories,
    not_assessed,
    plain,
    rows,
    utf8,
)
from pica.report import Cite, Finding, Report, Verdict

SCHEMA_FILE = "report.schema.json"

# Top-level keys in output order; every key of Report.to_dict() must be listed here so that
# a new report field is a deliberate schema change, not a silent one.
_TOP_ORDER = (
    "schema_version",
    "tool_version",
    "generated_at",
    "app",
    "hidden_code",
    "category",
    "category_proposal",
    "inputs",
    "counts",
    "category_summary",
    "not_assessed",
    "findings",
    "sdks",
    "pi_by_party",
    "present_unreached",
    "consistency",
    "version_diff",
    "warnings",
    "permissions",
    "policy",
    "stats",
)

_FINDING_ORDER = (
    "item_id",
    "category",
    "category_title_zh",
    "category_title_en",
    "title_zh",
    "title_en",
    "verdict",
    "reason",
    "cites",
    "searched",
    "missing",
    "manual_test",
    "fix",
    "evidence_kind",
    "confidence",
)


def schema() -> dict[str, Any]:
    """The JSON Schema of the report document."""
    raw = resources.files("pica.render").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(raw)


def report_document(report: Report, catalog: Catalog | None = None) -> dict[str, Any]:
    """The report as the JSON document (a dict in output key order)."""
    item_rows = rows(report, catalog)
    data = plain(report.to_dict())
    unknown = set(data) - set(_TOP_ORDER)
    if unknown:
        raise RenderError(
            f"report fields not covered by {SCHEMA_FILE}: {', '.join(sorted(unknown))}"
        )
    findings_by_id = {f["item_id"]: f for f in data["findings"]}
    findings = []
    for row in item_rows:
        raw = findings_by_id.get(row.item.id)
        if raw is None:
            continue
        raw = dict(raw)
        raw.update(
            category=row.item.category,
            category_title_zh=row.item.category_title_zh,
            category_title_en=row.item.category_title_en,
            title_zh=row.item.title_zh,
            title_en=row.item.title_en,
        )
        findings.append({k: raw[k] for k in _FINDING_ORDER if k in raw})
        # keys a later Finding may gain, after the known ones, so nothing is lost
        findings[-1].update({k: v for k, v in raw.items() if k not in _FINDING_ORDER})
    data["findings"] = findings
    data["category_summary"] = [
        {
            "category": cat.number,
            "title_zh": cat.title_zh,
            "title_en": cat.title_en,
            "items": [row.item.id for row in cat.rows],
            "counts": cat.counts(),
        }
        for cat in categories(item_rows)
    ]
    data["not_assessed"] = not_assessed(item_rows)
    return {k: data[k] for k in _TOP_ORDER if k in data}


def render_json(report: Report, catalog: Catalog | None = None) -> bytes:
    document = report_document(report, catalog)
    try:
        out = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False, default=str)
    except ValueError as exc:  # NaN/Infinity somewhere in stats
        raise RenderError(f"report is not representable as strict JSON: {exc}") from exc
    return utf8(out + "\n")


def report_from_document(document: dict[str, Any]) -> Report:
    """The :class:`Report` a JSON report document was rendered from (a stored scan's, say), so
    the other renderers can render it again. Derived keys (counts, titles, category summary)
    are dropped: the renderers derive them anew."""
    try:
        findings = [
            Finding(
                item_id=f["item_id"],
                verdict=Verdict(f["verdict"]),
                reason=f["reason"],
                cites=tuple(
                    Cite(**{**c, "path": tuple(c.get("path") or ())}) for c in f.get("cites", [])
                ),
                searched=tuple(
                    Searched(**{**s, "terms": tuple(s["terms"]), "patterns": tuple(s["patterns"])})
                    for s in f.get("searched", [])
                ),
                missing=tuple(f.get("missing", [])),
                manual_test=f.get("manual_test", ""),
                fix=f.get("fix", ""),
                evidence_kind=f.get("evidence_kind", ""),
                confidence=f.get("confidence", ""),
            )
            for f in document["findings"]
        ]
        fields = set(Report.__dataclass_fields__) - {"findings"}
        return Report(findings=findings, **{k: v for k, v in document.items() if k in fields})
    except (KeyError, TypeError, ValueError) as exc:
        raise RenderError(f"not a pica JSON report document: {exc}") from None
