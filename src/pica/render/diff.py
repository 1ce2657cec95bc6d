"""The version-diff document of ``pica diff``: what changed between two versions of an app and
the findings that rest on the change (items 2.2 and 4.3), as JSON, HTML or Markdown.

JSON keys: ``permissions``, ``pi_types``, ``sdks``, ``preconsent_paths`` (each ``{"added",
"removed"}``), ``policy`` (sentences added and removed with their spans, or null), ``findings``
(the 2.2 and 4.3 findings of the new version's audit), and ``old``/``new`` naming the APKs.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from typing import Any

from pica.render._common import RenderError, plain, utf8
from pica.report import Report

DIFF_SCHEMA_VERSION = "diff-1.0"
DIFF_ITEMS = ("2.2", "4.3")  # the items a change between versions bears on
SECTIONS = (
    ("permissions", "权限 Permissions"),
    ("pi_types", "个人信息（按主体） PI reached, per party"),
    ("sdks", "第三方SDK Third-party SDKs"),
    ("preconsent_paths", "同意前调用路径 Pre-consent paths"),
)


def diff_document(report: Report) -> dict[str, Any]:
    """The diff document for a report made by ``pica.audit.diff``."""
    changes = report.version_diff
    if changes is None:
        raise RenderError("the report holds no version comparison (made by pica.audit.diff)")
    return {
        "schema_version": DIFF_SCHEMA_VERSION,
        "tool_version": report.tool_version,
        "generated_at": report.generated_at,
        "old": changes["old"],
        "new": (report.app or {}).get("file_name", ""),
        **{key: changes[key] for key, _title in SECTIONS},
        "policy": changes["policy"],
        "findings": [plain(asdict(f)) for f in report.findings if f.item_id in DIFF_ITEMS],
    }


def render_diff(report: Report, fmt: str) -> bytes:
    document = diff_document(report)
    if fmt == "json":
        return utf8(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    if fmt == "md":
        return utf8(_markdown(document))
    if fmt == "html":
        return utf8(_html(document))
    raise RenderError(f"pica diff writes json, html or md, not {fmt!r}")


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _markdown(doc: dict[str, Any]) -> str:
    lines = [f"# pica diff: {_md(doc['old'])} → {_md(doc['new'])}", ""]
    for key, title in SECTIONS:
        lines += [f"## {title}", ""]
        for sign, part in (("+", "added"), ("−", "removed")):
            lines += [f"- {sign} `{_md(c['key'])}`: {_md(c['detail'])}" for c in doc[key][part]]
        if not doc[key]["added"] and not doc[key]["removed"]:
            lines.append("- no change")
        lines.append("")
    lines += ["## 隐私政策 Policy", ""]
    policy = doc["policy"]
    if policy is None:
        lines.append("- not compared: give --old-policy and --new-policy (or policies in the APKs)")
    else:
        lines.append(f"- changed: {'yes' if policy['changed'] else 'no'}")
        lines += [f"- + {_md(r['text'])} (chars {r['start']}-{r['end']})" for r in policy["added"]]
        lines += [
            f"- − {_md(r['text'])} (chars {r['start']}-{r['end']})" for r in policy["removed"]
        ]
    lines += ["", "## 结论 Findings", ""]
    for f in doc["findings"]:
        lines.append(f"- **{f['item_id']} {f['verdict']}**: {_md(f['reason'])}")
    return "\n".join(lines) + "\n"


def _html(doc: dict[str, Any]) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html><html lang=zh><head><meta charset=utf-8>"
        f"<title>pica diff {e(doc['old'])} → {e(doc['new'])}</title>"
        "<style>body{font:15px/1.5 system-ui,'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;"
        "max-width:1000px;margin:0 auto;padding:20px}td,th{border:1px solid #ccc;padding:4px 8px;"
        "vertical-align:top}table{border-collapse:collapse;width:100%}.add{color:#0a5a0a}"
        ".rm{color:#8a1010}code{font-size:13px}</style></head><body>"
        f"<h1>pica diff: {e(doc['old'])} → {e(doc['new'])}</h1>"
    ]
    for key, title in SECTIONS:
        out.append(
            f"<h2>{e(title)}</h2><table><tr><th></th><th>项 Item</th><th>详情 Detail</th></tr>"
        )
        for sign, part, css in (("+", "added", "add"), ("−", "removed", "rm")):
            for c in doc[key][part]:
                out.append(
                    f"<tr class={css}><td>{sign}</td><td><code>{e(c['key'])}</code></td>"
                    f"<td>{e(c['detail'])}</td></tr>"
                )
        out.append("</table>")
    policy = doc["policy"]
    out.append("<h2>隐私政策 Policy</h2>")
    if policy is None:
        out.append("<p>未比较 Not compared: no policy for one of the versions.</p>")
    else:
        out.append(f"<p>changed: {'yes' if policy['changed'] else 'no'}</p><ul>")
        out += [f"<li class=add>+ {e(r['text'])}</li>" for r in policy["added"]]
        out += [f"<li class=rm>− {e(r['text'])}</li>" for r in policy["removed"]]
        out.append("</ul>")
    out.append("<h2>结论 Findings</h2><ul>")
    out += [
        f"<li><b>{e(f['item_id'])} {e(f['verdict'])}</b>: {e(f['reason'])}</li>"
        for f in doc["findings"]
    ]
    out.append("</ul></body></html>\n")
    return "".join(out)


# What two stored reports can be compared on (no APK needed): the sections of SECTIONS a report
# document carries, and the items whose verdict changed.
DOCUMENT_SECTIONS = SECTIONS[:3]


def _keyed(doc: dict[str, Any], section: str) -> dict[str, str]:
    """A section's entries by the keys and details ``pica diff`` gives them."""
    if section == "permissions":
        return {
            p["name"]: f"{p['name']} ({p.get('protection')}; "
            f"{', '.join(p.get('pi_types') or ()) or 'no PI'})"
            for p in doc.get("permissions", [])
        }
    if section == "sdks":
        return {s["id"]: f"{s.get('name')} ({s.get('vendor')})" for s in doc.get("sdks", [])}
    # the report names a party by its SDK's name, "app" or "unattributed"; pica diff keys it by
    # the SDK's id and counts code no SDK claims as the app's: the same here
    ids = {s.get("name"): s["id"] for s in doc.get("sdks", [])}
    out: dict[str, str] = {}
    for party, types in (doc.get("pi_by_party") or {}).items():
        key = ids.get(party) or ("app" if party == "unattributed" else party)
        for pi, paths in types.items():
            out.setdefault(f"{pi} @ {key}", f"{pi} reached by {party}: {(paths or [''])[0]}")
    return out


def compare_documents(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Two versions' stored JSON report documents compared, in the shape of
    :func:`diff_document` for the sections a report carries (permissions, PI per party, SDKs)
    plus ``verdicts``: the items whose verdict changed. ``pica diff`` (both APKs at hand) also
    compares pre-consent paths and policy sentences; a stored report keeps neither."""
    out: dict[str, Any] = {
        "old": _version_name(old),
        "new": _version_name(new),
    }
    for key, _title in DOCUMENT_SECTIONS:
        before, after = _keyed(old, key), _keyed(new, key)
        out[key] = {
            "added": [{"key": k, "detail": after[k]} for k in sorted(set(after) - set(before))],
            "removed": [{"key": k, "detail": before[k]} for k in sorted(set(before) - set(after))],
        }
    verdicts = {f["item_id"]: f["verdict"] for f in old.get("findings", [])}
    out["verdicts"] = [
        {"item_id": f["item_id"], "old": verdicts[f["item_id"]], "new": f["verdict"]}
        | {"reason": f["reason"]}
        for f in new.get("findings", [])
        if f["item_id"] in verdicts and verdicts[f["item_id"]] != f["verdict"]
    ]
    return out


def _version_name(doc: dict[str, Any]) -> str:
    app = doc.get("app") or {}
    return f"{app.get('version_name') or '?'} ({app.get('version_code') or '?'})"
