"""Category 5: PI provided to others without consent (items 5.1–5.3)."""

from __future__ import annotations

from pica.evidence import Evidence
from pica.report import Cite, Finding, Verdict
from pica.rules import rule
from pica.rules.common import (
    cite_match,
    fix_for,
    from_checklist,
    hidden_code,
    inconclusive,
    needs_person,
    needs_runtime,
)
from pica.rules.policy_cites import is_english
from pica.rules.r3_consent import FIRM, cite_path


@rule("5.1")
def sdk_collects_before_consent(evidence: Evidence) -> Finding:
    """The client gives PI to third parties (embedded SDKs) without consent."""
    if settled := from_checklist(evidence, "5.1"):
        return settled
    runtime = evidence.runtime
    if runtime is not None and runtime.hosts and evidence.device_profile:
        consistency = evidence.consistency
        # An English policy's silence on an SDK is no evidence (policy_cites.is_english).
        english = evidence.policy is not None and is_english(evidence.policy)
        hidden = (
            {s.sdk_id for s in consistency.sdks if not s.disclosed}
            if consistency and not english
            else set()
        )
        third = [m for m in runtime.matches if m.party not in ("app", "unknown")]
        early = [m for m in third if m.phase == "before_consent"]
        secret = [m for m in third if m.party in hidden]
        if early or secret:
            parts = []
            if early:
                parties = sorted({m.party for m in early})
                parts.append(f"before consent to {', '.join(parties)}")
            if secret:
                parts.append(f"to {', '.join(sorted({m.party for m in secret}))}, which the policy "
                             "does not name")  # fmt: skip
            return Finding(
                item_id="5.1",
                verdict=Verdict.VIOLATION,
                reason="Seeded identifiers of the device are sent to third parties "
                + " and ".join(parts)
                + ".",
                cites=tuple(cite_match(m) for m in (early + secret)[:10]),
                searched=(consistency.searched,) if secret and consistency else (),
                fix=fix_for("5.1"),
                evidence_kind="network",
                confidence="high",
            )
        unplaced = [m for m in third if m.phase == "unknown"]
        if unplaced:
            return inconclusive(
                "5.1",
                "Seeded identifiers reach third parties ("
                + ", ".join(sorted({m.party for m in unplaced}))
                + "), but the capture's clock is not the trace's, so whether before or after "
                "consent is unknown; record the traffic in the trace (net events) to decide.",
                evidence,
                cites=[cite_match(m) for m in unplaced[:10]],
                missing=("network events recorded in the trace, on its clock",),
                evidence_kind="network",
            )
        if runtime.first_accept is not None:
            third_hosts = [h for h, party in runtime.hosts if party not in ("app", "unknown")]
            return Finding(
                item_id="5.1",
                verdict=Verdict.COMPLIANT,
                reason=f"No seeded identifier ({', '.join(sorted(evidence.device_profile))}) "
                f"reached a third party before the user consented at {runtime.first_accept} ms "
                f"({len(runtime.hosts)} host(s) contacted, {len(third_hosts)} of them SDKs').",
                cites=tuple(
                    Cite(text=f"host {h}: {party}", source="capture", artifact="network")
                    for h, party in runtime.hosts[:10]
                ),
                evidence_kind="network",
                confidence="medium",
                manual_test="Seed more identifiers (OAID, phone number) and record a longer run.",
            )
    if evidence.reachable is not None:
        third = [
            p
            for p in evidence.reachable
            if p.sdk
            and not p.gated_by
            and p.confidence in FIRM
            and (p.kind == "sdk_init" or p.pi_type)
        ]
        collecting = {s.sdk_id for s in evidence.sdks if s.pi_types} | {
            u.sdk for u in evidence.api_uses if u.sdk
        }
        third = [p for p in third if p.sdk in collecting]
        if third:
            names = sorted({p.sdk for p in third if p.sdk})
            consistency = evidence.consistency
            english = evidence.policy is not None and is_english(evidence.policy)
            hidden = [
                s.sdk_id
                for s in (consistency.sdks if consistency and not english else ())
                if not s.disclosed and s.sdk_id in names
            ]
            secret = (
                f" The policy does not name {', '.join(hidden)} at all: the user is told "
                "nothing of this party, which is the strongest case under this item."
                if hidden
                else ""
            )
            return Finding(
                item_id="5.1",
                verdict=Verdict.VIOLATION,
                reason=f"Third-party SDK(s) that collect PI ({', '.join(names)}) are initialised or "
                "reach PI APIs before any UI exists, so before the user can consent." + secret,
                cites=tuple(cite_path(p) for p in third[:25]),
                searched=(consistency.searched,) if hidden and consistency else (),
                fix=fix_for("5.1"),
                evidence_kind="static",
                confidence=min((p.confidence for p in third), key=["high", "medium", "low"].index),
            )
    if evidence.has_apk and (
        hidden := hidden_code(
            "5.1", evidence, "No third-party SDK was seen collecting PI before any UI exists"
        )
    ):
        return hidden
    if not evidence.sdks:
        return inconclusive(
            "5.1",
            "No third-party SDK was detected"
            + (" in the APK" if evidence.has_apk else " (no APK given)")
            + "; PI sent to third parties over the network is seen only in a capture.",
            evidence,
        )
    return inconclusive(
        "5.1",
        f"{len(evidence.sdks)} third-party SDK(s) are embedded; whether they send PI before "
        "consent needs a runtime trace or network capture.",
        evidence,
        cites=[
            Cite(
                text=f"SDK {s.name} ({s.vendor})", source="; ".join(s.signals[:3]), logical=s.sdk_id
            )
            for s in evidence.sdks[:25]
        ],
    )


@rule("5.2")
def backend_shares(evidence: Evidence) -> Finding:
    return needs_person(
        "5.2",
        evidence,
        "Sharing from the back-end is invisible to the client; it is checked by inquiry and audit.",
    )


@rule("5.3")
def third_party_apps(evidence: Evidence) -> Finding:
    return needs_runtime(
        "5.3",
        evidence,
        "PI handed to connected third-party apps (share, login, pay) is seen at run time.",
    )
