"""Category 2: purpose, means and scope not stated (items 2.1–2.4)."""

from __future__ import annotations

from pica import knowledge
from pica.evidence import Evidence
from pica.report import Cite, Finding
from pica.rules import rule
from pica.rules.common import (
    cite_permission,
    from_checklist,
    inconclusive,
    judged_by_policy,
    policy_item,
)

PURPOSE_HINTS = (
    "需要",
    "用于",
    "以便",
    "为了",
    "授权",
    "权限",
    "need",
    "to ",
    "so that",
    "allow",
    "permission",
)


def _sdk_cites(evidence: Evidence) -> list[Cite]:
    reached: dict[str, set[str]] = {}
    for use in evidence.api_uses:
        if use.sdk:
            reached.setdefault(use.sdk, set()).add(use.pi_type)
    return [
        Cite(
            text=f"SDK {s.name}{' / ' + s.name_zh if s.name_zh else ''} ({s.vendor}) embedded; "
            f"its code reaches {', '.join(sorted(reached.get(s.sdk_id, ()))) or 'no sensitive API found'}",
            source="; ".join(s.signals[:3]),
            logical=s.sdk_id,
        )
        for s in evidence.sdks
    ]


@rule("2.1")
def purpose_not_listed(evidence: Evidence) -> Finding:
    """Purpose, means and scope not listed one by one, including embedded SDKs."""
    if settled := from_checklist(evidence, "2.1"):
        return settled
    sdk_names = tuple(n for s in evidence.sdks for n in (s.name, s.name_zh) if n)
    if judged := judged_by_policy("2.1", evidence, sdk_names=sdk_names):
        return judged
    return inconclusive(
        "2.1",
        f"The APK embeds {len(evidence.sdks)} third-party SDK(s); whether the policy lists each "
        "one's purpose, means and scope needs the policy text.",
        evidence,
        cites=_sdk_cites(evidence),
        missing=("the privacy policy text (--policy FILE or URL)",),
    )


@rule("2.2")
def change_not_notified(evidence: Evidence) -> Finding:
    """Changes of purpose, means or scope not notified."""
    return policy_item(
        "2.2", evidence, "A change-notification commitment is judged on the policy text."
    )


@rule("2.3")
def permission_purpose_not_told(evidence: Evidence) -> Finding:
    """No purpose told when a PI-collecting permission or sensitive PI is requested."""
    if settled := from_checklist(evidence, "2.3"):
        return settled
    runtime = [p for p in evidence.permissions if p.is_runtime and p.pi_types]
    if not evidence.has_apk:
        return inconclusive(
            "2.3", "Permission requests are read from the APK, which was not given.", evidence
        )
    cites = []
    for perm in runtime:
        texts = _purpose_texts(evidence, perm.pi_types)
        state = f"{len(texts)} candidate purpose string(s)" if texts else "no purpose string found"
        cites.append(
            Cite(
                text=f"{cite_permission(perm).text}; {state}"
                + (f": “{texts[0].value[:80]}”" if texts else ""),
                source=texts[0].source if texts else perm.source,
                artifact="resources.arsc" if texts else "AndroidManifest.xml",
                logical=perm.name,
            )
        )
    return inconclusive(
        "2.3",
        f"The app requests {len(runtime)} PI-reaching runtime permission(s); whether a purpose is "
        "shown at the moment of each request can only be seen on screen (strings may also come "
        "from a server, so a missing string does not prove a missing purpose).",
        evidence,
        cites=cites,
        missing=("screens of each permission request", "a runtime trace with permission events"),
        evidence_kind="static",
    )


def _purpose_texts(evidence: Evidence, pi_types: tuple[str, ...]):
    terms = []
    for pi in pi_types:
        entry = knowledge.taxonomy().get(pi)
        if entry:
            terms += [entry.name_zh, entry.name_en.lower(), *entry.synonyms_zh]
    terms = [t for t in terms if len(t) >= 2]
    hits = []
    for res in evidence.resource_strings:
        value = res.value
        lower = value.lower()
        if len(value) < 8:
            continue
        if any(t in value or t.lower() in lower for t in terms) and any(
            h in lower for h in PURPOSE_HINTS
        ):
            hits.append(res)
    return hits


@rule("2.4")
def rules_obscure(evidence: Evidence) -> Finding:
    """Rules obscure, long-winded or full of jargon."""
    return policy_item("2.4", evidence, "Obscurity and length are measured on the policy text.")
