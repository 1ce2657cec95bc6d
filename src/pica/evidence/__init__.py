"""Typed facts: what the readers found and what analysis derived, before any rule judges it.

Split by input kind (``apk``, ``policy``, ``checklist``, ``runtime``, ``network``) plus
``derived`` for facts made by joining inputs. Every fact is immutable and carries a ``source``
a reader can use to find it again. ``Evidence`` bundles all facts about one app; rules receive
only it. This package imports nothing of pica but ``knowledge``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pica.evidence.apk import (
    ApiUse,
    AppInfo,
    Component,
    EmbeddedPolicy,
    HiddenCode,
    HostRef,
    PackerPresence,
    PackerSignal,
    Party,
    Permission,
    ResourceString,
    SdkPresence,
    SigningCert,
)
from pica.evidence.checklist import ChecklistAnswer
from pica.evidence.derived import (
    ApiFrequency,
    CategoryProposal,
    CategorySignal,
    Change,
    Consistency,
    IdentifierMatch,
    PhasedApiEvent,
    PiDisclosure,
    ReachablePath,
    RuntimeAnalysis,
    SdkDisclosure,
    Searched,
    VersionDiff,
)
from pica.evidence.network import NetRequest
from pica.evidence.policy import (
    PolicyEvidence,
    PolicyPi,
    PolicyProfile,
    PolicyStatement,
    Span,
    TextRef,
)
from pica.evidence.runtime import (
    ApiEvent,
    ConsentEvent,
    LifecycleEvent,
    PermissionEvent,
    Trace,
    UiEvent,
)

__all__ = [
    "ApiFrequency",
    "IdentifierMatch",
    "PhasedApiEvent",
    "RuntimeAnalysis",
    "ApiEvent",
    "LifecycleEvent",
    "NetRequest",
    "PermissionEvent",
    "Trace",
    "UiEvent",
    "ApiUse",
    "AppInfo",
    "Change",
    "CategoryProposal",
    "CategorySignal",
    "ChecklistAnswer",
    "Component",
    "Consistency",
    "ConsentEvent",
    "EmbeddedPolicy",
    "Evidence",
    "HiddenCode",
    "HostRef",
    "PackerPresence",
    "PackerSignal",
    "Party",
    "Permission",
    "PiDisclosure",
    "PolicyEvidence",
    "PolicyPi",
    "PolicyProfile",
    "PolicyStatement",
    "ReachablePath",
    "ResourceString",
    "SdkDisclosure",
    "SigningCert",
    "SdkPresence",
    "Searched",
    "Span",
    "TextRef",
    "VersionDiff",
]


@dataclass
class Evidence:
    """All facts about one app, from every input given. Rules receive only this."""

    inputs: dict[str, str] = field(default_factory=dict)  # kind -> file name or URL
    app: AppInfo | None = None
    category: str | None = None  # --category: the app type 4.1 is judged against
    # the type the APK and policy point to, when no --category was given (audit.gather)
    category_proposal: CategoryProposal | None = None
    permissions: tuple[Permission, ...] = ()
    components: tuple[Component, ...] = ()
    api_uses: tuple[ApiUse, ...] = ()
    hosts: tuple[HostRef, ...] = ()
    embedded_policies: tuple[EmbeddedPolicy, ...] = ()
    resource_strings: tuple[ResourceString, ...] = ()
    sdks: tuple[SdkPresence, ...] = ()  # third-party SDKs (collect or send data themselves)
    libraries: tuple[SdkPresence, ...] = ()  # open-source libraries bundled into the app
    reachable: tuple[ReachablePath, ...] | None = None  # None: reachability not analysed
    consistency: Consistency | None = None  # behaviour against policy: APK and policy both given
    version_diff: VersionDiff | None = None  # against an earlier version (pica diff)
    policy: PolicyEvidence | None = None
    checklist: tuple[ChecklistAnswer, ...] = ()
    trace: Trace | None = None  # a runtime recording (pica trace, audit --trace)
    network: tuple[NetRequest, ...] = ()  # requests from captures (--net) and the trace
    device_profile: dict[str, str] = field(default_factory=dict)  # taxonomy id -> seeded value
    runtime: RuntimeAnalysis | None = None  # the trace and captures joined (pica.analysis)
    warnings: tuple[str, ...] = ()  # what readers skipped: "t.jsonl: line 12: unknown kind…"
    # third-party SDKs detected only weakly (a domain string alone, manifest entries whose
    # classes are absent): listed in the report, never counted by a rule or the comparison
    weak_sdks: tuple[SdkPresence, ...] = ()
    packers: tuple[PackerPresence, ...] = ()  # packers detected in the APK (analysis.packers)
    # code out of a static reader's sight (packed DEX, encrypted payloads, unresolved
    # reflection); an absence verdict is inconclusive while one blocks it (rules.common)
    hidden_code: tuple[HiddenCode, ...] = ()

    @property
    def has_apk(self) -> bool:
        return "apk" in self.inputs

    @property
    def has_policy(self) -> bool:
        return self.policy is not None

    @property
    def has_unpacked_dex(self) -> bool:
        """DEX files dumped at run time were given (--dex-dir): hidden code is in sight."""
        return "dex_dir" in self.inputs

    def code_hidden(self) -> tuple[HiddenCode, ...]:
        """The hidden code that makes an absence in the code no evidence: none once the DEX
        dumped at run time is given (--dex-dir)."""
        if self.has_unpacked_dex:
            return ()
        return tuple(h for h in self.hidden_code if h.blocks_absence)

    @property
    def has_trace(self) -> bool:
        return "trace" in self.inputs

    @property
    def has_network(self) -> bool:
        return "network" in self.inputs

    def checklist_for(self, item_id: str) -> ChecklistAnswer | None:
        for answer in self.checklist:
            if answer.item_id == item_id:
                return answer
        return None
