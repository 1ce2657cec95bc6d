"""Small helpers every rule module uses to phrase findings the same way."""

from __future__ import annotations

from collections.abc import Iterable

from pica import knowledge
from pica.evidence import (
    ApiUse,
    Change,
    ConsentEvent,
    Evidence,
    IdentifierMatch,
    LifecycleEvent,
    Permission,
    PermissionEvent,
    PhasedApiEvent,
)
from pica.report import Cite, Finding, Verdict

EVIDENCE_NAMES = {
    "APK": "the APK",
    "POLICY": "the privacy policy (--policy FILE or URL)",
    "TRACE": "a runtime trace of API calls and consent events",
    "NET": "a network capture",
    "UI": "screens or UI dumps of the app",
    "MANUAL": "a manual test recorded in a checklist",
    "VERSIONS": "earlier versions of the app or policy",
    "CATEGORY": "the app category (--category)",
}


def fix_for(item_id: str) -> str:
    return knowledge.rule_catalog()[item_id].fix


def missing_for(item_id: str, have: Iterable[str] = ()) -> tuple[str, ...]:
    """Evidence kinds, in words, that could settle this item and were not given."""
    have = set(have)
    kinds = knowledge.rule_catalog()[item_id].evidence_kinds
    return tuple(EVIDENCE_NAMES.get(k, k) for k in kinds if k not in have)


def inconclusive(
    item_id: str,
    reason: str,
    evidence: Evidence,
    cites: Iterable[Cite] = (),
    missing: Iterable[str] | None = None,
    evidence_kind: str = "none",
) -> Finding:
    return Finding(
        item_id=item_id,
        verdict=Verdict.INCONCLUSIVE,
        reason=reason,
        cites=tuple(cites),
        missing=tuple(missing) if missing is not None else missing_for(item_id, given(evidence)),
        manual_test=knowledge.rule_catalog()[item_id].manual_test,
        fix=fix_for(item_id),
        evidence_kind=evidence_kind,
    )


def manual(item_id: str, reason: str) -> Finding:
    item = knowledge.rule_catalog()[item_id]
    return Finding(
        item_id=item_id,
        verdict=Verdict.MANUAL,
        reason=reason,
        missing=(EVIDENCE_NAMES["MANUAL"],),
        manual_test=item.manual_test,
        fix=item.fix,
        evidence_kind="none",
    )


def given(evidence: Evidence) -> set[str]:
    """The evidence kinds (catalog spelling) present in this audit."""
    have = set()
    if evidence.has_apk:
        have.add("APK")
    if evidence.has_policy:
        have.add("POLICY")
    if evidence.has_trace:
        have.add("TRACE")
    if evidence.has_network:
        have.add("NET")
    if evidence.category:
        have.add("CATEGORY")
    return have


def from_checklist(evidence: Evidence, item_id: str) -> Finding | None:
    """A tester's recorded answer settles any item."""
    answer = evidence.checklist_for(item_id)
    if answer is None:
        return None
    verdict = {
        "pass": Verdict.COMPLIANT,
        "fail": Verdict.VIOLATION,
        "not_applicable": Verdict.NOT_APPLICABLE,
    }.get(answer.result)
    if verdict is None:
        return None
    note = f": {answer.note}" if answer.note else ""
    return Finding(
        item_id=item_id,
        verdict=verdict,
        reason=f"Settled by the manual checklist ({answer.result}){note}",
        cites=(
            Cite(text=answer.note or answer.result, source=answer.source, artifact="checklist"),
        ),
        fix=fix_for(item_id) if verdict is Verdict.VIOLATION else "",
        evidence_kind="checklist",
    )


def cite_api(use: ApiUse) -> Cite:
    party = f" (SDK: {use.sdk})" if use.sdk else ""
    via = f" via {use.via}" if use.via else ""
    return Cite(
        text=f"{use.api}(){via} reached in {use.caller}{party} → {use.pi_type}",
        source=use.source,
        artifact=use.dex,
        logical=f"{use.caller_class}.{use.caller_method}",
    )


def cite_permission(perm: Permission) -> Cite:
    pi = ", ".join(perm.pi_types) or "no PI"
    return Cite(
        text=f"requests {perm.name} ({perm.protection}; reaches {pi})",
        source=perm.source,
        artifact="AndroidManifest.xml",
        logical=perm.name,
    )


def pi_label(pi_id: str) -> str:
    entry = knowledge.taxonomy().get(pi_id)
    if entry is None:
        return pi_id
    return entry.name_zh if entry.name_en in entry.name_zh else f"{entry.name_zh} ({entry.name_en})"


def unless_policy(item_id: str, evidence: Evidence, without_policy: str) -> Finding | None:
    """What settles an item judged on the policy text before the text itself is read: a
    tester's checklist answer, or an inconclusive finding when no analysed policy was given.
    None: the rule goes on to judge ``evidence.policy``."""
    if settled := from_checklist(evidence, item_id):
        return settled
    if evidence.policy is None:
        return inconclusive(item_id, without_policy, evidence)
    if evidence.policy.profile is None:
        return Finding(
            item_id=item_id,
            verdict=Verdict.INCONCLUSIVE,
            reason="The policy was not analysed by pica's policy extractor, so the text cannot "
            "be judged.",
            missing=("POLICY",),
            fix="Pass the policy through pica.extract.policy.extract().",
            evidence_kind="policy",
        )
    return None


def needs_runtime(item_id: str, evidence: Evidence, reason: str) -> Finding:
    """An item only a trace, capture or screens can settle (or a tester's checklist answer)."""
    return from_checklist(evidence, item_id) or inconclusive(item_id, reason, evidence)


def needs_person(item_id: str, evidence: Evidence, reason: str) -> Finding:
    """An item a person must test; their checklist answer settles it."""
    return from_checklist(evidence, item_id) or manual(item_id, reason)


def cite_call(call: PhasedApiEvent) -> Cite:
    """A call seen at run time: line, time, API, phase and the party with its frame."""
    e = call.event
    party = "the app" if call.party == "app" else f"SDK {call.party}"
    where = f" (frame {call.frame})" if call.frame else ""
    return Cite(
        text=f"{e.t} ms: {e.api}() → {e.pi_type or 'PI'} by {party}{where}, "
        f"{call.phase.replace('_', ' ')}{', in the background' if call.background else ''}",
        source=e.source or f"line {e.line}",
        artifact="trace",
        logical=e.api,
        path=tuple(reversed(e.stack)),
    )


def cite_match(match: IdentifierMatch) -> Cite:
    """A seeded identifier found in a request: where, in which encoding, the bytes matched."""
    r = match.request
    t = f"{r.t} ms: " if r.t is not None else ""
    return Cite(
        text=f"{t}{match.pi_type} ({match.value}) sent to {r.host} [{match.party}] in the "
        f"{match.where} as {match.encoding}, {match.phase.replace('_', ' ')}: …{match.excerpt}…",
        source=r.source,
        artifact="network",
        logical=r.url[:200],
    )


def cite_event(event: ConsentEvent | PermissionEvent | LifecycleEvent, what: str) -> Cite:
    """A consent, permission or lifecycle event of the trace."""
    return Cite(
        text=f"{event.t} ms: {what}",
        source=event.source or f"line {event.line}",
        artifact="trace",
    )


def cite_fact(fact: ApiUse | Permission) -> Cite:
    """A behaviour fact of the policy-versus-behaviour join: a call site or a permission."""
    return cite_api(fact) if isinstance(fact, ApiUse) else cite_permission(fact)


def cite_change(change: Change) -> Cite:
    """Something the new version added since the old one (pica diff)."""
    return Cite(text=f"added in this version: {change.detail}", source=change.source)


UNPACKED_DEX = "the app's DEX files dumped at run time (pica audit APP.apk --dex-dir DIR)"


def hidden_code(item_id: str, evidence: Evidence, not_found: str) -> Finding | None:
    """An inconclusive finding in place of a verdict that rests on finding nothing in the
    code (``not_found`` says what was not found), while a packer or an unreadable payload
    hides code from the reader; None when nothing is hidden (or --dex-dir restored it).
    Only the branches of a rule that judge an absence call this: what was found still counts."""
    hidden = evidence.code_hidden()
    if not hidden:
        return None
    by = "; ".join(h.detail for h in hidden[:3]) + (
        f" and {len(hidden) - 3} more" if len(hidden) > 3 else ""
    )
    return inconclusive(
        item_id,
        f"{not_found}, but code hidden by {by}: supply a runtime trace or an unpacked DEX. "
        "What a static reader does not see in a packed app or an unread payload is no evidence "
        "of absence.",
        evidence,
        cites=[
            Cite(text=f"code hidden: {h.detail}", source=h.source, artifact="APK", logical=h.kind)
            for h in hidden[:10]
        ],
        missing=(EVIDENCE_NAMES["TRACE"], UNPACKED_DEX),
        evidence_kind="static",
    )
