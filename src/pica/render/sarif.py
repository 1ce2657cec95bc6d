"""SARIF 2.1.0 log: one run, the 31 items as rules, a result per violation or inconclusive item.

Mapping
- ``tool.driver.rules``: every catalog item, ``id`` = item id ("3.1"), short description in
  English, full description Chinese + English, ``help`` = the fix, ``properties.category`` =
  category number (1–6) with its titles.
- ``results``: one per finding whose verdict is *violation* (``level: "error"``) or
  *inconclusive* (``level: "note"``). Inconclusive is a note, not a warning: it asserts no
  problem, only that the evidence given cannot settle the item (``properties.missing`` says
  what would), and an APK-only audit leaves most items inconclusive — as warnings they would
  drown the violations in code-scanning dashboards. ``kind`` stays "fail" (the default)
  because SARIF requires ``level: "none"`` for any other kind. Compliant, not-applicable and
  manual items produce no result; their verdicts are in ``run.properties.verdicts``.
- ``locations``: one per cite; ``artifactLocation.uri`` = the cite's artifact, else the input
  file name; ``logicalLocations[0].fullyQualifiedName`` = the cite's logical location; the
  cite text is the location's message. A result without cites points at the input file.
- ``codeFlows``: one per cite that carries a call path, one thread-flow location per hop
  (entry point first).
- ``run.properties``: app identity, verdict counts, every item's verdict, the detected SDKs
  (with their signals) and PI collection by party.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any
from urllib.parse import quote

from pica.render._common import (
    Catalog,
    RenderError,
    plain,
    primary_artifact,
    rows,
    searched_text,
    text,
    utf8,
)
from pica.report import Cite, Report, Verdict

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

LEVELS = {Verdict.VIOLATION: "error", Verdict.INCONCLUSIVE: "note"}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def _uri(value: str) -> str:
    """A URI reference for an artifact name: percent-encoded, and never a script scheme.

    http(s) and file URIs are kept as URIs; any other "scheme:" prefix (``javascript:``,
    ``data:``) has its colon encoded, so the value is read as a relative path.
    """
    match = _SCHEME.match(value)
    if match and match.group(1).lower() not in ("http", "https", "file"):
        value = value.replace(":", "%3A", 1)
    return quote(value, safe="/:@!$&'()*+,;=-._~%")


def _message(value: Any) -> dict[str, str]:
    return {"text": text(value) or "-"}


def _location(cite: Cite, default_uri: str, index: int) -> dict[str, Any]:
    location: dict[str, Any] = {"id": index, "message": _message(cite.text)}
    uri = cite.artifact or default_uri
    if uri:
        location["physicalLocation"] = {"artifactLocation": {"uri": _uri(uri)}}
    if cite.logical:
        location["logicalLocations"] = [{"fullyQualifiedName": cite.logical}]
    props = {"source": cite.source} if cite.source else {}
    if props:
        location["properties"] = props
    return location


def _code_flow(cite: Cite) -> dict[str, Any]:
    hops = []
    last = len(cite.path) - 1
    for i, hop in enumerate(cite.path):
        step: dict[str, Any] = {
            "location": {
                "logicalLocations": [{"fullyQualifiedName": hop}],
                "message": _message("entry point: " + hop if i == 0 else hop),
            },
            "executionOrder": i + 1,
            "nestingLevel": i,
        }
        if i == 0 or i == last:
            step["importance"] = "essential"
        hops.append(step)
    return {"message": _message(cite.text), "threadFlows": [{"locations": hops}]}


def _rule(item: Any) -> dict[str, Any]:
    help_text = item.fix or item.manual_test or item.title_en or item.id
    return {
        "id": item.id,
        "shortDescription": {"text": item.title_en or item.id},
        "fullDescription": {"text": f"{item.title_zh}\n{item.title_en}".strip() or item.id},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "category": item.category,
            "category_title_zh": item.category_title_zh,
            "category_title_en": item.category_title_en,
            "title_zh": item.title_zh,
            "evidence_kinds": list(item.evidence_kinds),
            "tags": ["privacy", "pi-compliance", f"category-{item.category}"],
        },
    }


def sarif_log(report: Report, catalog: Catalog | None = None) -> dict[str, Any]:
    """The SARIF log as a dict."""
    item_rows = rows(report, catalog)
    default_uri = primary_artifact(report)
    rules = [_rule(row.item) for row in item_rows]
    results = []
    for index, row in enumerate(item_rows):
        finding = row.finding
        if finding is None or row.verdict not in LEVELS:
            continue
        result: dict[str, Any] = {
            "ruleId": row.item.id,
            "ruleIndex": index,
            "level": LEVELS[row.verdict],
            "message": _message(finding.reason),
        }
        locations = [_location(c, default_uri, i) for i, c in enumerate(finding.cites)]
        if not locations and default_uri:
            locations = [
                {
                    "physicalLocation": {"artifactLocation": {"uri": _uri(default_uri)}},
                    "message": {
                        "text": " ".join(searched_text(x) for x in finding.searched)
                        or "no single location: the finding concerns the input"
                    },
                }
            ]
        if locations:
            result["locations"] = locations
        flows = [_code_flow(c) for c in finding.cites if c.path]
        if flows:
            result["codeFlows"] = flows
        props: dict[str, Any] = {"verdict": row.verdict.value}
        for key in ("evidence_kind", "confidence"):
            if getattr(finding, key):
                props[key] = getattr(finding, key)
        if finding.searched:
            props["searched"] = [dataclasses.asdict(x) for x in finding.searched]
        if finding.missing:
            props["missing"] = list(finding.missing)
        fix = finding.fix or row.item.fix
        if fix:
            props["fix"] = fix
        result["properties"] = props
        results.append(result)

    driver: dict[str, Any] = {"name": "pica", "rules": rules}
    if report.tool_version:
        driver["version"] = str(report.tool_version)
    artifacts = []
    for entry in report.inputs:
        name = next(
            (entry[k] for k in ("name", "file_name", "path", "location", "url") if entry.get(k)),
            "",
        )
        if not name:
            continue
        artifact: dict[str, Any] = {
            "location": {"uri": _uri(str(name))},
            "roles": ["analysisTarget"],
        }
        if entry.get("sha256"):
            artifact["hashes"] = {"sha-256": str(entry["sha256"])}
        if isinstance(entry.get("size"), int) and entry["size"] >= 0:
            artifact["length"] = entry["size"]
        if entry.get("kind"):
            artifact["properties"] = {"kind": str(entry["kind"])}
        artifacts.append(artifact)

    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": plain(
            {
                "schema_version": report.schema_version,
                "generated_at": report.generated_at,
                "app": report.app,
                "category": report.category,
                "counts": report.counts(),
                "verdicts": {
                    row.item.id: row.verdict.value for row in item_rows if row.verdict is not None
                },
                "sdks": report.sdks,
                "pi_by_party": report.pi_by_party,
            }
        ),
    }
    if artifacts:
        run["artifacts"] = artifacts
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report, catalog: Catalog | None = None) -> bytes:
    try:
        out = json.dumps(
            sarif_log(report, catalog),
            ensure_ascii=False,
            indent=2,
            allow_nan=False,
            default=str,
        )
    except ValueError as exc:
        raise RenderError(f"report is not representable as strict JSON: {exc}") from exc
    return utf8(out + "\n")
