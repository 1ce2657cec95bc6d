"""Policy versus behaviour: each PI type a party reaches and each SDK the APK carries, compared
with what the privacy policy discloses.

The behaviour side: call sites that an entry point of the app reaches (``ApiUse.reachable``;
all of them when reachability was not analysed), attributed to the app or to the SDK whose code
makes them, and the permissions the app requests. The policy side: its sentences, its PI
collection table and its third-party SDK table, with the general terms of
``knowledge/data/pi_generalisation.yaml`` (设备信息 discloses IMEI, Android ID, OAID…). A
sentence that says a type is *not* collected (我们不会收集您的通讯录) is recorded as a denial.

Matching is per party: the app's own collection is disclosed by the policy's own statements
and collection table, an SDK's by its row in the SDK table or a sentence naming it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from pica import knowledge
from pica.analysis.reachability import FIRM
from pica.evidence import (
    ApiUse,
    Consistency,
    Permission,
    PiDisclosure,
    PolicyEvidence,
    PolicyStatement,
    ReachablePath,
    SdkDisclosure,
    SdkPresence,
    Searched,
    TextRef,
)
from pica.extract.policy.mentions import covered_types
from pica.knowledge.sdks import SHARED_LIBRARY, catalog_by_id

APP = "app"


@dataclass(frozen=True)
class _Disclosure:
    ref: TextRef
    covered_by: str | None
    purpose: bool


@cache
def _pattern(name: str) -> re.Pattern[str]:
    """A pattern of the lexicon's ``consistency`` section."""
    return re.compile(knowledge.policy_lexicon()["consistency"][name]["pattern"], re.IGNORECASE)


def _ref(s: PolicyStatement) -> TextRef:
    return TextRef(s.text, s.span, s.section)


def _overlaps(span, spans: Sequence[tuple[int, int]]) -> bool:
    return any(span.start < b and a < span.end for a, b in spans)


def _is_denial(text: str) -> bool:
    return bool(_pattern("denial").search(text)) and not _pattern("denial_exception").search(text)


def _types_of(text: str, named: Iterable[str]) -> dict[str, str | None]:
    """{PI type: None when named, else the general term covering it} for one text."""
    out: dict[str, str | None] = {pi: None for pi in named}
    for pi, term in covered_types(text).items():
        out.setdefault(pi, term)
    return out


def _app_disclosures(policy: PolicyEvidence) -> tuple[dict[str, _Disclosure], dict[str, TextRef]]:
    """The policy's own disclosures by PI type (outside the SDK table), and its denials."""
    prof = policy.profile
    sdk_rows = prof.sdk_rows if prof else ()
    sdk_spans = [(r.ref.span.start, r.ref.span.end) for r in sdk_rows]
    # The SDK table's section: rows the table reader could not split are sentences there.
    sdk_sections = {r.ref.section for r in sdk_rows if r.ref.section}
    disclosed: dict[str, _Disclosure] = {}
    denied: dict[str, TextRef] = {}
    for s in policy.statements:
        if _overlaps(s.span, sdk_spans) or s.section in sdk_sections:
            continue
        if s.not_collected:
            continue  # a definition, boilerplate, a contact channel…: no disclosure (the reader)
        types = _types_of(s.text, s.pi_types)
        if _is_denial(s.text):
            for pi in types:
                denied.setdefault(pi, _ref(s))
            continue
        for pi, term in types.items():
            _keep_best(disclosed, pi, _Disclosure(_ref(s), term, bool(s.purposes)))
    for row in prof.collection_rows if prof else ():
        for pi, term in _types_of(row.ref.text, row.pi_types).items():
            _keep_best(disclosed, pi, _Disclosure(row.ref, term, bool(row.purpose)))
    return disclosed, denied


def _keep_best(table: dict[str, _Disclosure], pi: str, new: _Disclosure) -> None:
    """The first disclosure, unless a later one names the type where the first only covered
    it with a general term, or gives a purpose where the first gave none."""
    known = table.get(pi)
    rank = (new.covered_by is None, new.purpose)
    if known is None or rank > (known.covered_by is None, known.purpose):
        table[pi] = new


def _norm(text: str) -> str:
    """Case, full/half width and spaces ignored: 'ＵＭｅｎｇ +' and 'umeng+' compare equal."""
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "")


def _alias_pattern(alias: str) -> re.Pattern[str]:
    key = re.escape(_norm(alias))
    if alias.isascii():  # "Mob" must not match "mobile"
        return re.compile(rf"(?<![a-z0-9]){key}(?![a-z0-9])")
    return re.compile(key)


def sdk_names(sdk: SdkPresence) -> tuple[str, ...]:
    """Every name a policy may use for the SDK, longest first (aliases, English, Chinese)."""
    names = {n.strip() for n in (*sdk.aliases, sdk.name, sdk.name_zh or "") if n and n.strip()}
    return tuple(sorted((n for n in names if len(_norm(n)) >= 2), key=lambda n: (-len(n), n)))


def _best_names(sdks: Sequence[SdkPresence], texts: Sequence[str]) -> dict[int, tuple[str, str]]:
    """{text index: (sdk id, the name that matched)}: each text goes to the SDK with the
    longest matching name, so a row 友盟推送 is Umeng Push's even though 友盟 (Umeng
    Analytics) also occurs in it."""
    patterns = [(s.sdk_id, name, _alias_pattern(name)) for s in sdks for name in sdk_names(s)]
    best: dict[int, tuple[str, str]] = {}
    if not patterns:
        return best
    for i, text in enumerate(texts):
        norm = _norm(text)
        hits = [(len(_norm(name)), sdk_id, name) for sdk_id, name, p in patterns if p.search(norm)]
        if hits:
            _n, sdk_id, name = max(hits)
            best[i] = (sdk_id, name)
    return best


def _sdk_disclosed_types(policy: PolicyEvidence, ref: TextRef) -> dict[str, _Disclosure]:
    """PI types the SDK's row or sentence discloses (the sentences inside the row count)."""
    out: dict[str, _Disclosure] = {}
    inside = [s for s in policy.statements if ref.span.start <= s.span.start < ref.span.end]
    named = {pi for s in inside for pi in s.pi_types}
    row = (
        next((r for r in policy.profile.sdk_rows if r.ref == ref), None) if policy.profile else None
    )
    if row is not None:
        named.update(row.pi_types)
    purpose = bool(row.purpose) if row is not None else any(s.purposes for s in inside)
    for pi, term in _types_of(ref.text, named).items():
        out[pi] = _Disclosure(ref, term, purpose)
    return out


def _behaviour(
    api_uses: Iterable[ApiUse], permissions: Iterable[Permission]
) -> dict[tuple[str, str], list[ApiUse | Permission]]:
    found: dict[tuple[str, str], list[ApiUse | Permission]] = {}
    for use in api_uses:
        if use.reachable is False:
            continue  # present in the package, never reached: not collection
        found.setdefault((use.pi_type, use.sdk or APP), []).append(use)
    for perm in permissions:
        if perm.is_runtime or perm.protection in ("special", "signature"):
            for pi in perm.pi_types:
                found.setdefault((pi, APP), []).append(perm)
    return found


def compare(
    policy: PolicyEvidence,
    api_uses: Sequence[ApiUse],
    permissions: Sequence[Permission],
    sdks: Sequence[SdkPresence],
    reachable: Sequence[ReachablePath] | None,
) -> Consistency:
    """Every reached PI type and every detected SDK against the policy."""
    app_disclosed, denied = _app_disclosures(policy)
    rows = policy.profile.sdk_rows if policy.profile else ()
    row_owner = _best_names(sdks, [r.name for r in rows])
    sentence_owner = _best_names(sdks, [s.text for s in policy.statements])
    sdk_results: list[SdkDisclosure] = []
    sdk_disclosed: dict[str, dict[str, _Disclosure]] = {}

    def named(sdk_id: str) -> tuple[TextRef, str, bool, bool] | None:
        """Where the policy names the SDK: its row, else a sentence (ref, words, purpose, PI)."""
        row = next((i for i, (owner, _n) in row_owner.items() if owner == sdk_id), None)
        if row is not None:
            ref = rows[row].ref
            pi_listed = bool(rows[row].pi_types or rows[row].pi_text or covered_types(ref.text))
            return ref, row_owner[row][1], bool(rows[row].purpose), pi_listed
        hit = next((i for i, (owner, _n) in sentence_owner.items() if owner == sdk_id), None)
        if hit is None:
            return None
        statement = policy.statements[hit]
        pi_listed = bool(statement.pi_types or covered_types(statement.text))
        return _ref(statement), sentence_owner[hit][1], bool(statement.purposes), pi_listed

    present = {s.sdk_id for s in sdks}
    for sdk in sdks:
        reaches = sorted(
            {u.pi_type for u in api_uses if u.sdk == sdk.sdk_id and u.reachable is not False}
        )
        pre_ui = any(
            p.sdk == sdk.sdk_id and not p.gated_by and p.confidence in FIRM for p in reachable or ()
        )
        where = named(sdk.sdk_id)
        if where is None and sdk.category == SHARED_LIBRARY:
            # A shared library the policy does not name is disclosed as part of a detected SDK
            # that ships it (the catalog's carried_by) and that the policy names.
            entry = catalog_by_id().get(sdk.sdk_id)
            carriers = [c for c in (entry.carried_by if entry else ()) if c in present]
            where = next((w for c in carriers if (w := named(c)) is not None), None)
        if where is None:
            sdk_results.append(
                SdkDisclosure(
                    sdk.sdk_id, sdk.name, False, None, None, False, False, tuple(reaches), pre_ui
                )  # fmt: skip
            )
            continue
        ref, name, purpose, pi_listed = where
        sdk_disclosed[sdk.sdk_id] = _sdk_disclosed_types(policy, ref)
        sdk_results.append(
            SdkDisclosure(
                sdk.sdk_id, sdk.name, True, name, ref, purpose, pi_listed, tuple(reaches), pre_ui
            )  # fmt: skip
        )
    not_found = tuple(r.name for i, r in enumerate(rows) if i not in row_owner and r.name)

    pi_results: list[PiDisclosure] = []
    for (pi, party), facts in sorted(_behaviour(api_uses, permissions).items()):
        table = app_disclosed if party == APP else sdk_disclosed.get(party, {})
        hit = table.get(pi)
        reach = "reachable" if any(isinstance(f, ApiUse) for f in facts) else "permission"
        pi_results.append(
            PiDisclosure(
                pi_type=pi,
                party=party,
                reach=reach,
                evidence=tuple(facts),
                disclosed=hit is not None,
                policy_ref=hit.ref if hit else None,
                covered_by=hit.covered_by if hit else None,
                purpose_stated=bool(hit and hit.purpose),
                denied_by=denied.get(pi),
            )
        )
    name = (policy.profile.name if policy.profile else None) or policy.location
    return Consistency(
        pi=tuple(pi_results),
        sdks=tuple(sdk_results),
        policy_sdks_not_found=not_found,
        searched=Searched(
            what="each reached PI type, by its names and synonyms or a general term that covers "
            "it, and each detected SDK, by its catalog names and aliases",
            terms=tuple(sorted({n for g in knowledge.pi_generalisation() for n in g.names[:2]})),
            patterns=(
                "pi_taxonomy.yaml names and synonyms",
                "pi_generalisation.yaml",
                "sdk_catalog.json aliases",
                "policy_lexicon.yaml consistency.denial",
            ),
            input="policy",
            scope=f"every sentence that states processing of PI, the collection table and the "
            f"third-party SDK table ({len(rows)} rows) of the whole policy "
            f"({len(policy.text)} characters, {len(policy.statements)} sentences)",
            source=f"{name}: chars 0-{len(policy.text)}",
        ),
    )
