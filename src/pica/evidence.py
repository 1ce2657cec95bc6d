"""Typed facts: what the extractors found, before any rule judges it.

Every fact is immutable and carries a ``source`` string a reader can use to find it again
(file + offset, class + method, sentence span, event number). Rules read only these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Party(StrEnum):
    """Who makes a call or receives data."""

    FIRST = "first"  # the app's own code or back-end
    THIRD = "third"  # an embedded SDK or an outside service


@dataclass(frozen=True)
class AppInfo:
    """Identity of the audited package."""

    package: str
    version_name: str | None = None
    version_code: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    label: str | None = None
    application_class: str | None = None
    file_name: str = ""
    sha256: str = ""
    size: int = 0
    dex_files: tuple[str, ...] = ()
    class_count: int = 0
    method_count: int = 0


@dataclass(frozen=True)
class Permission:
    """A permission the manifest requests (uses-permission or uses-permission-sdk-23)."""

    name: str
    protection: str  # dangerous | normal | signature | special | unknown
    pi_types: tuple[str, ...]
    source: str
    max_sdk: int | None = None

    @property
    def is_runtime(self) -> bool:
        return self.protection == "dangerous"


@dataclass(frozen=True)
class Component:
    """An activity, service, receiver or provider declared in the manifest."""

    kind: str  # activity | service | receiver | provider | activity-alias
    name: str
    exported: bool | None
    source: str
    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authorities: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class ApiUse:
    """A call site (or field read) of a framework API that reaches personal information."""

    pi_type: str
    api: str  # e.g. android.telephony.TelephonyManager.getDeviceId
    caller_class: str  # dotted Java name
    caller_method: str  # name + descriptor, e.g. onCreate(Landroid/os/Bundle;)V
    dex: str
    offset: int  # byte offset of the instruction in the dex file
    source: str
    party: Party = Party.FIRST
    sdk: str | None = None  # catalog id of the SDK whose code makes the call
    library: str | None = None  # catalog id of the bundled open-source library holding the call

    @property
    def caller(self) -> str:
        return f"{self.caller_class}.{self.caller_method.split('(', 1)[0]}"


@dataclass(frozen=True)
class HostRef:
    """A URL or host name found as a string constant in code or resources."""

    host: str
    url: str
    source: str


@dataclass(frozen=True)
class EmbeddedPolicy:
    """A privacy policy the package carries: a text/HTML file or a link to one."""

    kind: str  # file | url | mention (a UI string naming the policy, no text or link)
    location: str  # path inside the APK, or the URL
    excerpt: str
    source: str


@dataclass(frozen=True)
class ResourceString:
    """A string resource value (used to look for permission purpose texts and policy links)."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class SdkPresence:
    """A third-party SDK detected in the package, with the signals it rests on."""

    sdk_id: str
    name: str
    name_zh: str | None
    vendor: str
    category: str
    chinese: bool
    signals: tuple[str, ...]
    pi_types: tuple[str, ...] = ()
    policy_url: str | None = None


@dataclass(frozen=True)
class ReachablePath:
    """A sensitive API or SDK initialisation reachable before any UI exists."""

    kind: str  # api | sdk_init
    target: str
    entry_point: str
    path: tuple[str, ...]
    confidence: str  # high | medium | low
    hop_kinds: tuple[str, ...]  # direct | virtual | async
    pi_type: str | None = None
    sdk: str | None = None
    gated_by: str | None = None  # the consent check seen on the path, if any
    source: str = ""


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class PolicyStatement:
    """One sentence of a privacy policy and what it says about personal information."""

    text: str
    span: Span
    section: str
    pi_types: tuple[str, ...] = ()
    actions: tuple[
        str, ...
    ] = ()  # collect | use | share | entrust | transfer | disclose | store | cross_border
    purposes: tuple[str, ...] = ()
    receivers: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class PolicyEvidence:
    """Everything the policy extractor gives the rules: statements plus the whole-text profile.

    ``profile`` is the policy analyser's profile object; rules read it by attribute.
    """

    location: str
    text: str
    statements: tuple[PolicyStatement, ...]
    profile: object | None = None


@dataclass(frozen=True)
class ChecklistAnswer:
    """A human tester's answer for one item: pass, fail or not_applicable, with a note."""

    item_id: str
    result: str
    note: str
    source: str


@dataclass(frozen=True)
class Collection:
    """Runtime: a PI-reaching API observed in a trace (roadmap: trace importers)."""

    pi_type: str
    api: str
    time_ms: int
    before_consent: bool | None
    stack: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class ConsentEvent:
    """Runtime: the user agreed to or refused the policy or a permission."""

    kind: str  # policy_shown | policy_accepted | policy_refused | permission_granted | permission_denied
    time_ms: int
    detail: str
    source: str


@dataclass(frozen=True)
class Flow:
    """Network: a request to a host, with the party and the PI found in it."""

    host: str
    party: Party
    pi_types: tuple[str, ...]
    time_ms: int | None
    source: str


@dataclass
class Evidence:
    """All facts about one app, from every input given. Rules receive only this."""

    inputs: dict[str, str] = field(default_factory=dict)  # kind -> file name or URL
    app: AppInfo | None = None
    category: str | None = None
    permissions: tuple[Permission, ...] = ()
    components: tuple[Component, ...] = ()
    api_uses: tuple[ApiUse, ...] = ()
    hosts: tuple[HostRef, ...] = ()
    embedded_policies: tuple[EmbeddedPolicy, ...] = ()
    resource_strings: tuple[ResourceString, ...] = ()
    sdks: tuple[SdkPresence, ...] = ()  # third-party SDKs (collect or send data themselves)
    libraries: tuple[SdkPresence, ...] = ()  # open-source libraries bundled into the app
    reachable: tuple[ReachablePath, ...] | None = None  # None: reachability not analysed
    policy: PolicyEvidence | None = None
    checklist: tuple[ChecklistAnswer, ...] = ()
    collections: tuple[Collection, ...] = ()
    consent_events: tuple[ConsentEvent, ...] = ()
    flows: tuple[Flow, ...] = ()

    @property
    def has_apk(self) -> bool:
        return "apk" in self.inputs

    @property
    def has_policy(self) -> bool:
        return self.policy is not None

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
