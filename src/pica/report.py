"""Findings and the report: what rules return and renderers consume."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from pica.evidence.derived import Searched

SCHEMA_VERSION = "1.1"


class Verdict(StrEnum):
    VIOLATION = "violation"
    COMPLIANT = "compliant"
    NOT_APPLICABLE = "not_applicable"
    INCONCLUSIVE = "inconclusive"
    MANUAL = "manual"


# Order of severity for --fail-on: a finding "at or above" a threshold fails the run.
SEVERITY = {
    Verdict.VIOLATION: 3,
    Verdict.INCONCLUSIVE: 2,
    Verdict.MANUAL: 1,
    Verdict.NOT_APPLICABLE: 0,
    Verdict.COMPLIANT: 0,
}


@dataclass(frozen=True)
class Cite:
    """One fact a finding rests on, phrased so a regulator could paste it into a notice."""

    text: str
    source: str
    artifact: str = ""  # file inside the input (classes2.dex, AndroidManifest.xml, policy.html)
    logical: str = ""  # dotted class.method, manifest element, or section heading
    path: tuple[str, ...] = ()  # call path entry point -> ... -> API, for code flows


@dataclass(frozen=True)
class Finding:
    item_id: str
    verdict: Verdict
    reason: str
    cites: tuple[Cite, ...] = ()
    searched: tuple[Searched, ...] = ()  # what was looked for and not found, for absences
    missing: tuple[str, ...] = ()  # evidence kinds that would settle an inconclusive finding
    manual_test: str = ""  # what a person should do, for manual findings
    fix: str = ""
    evidence_kind: str = ""  # static | policy | trace | network | checklist | none
    confidence: str = ""  # high | medium | low, where the evidence is indirect


@dataclass
class Report:
    """The result of one audit: all 31 findings plus the facts a reader needs to check them."""

    tool_version: str
    generated_at: str
    inputs: list[dict[str, Any]]
    findings: list[Finding]
    app: dict[str, Any] | None = None
    category: dict[str, Any] | None = None
    # Code out of a static reader's sight: packers detected (vendor, signals), payloads and
    # reflective calls it could not read, and the DEX files dumped at run time that restore it
    # (--dex-dir); None when nothing was hidden.
    hidden_code: dict[str, Any] | None = None
    # Without --category: the app type proposed from the APK and policy, its confidence and
    # signals, and whether 4.1 was judged against it ("used").
    category_proposal: dict[str, Any] | None = None
    permissions: list[dict[str, Any]] = field(default_factory=list)
    sdks: list[dict[str, Any]] = field(default_factory=list)
    pi_by_party: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Call sites in the package that no entry point of the app reaches: present, not collection.
    present_unreached: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Policy versus behaviour (APK and policy both given): every comparison, violation or not.
    consistency: dict[str, Any] | None = None
    # Against an earlier version (pica diff): what was added and removed.
    version_diff: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)  # what the readers skipped, and why
    policy: dict[str, Any] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION

    def counts(self) -> dict[str, int]:
        result = {v.value: 0 for v in Verdict}
        for finding in self.findings:
            result[finding.verdict.value] += 1
        return result

    def worst_severity(self) -> int:
        return max((SEVERITY[f.verdict] for f in self.findings), default=0)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = self.counts()
        return data
