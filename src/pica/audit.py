"""The one orchestration point: extract each input given → analysis → rules → report.

Readers and joins are imported where an input needs them (a policy-only run loads no DEX
reader, a static audit no trace reader): every command starts in a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pica import __version__, knowledge
from pica.analysis.category import propose_category
from pica.errors import InputError
from pica.evidence import ApiUse, AppInfo, Evidence, Permission, TextRef
from pica.extract.policy import extract as extract_policy
from pica.report import Report
from pica.rules import run_rules

Progress = Callable[[str], None]


def _pi_by_party(evidence: Evidence, reached: bool = True) -> dict[str, dict[str, list[str]]]:
    """{party: {PI type: call sites}} over the reached call sites (``reached``), or over those
    present but unreached (``reached=False``). Parties: "app", an SDK's name, or
    "unattributed" (code outside the app's own packages that no catalog rule attributes)."""
    names = {s.sdk_id: s.name for s in evidence.sdks}
    result: dict[str, dict[str, list[str]]] = {}
    for use in evidence.api_uses:
        if (use.reachable is not False) is not reached:
            continue
        if use.sdk is not None:
            party = names.get(use.sdk, use.sdk)
        else:  # code outside the app's packages that no SDK rule claims stays apart
            party = "unattributed" if use.attributed_by == "unattributed" else "app"
        sites = result.setdefault(party, {}).setdefault(use.pi_type, [])
        site = f"{use.caller} → {use.api}" + (f" (via {use.via})" if use.via else "")
        if use.attributed_by in (
            "jni",
            "reach",
            "loader",
            "native",
        ):  # by evidence, not by package: say so
            site += f" (attributed by {use.attributed_by})"
        if site not in sites:
            sites.append(site)
    return result


def _ref(ref: TextRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"text": ref.text, "start": ref.span.start, "end": ref.span.end, "section": ref.section}


def _fact(fact: ApiUse | Permission) -> dict[str, str]:
    if isinstance(fact, ApiUse):
        return {"text": f"{fact.caller} → {fact.api}", "source": fact.source, "kind": "call site"}
    return {"text": f"requests {fact.name}", "source": fact.source, "kind": "permission"}


def _consistency(evidence: Evidence) -> dict[str, Any] | None:
    c = evidence.consistency
    if c is None:
        return None
    names = {s.sdk_id: s.name for s in evidence.sdks}
    return {
        "pi": [
            {
                "pi_type": d.pi_type,
                "party": d.party,
                "party_name": "app" if d.party == "app" else names.get(d.party, d.party),
                "reach": d.reach,
                "evidence": [_fact(f) for f in d.evidence[:10]],
                "disclosed": d.disclosed,
                "policy_ref": _ref(d.policy_ref),
                "covered_by": d.covered_by,
                "purpose_stated": d.purpose_stated,
                "denied_by_policy": d.denied_by is not None,
                "denied_by": _ref(d.denied_by),
            }
            for d in c.pi
        ],
        "sdks": [
            {
                "sdk_id": s.sdk_id,
                "name": s.name,
                "disclosed": s.disclosed,
                "matched": s.matched,
                "policy_ref": _ref(s.policy_ref),
                "purpose_stated": s.purpose_stated,
                "pi_listed": s.pi_listed,
                "reaches_pi": list(s.reaches_pi),
                "pre_ui": s.pre_ui,
            }
            for s in c.sdks
        ],
        "policy_sdks_not_found": list(c.policy_sdks_not_found),
        "searched": dataclasses.asdict(c.searched),
    }


def _changes(pair) -> dict[str, list[dict[str, str]]]:
    added, removed = pair
    return {
        "added": [dataclasses.asdict(c) for c in added],
        "removed": [dataclasses.asdict(c) for c in removed],
    }


def _version_diff(evidence: Evidence) -> dict[str, Any] | None:
    d = evidence.version_diff
    if d is None:
        return None
    return {
        "old": d.old_name,
        "permissions": _changes(d.permissions),
        "pi_types": _changes(d.pi_types),
        "sdks": _changes(d.sdks),
        "preconsent_paths": _changes(d.preconsent_paths),
        "policy": None
        if d.policy is None
        else {
            "changed": d.policy_changed,
            "added": [_ref(r) for r in d.policy[0]],
            "removed": [_ref(r) for r in d.policy[1]],
        },
    }


DEBUG_CERTIFICATE = "debug certificate"


def _app(app: AppInfo) -> dict[str, Any]:
    """The report's ``app`` object: the manifest's identity, the developer the signing
    certificate names (its O, else its CN; none for a debug key) and the certificate itself."""
    data = dataclasses.asdict(app)
    del data["signer"], data["signer_note"]
    cert = app.signer
    data["developer"] = cert.developer if cert else None
    if cert is None:
        note: str | None = f"no signer: {app.signer_note}" if app.signer_note else "no signer"
    else:
        note = DEBUG_CERTIFICATE if cert.debug else None
    data["signer"] = {  # every key present; None (or {}) without a certificate
        "scheme": getattr(cert, "scheme", None),
        "subject": dict(cert.subject) if cert else {},
        "issuer": dict(cert.issuer) if cert else {},
        **{
            k: getattr(cert, k, None)
            for k in ("serial", "not_before", "not_after", "sha256", "source")
        },
        "note": note,
    }
    return data


def _category_ref(type_id: str) -> dict[str, Any]:
    c = knowledge.app_categories()[type_id]
    return {"id": c.id, "number": c.number, "name_zh": c.name_zh, "name_en": c.name_en}


def _category_proposal(evidence: Evidence) -> dict[str, Any] | None:
    """The proposed app type, whether 4.1 used it, and every signal behind it and its rival."""
    p = evidence.category_proposal
    if p is None or evidence.category:
        return None
    runner_up = None
    if p.runner_up:
        runner_up = {
            **_category_ref(p.runner_up),
            "confidence": p.runner_up_confidence,
            "score": p.runner_up_score,
            "signals": [dataclasses.asdict(s) for s in p.runner_up_signals],
        }
    return {
        **_category_ref(p.category),
        "confidence": p.confidence,
        "threshold": p.threshold,
        "score": p.score,
        # the rule judges 4.1 against it: confident, an APK to judge, no checklist answer
        "used": p.confident and evidence.has_apk and evidence.checklist_for("4.1") is None,
        "signals": [dataclasses.asdict(s) for s in p.signals],
        "runner_up": runner_up,
    }


def check_category(category: str | None) -> str | None:
    if category is None:
        return None
    categories = knowledge.app_categories()
    if category in categories:
        return category
    by_name = {c.name_zh: c.id for c in categories.values()}
    by_number = {str(c.number): c.id for c in categories.values()}
    if category in by_name:
        return by_name[category]
    if category in by_number:
        return by_number[category]
    raise InputError(
        f"unknown category {category!r}: use one of the 39 ids listed by 'pica categories'"
    )


def gather(
    apk: str | os.PathLike[str] | None = None,
    policy: str | os.PathLike[str] | None = None,
    category: str | None = None,
    progress: Progress | None = None,
    reachability: bool = True,
    checklist: str | os.PathLike[str] | None = None,
    trace: str | os.PathLike[str] | None = None,
    device_profile: str | os.PathLike[str] | None = None,
    net: Sequence[str | os.PathLike[str]] = (),
    dex_dir: str | os.PathLike[str] | None = None,
) -> Evidence:
    """Run the extractors for the inputs given and assemble the Evidence."""
    step = progress or (lambda _msg: None)
    evidence = Evidence(category=check_category(category))
    if checklist is not None:
        from pica.extract.checklist import extract as extract_checklist

        evidence.checklist = extract_checklist(checklist)
        evidence.inputs["checklist"] = Path(checklist).name
    if apk is None and policy is None and trace is None and not net:
        raise InputError("nothing to audit: give an APK, a policy, a trace, a capture, or several")
    if dex_dir is not None and apk is None:
        raise InputError(
            "--dex-dir needs the APK whose code it holds (pica audit APP.apk --dex-dir DIR)"
        )
    if device_profile is not None:
        from pica.extract.device_profile import read_device_profile

        evidence.device_profile = read_device_profile(device_profile)
        evidence.inputs["device_profile"] = Path(device_profile).name
    if net:
        from pica.extract.network import read_capture

        step("network captures")
        requests = []
        for capture in net:
            found, warnings = read_capture(capture)
            requests += found
            evidence.warnings += tuple(f"{Path(capture).name}: {w}" for w in warnings)
        evidence.network = tuple(requests)
        evidence.inputs["network"] = ", ".join(Path(c).name for c in net)
    if trace is not None:
        from pica.extract.trace import read_trace

        step("runtime trace")
        evidence.trace = read_trace(trace)
        evidence.warnings += tuple(f"{Path(trace).name}: {w}" for w in evidence.trace.warnings)
        evidence.inputs["trace"] = Path(trace).name
    if apk is not None:
        from pica.analysis.apk import analyse_apk
        from pica.extract.apk import extract as extract_apk

        facts = extract_apk(apk, progress=step, dex_dir=dex_dir)
        derived = analyse_apk(facts, reachability=reachability, progress=step)
        evidence.inputs["apk"] = Path(apk).name
        evidence.app = facts.app
        evidence.permissions = facts.permissions
        evidence.components = facts.components
        evidence.api_uses = derived.api_uses
        evidence.libraries = derived.libraries
        evidence.hosts = facts.hosts
        evidence.embedded_policies = facts.embedded_policies
        evidence.resource_strings = facts.resource_strings
        evidence.sdks = derived.sdks
        evidence.weak_sdks = derived.weak_sdks
        evidence.reachable = derived.reachable
        evidence.packers = derived.packers
        evidence.hidden_code = derived.hidden_code
        if dex_dir is not None:
            evidence.inputs["dex_dir"] = Path(dex_dir).name
        if policy is None and facts.policy_files:
            location, raw = next(iter(facts.policy_files.items()))
            name = f"{Path(apk).name}!/{location}"
            step("embedded privacy policy")
            evidence.policy = extract_policy(raw, name=name)  # bytes: charset detected there
            evidence.inputs["policy"] = name
    if policy is not None:
        step("privacy policy")
        evidence.policy = extract_policy(policy)
        evidence.inputs["policy"] = str(policy) if "://" in str(policy) else Path(policy).name
    if evidence.has_apk and evidence.policy is not None and evidence.policy.profile is not None:
        from pica.analysis.disclosure import compare

        step("policy versus behaviour")
        evidence.consistency = compare(
            evidence.policy,
            evidence.api_uses,
            evidence.permissions,
            evidence.sdks,
            evidence.reachable,
        )
    if evidence.trace is not None or evidence.network:
        from pica.analysis.runtime import analyse_runtime

        step("runtime analysis")
        evidence.runtime = analyse_runtime(
            evidence.trace,
            evidence.network,
            evidence.device_profile,
            evidence.app.package if evidence.app else None,
        )
    if evidence.category is None:  # --category wins; without it, propose one (never silently)
        step("app type")
        evidence.category_proposal = propose_category(
            evidence.app, evidence.components, evidence.sdks, evidence.permissions, evidence.policy
        )
    return evidence


def _input_rows(evidence: Evidence) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if evidence.app:
        rows.append(
            {
                "kind": "apk",
                "name": evidence.app.file_name,
                "sha256": evidence.app.sha256,
                "size": evidence.app.size,
            }
        )
    if evidence.policy is not None:
        rows.append(
            {
                "kind": "policy",
                "name": evidence.inputs.get("policy", ""),
                "sha256": "",
                "size": len(evidence.policy.text),
            }
        )
    if evidence.has_unpacked_dex and evidence.app:
        dumped = [d for d in evidence.app.loaded_dex if d.startswith("dex-dir/")]
        rows.append(
            {
                "kind": "dex_dir",
                "name": evidence.inputs["dex_dir"],
                "sha256": "",
                "size": len(dumped),
            }
        )
    if "checklist" in evidence.inputs:
        rows.append(
            {
                "kind": "checklist",
                "name": evidence.inputs["checklist"],
                "sha256": "",
                "size": len(evidence.checklist),
            }
        )
    if evidence.trace is not None:
        t = evidence.trace
        events = len(t.api) + len(t.consent) + len(t.permissions) + len(t.lifecycle) + len(t.ui)
        rows.append(
            {
                "kind": "trace",
                "name": evidence.inputs.get("trace", t.name),
                "sha256": "",
                "size": events + len(t.net),
            }  # fmt: skip
        )
    for name in evidence.inputs.get("network", "").split(", ") if evidence.network else ():
        rows.append({"kind": "network", "name": name, "sha256": "", "size": len(evidence.network)})
    if evidence.device_profile:
        rows.append(
            {
                "kind": "device_profile",
                "name": evidence.inputs.get("device_profile", ""),
                "sha256": "",
                "size": len(evidence.device_profile),
            }  # fmt: skip
        )
    return rows


def _hidden_code(evidence: Evidence) -> dict[str, Any] | None:
    """The packers, unread payloads and unresolved reflection, for the top of the report."""
    if not evidence.packers and not evidence.hidden_code:
        return None
    dumped = (
        [d for d in evidence.app.loaded_dex if d.startswith("dex-dir/")] if evidence.app else []
    )
    return {
        "packers": [
            {
                "id": p.packer_id,
                "vendor": p.vendor,
                "name": p.name,
                "signals": [dataclasses.asdict(s) for s in p.signals],
            }
            for p in evidence.packers
        ],
        "facts": [dataclasses.asdict(h) for h in evidence.hidden_code],
        "unpacked_dex": dumped,
        "absence_inconclusive": bool(evidence.code_hidden()),
    }


def build_report(evidence: Evidence) -> Report:
    """Judge every item and wrap the findings with what a reader needs to check them."""
    findings = run_rules(evidence)
    category = _category_ref(evidence.category) if evidence.category else None
    policy_summary = None
    if evidence.policy is not None:
        policy_summary = {
            "location": evidence.policy.location,
            "characters": len(evidence.policy.text),
            "statements": len(evidence.policy.statements),
            "pi_table": [
                {
                    "pi_type": r.pi_type,
                    "party": r.party,
                    "disclosed_by": _ref(r.ref),
                    "purpose_from": r.purpose_from,
                    "purpose": _ref(r.purpose),
                }
                for r in evidence.policy.pi_table
            ],
        }
    stats: dict[str, Any] = {}
    if evidence.app:
        stats = {
            "dex_files": len(evidence.app.dex_files),
            "classes": evidence.app.class_count,
            "method_ids": evidence.app.method_count,
            "sensitive_call_sites": len(evidence.api_uses),
            "reachable_call_sites": sum(1 for u in evidence.api_uses if u.reachable),
            "hosts": len(evidence.hosts),
            "pre_ui_paths": None if evidence.reachable is None else len(evidence.reachable),
            "libraries": sorted(s.name for s in evidence.libraries),
        }
    return Report(
        tool_version=__version__,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        inputs=_input_rows(evidence),
        findings=findings,
        app=_app(evidence.app) if evidence.app else None,
        category=category,
        hidden_code=_hidden_code(evidence),
        category_proposal=_category_proposal(evidence),
        permissions=[
            {
                "name": p.name,
                "protection": p.protection,
                "pi_types": list(p.pi_types),
                "source": p.source,
            }
            for p in evidence.permissions
        ],
        sdks=[
            {
                "id": s.sdk_id,
                "name": s.name,
                "name_zh": s.name_zh,
                "vendor": s.vendor,
                "category": s.category,
                "chinese": s.chinese,
                "signals": list(s.signals),
                "pi_types": list(s.pi_types),
                "reached_pi": sorted(
                    {
                        u.pi_type
                        for u in evidence.api_uses
                        if u.sdk == s.sdk_id and u.reachable is not False
                    }
                ),
                "policy_url": s.policy_url,
                "confidence": s.confidence,
            }
            for s in (*evidence.sdks, *evidence.weak_sdks)
        ],
        pi_by_party=_pi_by_party(evidence),
        present_unreached=_pi_by_party(evidence, reached=False),
        consistency=_consistency(evidence),
        warnings=list(evidence.warnings),
        version_diff=_version_diff(evidence),
        policy=policy_summary,
        stats=stats,
    )


def diff(
    old_apk: str | os.PathLike[str],
    new_apk: str | os.PathLike[str],
    old_policy: str | os.PathLike[str] | None = None,
    new_policy: str | os.PathLike[str] | None = None,
    category: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Audit the new version with what changed since the old one: the report's version_diff
    block, and items 2.2 and 4.3 judged on the change."""
    step = progress or (lambda _msg: None)
    step("earlier version")
    old = gather(old_apk, old_policy, category, progress)
    step("new version")
    new = gather(new_apk, new_policy, category, progress)
    from pica.analysis.versions import compare_versions

    new.version_diff = compare_versions(old, new)
    return build_report(new)


def audit(
    apk: str | os.PathLike[str] | None = None,
    policy: str | os.PathLike[str] | None = None,
    category: str | None = None,
    progress: Progress | None = None,
    checklist: str | os.PathLike[str] | None = None,
    trace: str | os.PathLike[str] | None = None,
    device_profile: str | os.PathLike[str] | None = None,
    net: Sequence[str | os.PathLike[str]] = (),
    dex_dir: str | os.PathLike[str] | None = None,
) -> Report:
    """Audit an app (APK, policy, a runtime trace and/or captures) against all 31 items.
    ``dex_dir``: DEX files dumped at run time, analysed with the APK's manifest."""
    evidence = gather(
        apk,
        policy,
        category,
        progress,
        checklist=checklist,
        trace=trace,
        device_profile=device_profile,
        net=net,
        dex_dir=dex_dir,
    )
    return build_report(evidence)
