"""Facts derived by joining inputs (made in ``pica.analysis``), and what a search covered."""

from __future__ import annotations

from dataclasses import dataclass

from pica.evidence.apk import ApiUse, Permission
from pica.evidence.network import NetRequest
from pica.evidence.policy import TextRef
from pica.evidence.runtime import ApiEvent


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
class Searched:
    """What was looked for, and where, when a verdict rests on finding nothing.

    "The policy never mentions withdrawal" is only as good as the search behind it: a reviewer
    must see which terms or API list were tried over which part of which input.
    """

    what: str  # in words: "a way to withdraw consent"
    terms: tuple[str, ...]  # examples of what would have counted, in the input's words
    patterns: tuple[str, ...]  # what was actually applied: lexicon entries, API lists
    input: str  # apk | policy | trace | network
    scope: str  # where in that input: "whole policy (35,823 characters, 212 sentences)"
    source: str  # file name, with a character span or path where there is one


@dataclass(frozen=True)
class PiDisclosure:
    """One PI type one party reaches, compared with what the policy says of it.

    ``party`` is "app" (the app's own code and its open-source libraries) or an SDK's catalog
    id. ``evidence`` holds both kinds of behaviour fact: call sites (``ApiUse``) and, for the
    app, the permissions (``Permission``) that reach the type.
    """

    pi_type: str
    party: str
    reach: str  # reachable | permission (runtime | network once traces and captures exist)
    evidence: tuple[ApiUse | Permission, ...]
    disclosed: bool
    policy_ref: TextRef | None  # the sentence or table row that discloses it
    covered_by: str | None  # the general term that covers it ("设备信息"), None when named
    purpose_stated: bool
    denied_by: TextRef | None  # a sentence saying the type is not collected


@dataclass(frozen=True)
class SdkDisclosure:
    """One detected SDK compared with the policy's SDK list and sharing sentences."""

    sdk_id: str
    name: str
    disclosed: bool
    matched: str | None  # the policy's words that named it (an alias, or the row's name)
    policy_ref: TextRef | None
    purpose_stated: bool
    pi_listed: bool  # the row or sentence names PI the SDK collects
    reaches_pi: tuple[str, ...]  # PI types its reachable code reaches
    pre_ui: bool  # initialised or reaching PI before any UI (a firm pre-UI path)


@dataclass(frozen=True)
class Consistency:
    """The app's behaviour against its policy: every comparison, violation or not."""

    pi: tuple[PiDisclosure, ...]
    sdks: tuple[SdkDisclosure, ...]
    policy_sdks_not_found: tuple[str, ...]  # SDKs the policy lists that the APK does not carry
    searched: Searched  # where in the policy disclosures were looked for


@dataclass(frozen=True)
class Change:
    """One thing added to or removed from an app between two versions."""

    key: str  # what it is, comparable across versions: a permission, "pi_type @ party", an SDK id
    detail: str  # in words, for a reader
    source: str  # where it is in the version that has it


@dataclass(frozen=True)
class VersionDiff:
    """What changed from an earlier version of the app (and its policy) to this one."""

    old_name: str  # the earlier APK's file name
    permissions: tuple[tuple[Change, ...], tuple[Change, ...]]  # (added, removed)
    pi_types: tuple[tuple[Change, ...], tuple[Change, ...]]  # reached PI per party
    sdks: tuple[tuple[Change, ...], tuple[Change, ...]]
    preconsent_paths: tuple[tuple[Change, ...], tuple[Change, ...]]
    policy: tuple[tuple[TextRef, ...], tuple[TextRef, ...]] | None  # sentences; None: no policies
    policy_changed: bool | None  # None: no policy given for one of the versions


@dataclass(frozen=True)
class PhasedApiEvent:
    """A sensitive API call seen at run time, placed in its consent phase and given its party."""

    event: ApiEvent
    phase: str  # before_consent | after_accept | after_decline | after_withdraw
    background: bool
    party: str  # "app" or the SDK's catalog id
    frame: str  # the stack frame that decided the party ("" when no frame was usable)


@dataclass(frozen=True)
class IdentifierMatch:
    """A seeded identifier of the device profile found in a request the app sent."""

    pi_type: str
    value: str  # the seeded value, masked: 861…23
    encoding: str  # plain, upper, no_separators, url, base64, hex, md5, sha1, sha256 (…_upper)
    where: str  # url | header:<name> | body
    excerpt: str  # the matched bytes with a little context, as text
    request: NetRequest
    party: str  # "app", an SDK's catalog id, or "unknown"
    phase: str  # consent phase at the request's time ("unknown" when its clock is not aligned)


@dataclass(frozen=True)
class ApiFrequency:
    """How often one party called one API, at its busiest within the configured window."""

    api: str
    party: str
    count: int  # calls in the whole trace
    window_ms: int
    max_in_window: int
    lines: tuple[int, ...]  # trace lines of the calls in the busiest window


@dataclass(frozen=True)
class RuntimeAnalysis:
    """The trace and captures joined: phases, parties, frequencies, identifiers sent."""

    api: tuple[PhasedApiEvent, ...]
    matches: tuple[IdentifierMatch, ...]
    frequencies: tuple[ApiFrequency, ...]
    hosts: tuple[tuple[str, str], ...]  # (host, party) for every host contacted
    first_consent_shown: int | None  # times (ms) of the consent boundary events
    first_accept: int | None
    first_decline: int | None
    first_withdraw: int | None


@dataclass(frozen=True)
class CategorySignal:
    """One fact that points the app to an app type, phrased so a reviewer can check it."""

    kind: str  # name | policy_text | sdk | permission | component
    text: str  # 'label "百度地图" contains 地图', 'SDK amap (maps_location)'
    weight: float
    source: str  # where to find it: manifest element, SDK detection signal, policy span


@dataclass(frozen=True)
class CategoryProposal:
    """The app type (of the 39 of the 2021 provisions) the APK and policy point to, when no
    ``--category`` was given (made in ``pica.analysis.category``).

    ``confidence`` is the best type's share of the evidence (see the analysis module); item 4.1
    is judged against ``category`` only when it reaches ``threshold``.
    """

    category: str  # app type id
    confidence: float  # in [0, 1], rounded to 2 decimals
    threshold: float
    score: float  # the type's summed (capped) weights
    signals: tuple[CategorySignal, ...]  # those that point to ``category``
    runner_up: str | None = None  # the next best type, None when no other type scored
    runner_up_confidence: float = 0.0
    runner_up_score: float = 0.0
    runner_up_signals: tuple[CategorySignal, ...] = ()

    @property
    def confident(self) -> bool:
        return self.confidence >= self.threshold
