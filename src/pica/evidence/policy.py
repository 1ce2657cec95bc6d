"""Facts read from a privacy policy: its sentences and the whole-text profile.

Every item keeps the text it came from (``TextRef``: text, character span, section heading), so
a rule can quote it and a reader can find it again.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    topics: tuple[str, ...] = ()  # CAPP-130 data-practice topics (extract.policy.topics)
    # What its PI terms disclose (extract.policy.mentions): the types it says are collected,
    # used or shared (general terms expanded), or why it discloses none; its list lead-in.
    collected: tuple[str, ...] = ()
    not_collected: str = ""
    lead_in: int | None = None  # index in PolicyEvidence.statements
    # Where its collected PI gets a purpose (sentence | heading | lead-in | sentence before |
    # sentence after; "" when nowhere near) and the sentence that gives it (an index).
    purpose_from: str = ""
    purpose_at: int | None = None


@dataclass(frozen=True)
class TextRef:
    text: str
    span: Span
    section: str


@dataclass(frozen=True)
class PolicyDate:
    kind: str  # effective | updated | published | unknown
    value: str  # ISO yyyy-mm-dd
    ref: TextRef


@dataclass(frozen=True)
class Controller:
    names: tuple[str, ...]  # company names stated as operator/controller
    address: str | None
    refs: tuple[TextRef, ...]


@dataclass(frozen=True)
class Right:
    kind: str  # access | correct | delete | cancel_account | withdraw_consent | personalisation_off
    path: str | None  # UI path such as 我的-设置-账号注销, if the text gives one
    ref: TextRef


@dataclass(frozen=True)
class Channel:
    kind: str  # email | phone | address | online | fax
    value: str
    complaint: bool  # the sentence names complaints/reports (投诉/举报)
    ref: TextRef


@dataclass(frozen=True)
class ResponseLimit:
    scope: str  # rights | complaint | general
    amount: int
    unit: str  # as written: 工作日, 天, 个月…
    working_days: int  # normalised
    ref: TextRef


@dataclass(frozen=True)
class Readability:
    chars: int  # visible characters (no whitespace)
    sentences: int
    avg_sentence_chars: float
    max_sentence_chars: int
    words: int | None  # jieba words in the sampled text
    jargon_terms: int
    jargon_per_1000_chars: float
    top_jargon: tuple[str, ...]
    script: str  # simplified | traditional | english | other
    has_simplified_chinese: bool
    body_font_px: float | None  # HTML with CSS only
    smallest_font_px: float | None  # smallest size carrying >= 5% of the text
    text_color: str | None
    background_color: str | None
    contrast_ratio: float | None
    style_share: float  # share of characters in the body style
    format: str  # html | pdf | text


@dataclass(frozen=True)
class SdkRow:
    name: str
    vendor: str
    purpose: str
    pi_text: str
    pi_types: tuple[str, ...]
    policy_url: str
    ref: TextRef


@dataclass(frozen=True)
class CollectionRow:
    function: str
    pi_text: str
    pi_types: tuple[str, ...]
    purpose: str
    ref: TextRef


@dataclass(frozen=True)
class Section:
    heading: str
    level: int
    span: Span


@dataclass(frozen=True)
class PolicyProfile:
    name: str
    format: str
    title: str
    sections: tuple[Section, ...]
    dates: tuple[PolicyDate, ...]
    controller: Controller
    rights: tuple[Right, ...]
    channels: tuple[Channel, ...]
    response_limits: tuple[ResponseLimit, ...]
    change_notices: tuple[TextRef, ...]
    minors: tuple[TextRef, ...]
    personalisation: tuple[TextRef, ...]
    unreasonable_conditions: tuple[TextRef, ...]
    forced_consent: tuple[TextRef, ...]
    readability: Readability
    sdk_rows: tuple[SdkRow, ...]
    collection_rows: tuple[CollectionRow, ...]
    sentence_labels: tuple[tuple[str, ...], ...]  # aligned with PolicyEvidence.statements

    @property
    def effective_date(self) -> str | None:
        for kind in ("effective", "updated", "published", "unknown"):
            for d in self.dates:
                if d.kind == kind:
                    return d.value
        return None

    def rights_of(self, kind: str) -> tuple[Right, ...]:
        return tuple(r for r in self.rights if r.kind == kind)


@dataclass(frozen=True)
class PolicyPi:
    """One row of the policy's PI table: a PI type it says is collected, by whom, where, and
    with what purpose (the sentence or table row giving it; None when none is near)."""

    pi_type: str
    party: str  # "app", or the SDK's name as the policy's SDK table gives it
    ref: TextRef  # the sentence or table row that discloses it
    purpose_from: (
        str  # sentence | heading | lead-in | sentence before | sentence after | table | ""
    )
    purpose: TextRef | None


@dataclass(frozen=True)
class PolicyEvidence:
    """Everything the policy extractor gives the rules: statements plus the whole-text profile.

    ``profile`` is None only when a caller built the evidence without pica's policy reader.
    """

    location: str
    text: str
    statements: tuple[PolicyStatement, ...]
    profile: PolicyProfile | None = None
    pi_table: tuple[PolicyPi, ...] = ()  # every disclosed PI type, by party (extract.policy)
