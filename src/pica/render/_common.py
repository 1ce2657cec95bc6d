"""What every renderer shares: the rule catalog, item order, verdict labels, category summary.

Renderers never trust the report blindly: a finding whose item id the rule catalog does not
know, or two findings for one item, is a :class:`RenderError` naming the id. Catalog items
without a finding are reported as "not assessed" rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache
from pathlib import PurePath
from typing import Any

from pica.knowledge import RuleItem
from pica.report import Finding, Report, Verdict

Catalog = Mapping[str, RuleItem]


class RenderError(ValueError):
    """The report cannot be rendered as given (unknown item, duplicate finding, bad format)."""


# Most serious first: the order of summary columns and of the counts line.
VERDICT_ORDER: tuple[Verdict, ...] = (
    Verdict.VIOLATION,
    Verdict.INCONCLUSIVE,
    Verdict.MANUAL,
    Verdict.COMPLIANT,
    Verdict.NOT_APPLICABLE,
)

VERDICT_LABELS: dict[Verdict, tuple[str, str]] = {
    Verdict.VIOLATION: ("违规", "Violation"),
    Verdict.INCONCLUSIVE: ("待定", "Inconclusive"),
    Verdict.MANUAL: ("需人工检测", "Manual test"),
    Verdict.COMPLIANT: ("合规", "Compliant"),
    Verdict.NOT_APPLICABLE: ("不适用", "Not applicable"),
}

NOT_ASSESSED = ("未评估", "Not assessed")

REGULATION_ZH = "App违法违规收集使用个人信息行为认定方法"
REGULATION_EN = "Methods for Identifying Illegal Collection and Use of Personal Information by Apps"


def verdict_of(finding: Finding) -> Verdict:
    """The finding's verdict as a :class:`Verdict` (accepts the plain string too)."""
    try:
        return Verdict(finding.verdict)
    except ValueError as exc:
        raise RenderError(
            f"finding {finding.item_id!r} has unknown verdict {finding.verdict!r}"
        ) from exc


def verdict_label(verdict: Verdict | None) -> str:
    zh, en = VERDICT_LABELS[verdict] if verdict is not None else NOT_ASSESSED
    return f"{zh} {en}"


def resolve_catalog(catalog: Catalog | None) -> Catalog:
    """The catalog given, or pica's own rule catalog; a clear error if neither is available."""
    if catalog is not None:
        return catalog
    import yaml

    from pica.knowledge import rule_catalog

    try:
        return rule_catalog()
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise RenderError(f"cannot load the rule catalog (rule_catalog.yaml): {exc}") from exc


def _item_sort_key(item_id: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in item_id.split("."))
    except ValueError:
        return (10**6,)


@dataclass(frozen=True)
class Row:
    """One catalog item with its finding (None: the report has no finding for it)."""

    item: RuleItem
    finding: Finding | None

    @property
    def verdict(self) -> Verdict | None:
        return verdict_of(self.finding) if self.finding is not None else None


def rows(report: Report, catalog: Catalog | None = None) -> list[Row]:
    """Every catalog item in regulation order, paired with its finding.

    Raises :class:`RenderError` for a finding whose item id is not in the catalog and for two
    findings on one item.
    """
    catalog = resolve_catalog(catalog)
    by_id: dict[str, Finding] = {}
    for finding in report.findings:
        if finding.item_id not in catalog:
            raise RenderError(
                f"finding for unknown item {finding.item_id!r}: not in the rule catalog "
                f"({len(catalog)} items)"
            )
        if finding.item_id in by_id:
            raise RenderError(f"two findings for item {finding.item_id!r}")
        verdict_of(finding)
        by_id[finding.item_id] = finding
    ordered = sorted(catalog.values(), key=lambda it: (it.category, _item_sort_key(it.id)))
    return [Row(item, by_id.get(item.id)) for item in ordered]


@dataclass(frozen=True)
class CategorySummary:
    number: int
    title_zh: str
    title_en: str
    rows: tuple[Row, ...]

    def counts(self) -> dict[str, int]:
        result = {v.value: 0 for v in VERDICT_ORDER}
        result["not_assessed"] = 0
        for row in self.rows:
            verdict = row.verdict
            result[verdict.value if verdict is not None else "not_assessed"] += 1
        return result


def categories(item_rows: list[Row]) -> list[CategorySummary]:
    """Rows grouped by the regulation's categories (1…6), in order."""
    groups: dict[int, list[Row]] = {}
    for row in item_rows:
        groups.setdefault(row.item.category, []).append(row)
    return [
        CategorySummary(
            number=number,
            title_zh=group[0].item.category_title_zh,
            title_en=group[0].item.category_title_en,
            rows=tuple(group),
        )
        for number, group in sorted(groups.items())
    ]


def not_assessed(item_rows: list[Row]) -> list[str]:
    return [row.item.id for row in item_rows if row.finding is None]


def verdict_counts(item_rows: list[Row]) -> dict[str, int]:
    result = {v.value: 0 for v in VERDICT_ORDER}
    for row in item_rows:
        if row.verdict is not None:
            result[row.verdict.value] += 1
    return result


def text(value: Any) -> str:
    """Any report value as display text (None → empty; lists joined with ', ')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{text(k)}: {text(v)}" for k, v in value.items())
    return str(value)


def app_version(app: Mapping[str, Any]) -> str:
    name = text(app.get("version_name"))
    code = text(app.get("version_code"))
    if name and code:
        return f"{name} ({code})"
    return name or code


def developer_text(app: Mapping[str, Any]) -> str:
    """The developer the signing certificate names, else why there is none (its note)."""
    signer = app.get("signer")
    note = text(signer.get("note")) if isinstance(signer, Mapping) else ""
    return text(app.get("developer")) or (f"— ({note})" if note else "")


def signer_text(app: Mapping[str, Any]) -> str:
    """One line on the signing certificate: scheme, subject, serial, validity, SHA-256."""
    signer = app.get("signer")
    if not isinstance(signer, Mapping) or not signer.get("scheme"):
        return ""
    subject = signer.get("subject")
    names = (
        ", ".join(f"{text(k)}={text(v)}" for k, v in subject.items())
        if isinstance(subject, Mapping)
        else ""
    )
    parts = [f"{text(signer.get('scheme'))}: {names}"]
    if text(signer.get("serial")):
        parts.append(f"serial {text(signer.get('serial'))}")
    if text(signer.get("not_before")) or text(signer.get("not_after")):
        parts.append(f"{text(signer.get('not_before'))} – {text(signer.get('not_after'))}")
    if text(signer.get("sha256")):
        parts.append(f"SHA-256 {text(signer.get('sha256'))}")
    return " · ".join(parts)


def primary_artifact(report: Report) -> str:
    """The name of the main input file (the APK, else the first input), for SARIF locations."""
    app = report.app or {}
    if app.get("file_name"):
        return str(app["file_name"])
    for entry in report.inputs:
        for key in ("name", "file_name", "path", "location", "url"):
            if entry.get(key):
                return str(entry[key])
    return ""


@cache
def _taxonomy_names() -> dict[str, tuple[str, str]]:
    try:
        from pica.knowledge import taxonomy

        return {k: (v.name_zh, v.name_en) for k, v in taxonomy().items()}
    except Exception:  # noqa: BLE001 - names are a courtesy; the id is always shown
        return {}


def pi_label(pi_type: str) -> str:
    """A PI type id with its Chinese and English names when the taxonomy knows it."""
    names = _taxonomy_names().get(pi_type)
    if names is None:
        return pi_type
    return f"{names[0]} {names[1]} ({pi_type})"


def sdk_id(sdk: Mapping[str, Any]) -> str:
    """The catalog id of a detected SDK (audit writes ``id``; ``sdk_id`` is accepted too)."""
    return text(sdk.get("id") or sdk.get("sdk_id"))


def sdk_display_name(sdk: Mapping[str, Any]) -> str:
    name = text(sdk.get("name")) or sdk_id(sdk)
    name_zh = text(sdk.get("name_zh"))
    if name_zh and name_zh != name:
        return f"{name_zh} / {name}"
    return name


_CONFIDENCE = {
    "medium": " (中 medium: native library or manifest component, no SDK code matched)",
    "weak": " (弱 weak: domain or manifest entry only; not counted as an SDK)",
}


def confidence_note(sdk: Mapping[str, Any]) -> str:
    """What to add after an SDK's category: nothing for a strong detection (its code is here)."""
    return _CONFIDENCE.get(text(sdk.get("confidence")), "")


def plain(value: Any) -> Any:
    """Recursively turn report values into JSON types (enums → value, tuples → lists)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=str)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def searched_text(searched: Any) -> str:
    """One line for a ``Searched`` fact: what was looked for, where, with what; none found."""
    examples = f" (e.g. {', '.join(searched.terms)})" if searched.terms else ""
    applied = f"; applied: {', '.join(searched.patterns)}" if searched.patterns else ""
    return (
        f"Searched {searched.scope} of {searched.source} for {searched.what}{examples}"
        f"{applied}: none found."
    )


def utf8(text: str) -> bytes:
    """UTF-8 bytes of any Python string: a lone surrogate (say from a YAML escape in a note)
    is written as its escape, ``\\udcff``, instead of failing the whole report."""
    return text.encode("utf-8", "backslashreplace")


def hidden_code_lines(report: Report) -> tuple[str, list[str]] | None:
    """The banner a report with hidden code opens with: a headline and one line per packer
    signal or hidden-code fact (every renderer shows the same words)."""
    hidden = report.hidden_code
    if not hidden:
        return None
    names = [text(p.get("name")) for p in hidden.get("packers", [])]
    if hidden.get("absence_inconclusive"):
        head = (
            "代码被隐藏 Code hidden"
            + (f" by {', '.join(names)}" if names else "")
            + ": every verdict that rests on finding nothing in the code is inconclusive. "
            "Supply a runtime trace (--trace) or the unpacked DEX (--dex-dir DIR)."
        )
    elif not hidden.get("unpacked_dex"):
        head = (
            "隐藏代码线索 Hidden-code facts: calls whose target static analysis could not "
            "resolve; they are listed, and no verdict rests on them"
        )
    else:
        head = (
            "加固/隐藏代码 Packed or hidden code"
            + (f" ({', '.join(names)})" if names else "")
            + ": analysed with the DEX files dumped at run time: "
            + ", ".join(text(d) for d in hidden.get("unpacked_dex", []))
        )
    lines = []
    for p in hidden.get("packers", []):
        for s in p.get("signals", []):
            lines.append(
                f"{text(p.get('name'))} ({text(p.get('vendor'))}): {text(s.get('kind'))} "
                f"{text(s.get('value'))} — {text(s.get('source'))}"
            )
    for h in hidden.get("facts", []):
        if h.get("kind") != "packer":
            lines.append(
                f"{text(h.get('kind'))}: {text(h.get('detail'))} — {text(h.get('source'))}"
            )
    return head, lines
