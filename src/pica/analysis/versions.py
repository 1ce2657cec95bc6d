"""Two versions of an app compared: permissions, PI reached per party, SDKs, pre-consent paths
and the policy's sentences, each as added and removed.

Items 2.2 (scope changed without notice) and 4.3 (new functions demanding new consent) read the
result; ``pica diff`` renders it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pica.analysis.reachability import FIRM
from pica.evidence import Change, Evidence, TextRef, VersionDiff


def _split(
    old: dict[str, Change], new: dict[str, Change]
) -> tuple[tuple[Change, ...], tuple[Change, ...]]:
    added = tuple(new[k] for k in sorted(new.keys() - old.keys()))
    removed = tuple(old[k] for k in sorted(old.keys() - new.keys()))
    return added, removed


def _permissions(ev: Evidence) -> dict[str, Change]:
    return {
        p.name: Change(
            p.name, f"{p.name} ({p.protection}; {', '.join(p.pi_types) or 'no PI'})", p.source
        )  # fmt: skip
        for p in ev.permissions
    }


def _pi_types(ev: Evidence) -> dict[str, Change]:
    out: dict[str, Change] = {}
    names = {s.sdk_id: s.name for s in ev.sdks}
    for use in ev.api_uses:
        if use.reachable is False:
            continue
        party = use.sdk or "app"
        key = f"{use.pi_type} @ {party}"
        out.setdefault(
            key,
            Change(
                key,
                f"{use.pi_type} reached by {names.get(party, party)}: {use.caller} → {use.api}",
                use.source,
            ),  # fmt: skip
        )
    return out


def _sdks(ev: Evidence) -> dict[str, Change]:
    return {
        s.sdk_id: Change(s.sdk_id, f"{s.name} ({s.vendor})", "; ".join(s.signals[:2]))
        for s in ev.sdks
    }


def _paths(ev: Evidence) -> dict[str, Change]:
    out: dict[str, Change] = {}
    for p in ev.reachable or ():
        if p.gated_by or p.confidence not in FIRM:
            continue
        subject = p.pi_type or p.sdk or p.target
        key = f"{p.kind} {subject} from {p.entry_point}"
        out.setdefault(key, Change(key, " → ".join(p.path), p.source))
    return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _sentences(ev: Evidence) -> dict[str, TextRef]:
    if ev.policy is None:
        return {}
    return {_norm(s.text): TextRef(s.text, s.span, s.section) for s in ev.policy.statements}


def _texts(table: dict[str, TextRef], keys: Iterable[str]) -> tuple[TextRef, ...]:
    return tuple(sorted((table[k] for k in keys), key=lambda r: r.span.start))


def compare_versions(old: Evidence, new: Evidence) -> VersionDiff:
    """What the new version adds and removes relative to the old one."""
    policy = None
    changed = None
    if old.policy is not None and new.policy is not None:
        before, after = _sentences(old), _sentences(new)
        policy = (
            _texts(after, after.keys() - before.keys()),
            _texts(before, before.keys() - after.keys()),
        )
        changed = bool(policy[0] or policy[1])
    return VersionDiff(
        old_name=old.app.file_name if old.app else old.inputs.get("apk", ""),
        permissions=_split(_permissions(old), _permissions(new)),
        pi_types=_split(_pi_types(old), _pi_types(new)),
        sdks=_split(_sdks(old), _sdks(new)),
        preconsent_paths=_split(_paths(old), _paths(new)),
        policy=policy,
        policy_changed=changed,
    )
