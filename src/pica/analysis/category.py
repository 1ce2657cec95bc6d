"""Which of the 39 app types of the 2021 necessary-PI provisions an app most likely is.

Item 4.1 judges the PI an app reaches against the necessary PI of its type. Without
``--category`` the type is proposed here from what the APK and the policy say of themselves,
with the reviewed signals of ``knowledge/data/app_type_signals.yaml``:

- names: the app label, the package name and the policy title hold a type's name (地图, 外卖,
  bank, didi…). One name (with its synonyms) counts once per type, at the weight of the
  strongest place it was found;
- policy text: the policy, outside its SDK table, uses a type's basic-function words (定位和导航,
  网络预约出租汽车, 防沉迷…) at least twice;
- SDKs: a detected SDK listed for a type by catalog id (a map SDK, a game engine), else by its
  catalog category (payment, maps_location);
- permissions: a manifest permission typical of a type (ACTIVITY_RECOGNITION, SET_ALARM…);
- components: an intent-filter action or category only a type declares (an input method
  service's ``android.view.InputMethod``, ``android.intent.category.APP_MAPS``…).

Each signal adds its weight to the types it is listed under; no kind adds more than its cap to
one type. The confidence of the best type is its share of ``exp(score)`` over all 39 types::

    confidence = exp(s_best) / sum(exp(s_t) for the 39 types t)

that is, the scores read as log-odds with every type equally likely before any signal. It is
high only when the best type has much evidence (the 38 others keep a share each, so a lone
signal stays low: a name in the label alone gives 0.24) *and* a clear margin over the runner-up
(two equal scores cap both at 0.5); a signal two types share does not separate them. The value
is rounded to 2 decimals and compared with the file's ``threshold`` (0.5: more likely
than the 38 other types together).

Deterministic: ties go to the type listed first in the provisions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pica import knowledge
from pica.evidence import (
    AppInfo,
    CategoryProposal,
    CategorySignal,
    Component,
    Permission,
    PolicyEvidence,
    SdkPresence,
)

__all__ = ["propose_category"]

_CJK = re.compile(r"[\u3400-\u9fff]")
_SEGMENT = re.compile(r"[^0-9A-Za-z]+")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_TITLE_LINE_MAX = 60  # a text policy's first line is its title only when it is this short
_KIND_ORDER = ("name", "component", "sdk", "policy_text", "permission")


@dataclass(frozen=True)
class _Place:
    """One place a name can be read: the label, the package or the policy title."""

    what: str  # label | package | policy title
    text: str
    tokens: frozenset[str]
    weight: float
    source: str


def _tokens(text: str) -> frozenset[str]:
    """Lower-case ASCII segments of ``text`` (split at anything not a letter or digit) plus their
    camelCase and letter/digit parts: "com.baidu.BaiduMap" -> com, baidu, baidumap, map."""
    out: set[str] = set()
    for segment in _SEGMENT.split(text):
        if segment:
            out.add(segment.lower())
            out.update(part.lower() for part in _PARTS.findall(segment))
    return frozenset(out)


def _matches(word: str, place: _Place) -> bool:
    """Whether ``word`` occurs in the place, by the file's matching rules."""
    if _CJK.search(word):
        return word.lower() in place.text.lower()
    exact = word.startswith("=")
    w = word.removeprefix("=").lower()
    if exact or len(w) <= 3:
        return w in place.tokens
    return any(t.startswith(w) or t.endswith(w) for t in place.tokens)


def _policy_title(policy: PolicyEvidence) -> str:
    """The policy's title: the document's own, else a short first line of its text."""
    if policy.profile is not None and policy.profile.title.strip():
        return policy.profile.title.strip()
    for line in policy.text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= _TITLE_LINE_MAX else ""
    return ""


def _policy_body(policy: PolicyEvidence) -> str:
    """The policy text with its SDK-table rows blanked out (same length, so spans still hold):
    an SDK's description (高德地图 SDK, 用于导航) says what the SDK does, not what the app is."""
    text = policy.text
    if policy.profile is None or not policy.profile.sdk_rows:
        return text
    pieces, at = [], 0
    for start, end in sorted((r.ref.span.start, r.ref.span.end) for r in policy.profile.sdk_rows):
        start, end = max(start, at), min(max(end, at), len(text))
        pieces += [text[at:start], " " * (end - start)]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _places(
    app: AppInfo | None, policy: PolicyEvidence | None, weights: dict[str, float]
) -> list[_Place]:
    places = []
    apk = app.file_name if app and app.file_name else "APK"
    if app is not None and app.label and not app.label.startswith("@"):
        places.append(
            _Place(
                "label",
                app.label,
                _tokens(app.label),
                weights["label"],
                f"{apk}: AndroidManifest.xml <application android:label>",
            )
        )
    if app is not None and app.package:
        places.append(
            _Place(
                "package",
                app.package,
                _tokens(app.package),
                weights["package"],
                f"{apk}: AndroidManifest.xml <manifest package>",
            )
        )
    if policy is not None:
        title = _policy_title(policy)
        if title:
            places.append(
                _Place(
                    "policy title",
                    title,
                    _tokens(title),
                    weights["policy_title"],
                    f"{policy.location}: title",
                )
            )
    return places


def _found_in(place: _Place, word: str) -> str:
    if place.what == "package":
        return f"package {place.text} contains {word}"
    return f'{place.what} "{place.text}" contains {word}'


def _name_signals(spec: knowledge.TypeSignals, places: list[_Place]) -> list[CategorySignal]:
    signals = []
    for name in spec.names:
        found: list[tuple[_Place, str]] = []
        for place in places:
            word = next((w for w in name if _matches(w, place)), None)
            if word is not None:
                found.append((place, word.removeprefix("=")))
        if not found:
            continue
        text = ", ".join(_found_in(place, word) for place, word in found)
        signals.append(
            CategorySignal(
                kind="name",
                text=text,
                weight=max(p.weight for p, _ in found),
                source="; ".join(p.source for p, _ in found),
            )
        )
    return signals


def _policy_signals(
    spec: knowledge.TypeSignals, body: str, lower: str, location: str, min_count: int
) -> list[CategorySignal]:
    signals = []
    for entry in spec.policy_text:
        term = entry.term if _CJK.search(entry.term) else entry.term.lower()
        haystack = body if _CJK.search(entry.term) else lower
        count = haystack.count(term)
        if count >= min_count:
            start = haystack.find(term)
            signals.append(
                CategorySignal(
                    kind="policy_text",
                    text=f"policy text mentions {entry.term} ({count}×)",
                    weight=entry.weight,
                    source=f"{location}: chars {start}-{start + len(term)}",
                )
            )
    return signals


def _sdk_signals(spec: knowledge.TypeSignals, sdks: Iterable[SdkPresence]) -> list[CategorySignal]:
    by_id = {w.term: w.weight for w in spec.sdks}
    by_category = {w.term: w.weight for w in spec.sdk_categories}
    signals = []
    for sdk in sdks:
        name = sdk.name_zh or sdk.name
        detected = "; ".join(sdk.signals[:2]) or "detected"
        if sdk.sdk_id in by_id:
            weight, text = by_id[sdk.sdk_id], f"SDK {sdk.sdk_id} ({sdk.category}): {name}"
        elif sdk.category in by_category:
            weight = by_category[sdk.category]
            text = f"SDK {sdk.sdk_id} of category {sdk.category}: {name}"
        else:
            continue
        signals.append(
            CategorySignal(
                kind="sdk", text=text, weight=weight, source=f"SDK detection: {detected}"
            )
        )
    return signals


def _permission_signals(
    spec: knowledge.TypeSignals, permissions: Iterable[Permission]
) -> list[CategorySignal]:
    wanted = {w.term: w.weight for w in spec.permissions}
    seen: set[str] = set()
    signals = []
    for perm in permissions:
        if perm.name in wanted and perm.name not in seen:
            seen.add(perm.name)
            signals.append(
                CategorySignal(
                    kind="permission",
                    text=f"permission {perm.name}",
                    weight=wanted[perm.name],
                    source=perm.source,
                )
            )
    return signals


def _component_signals(
    spec: knowledge.TypeSignals, components: Iterable[Component]
) -> list[CategorySignal]:
    declared: dict[str, list[Component]] = {}
    for comp in components:
        for term in (*comp.actions, *comp.categories):
            declared.setdefault(term, []).append(comp)
    signals = []
    for entry in spec.components:
        comps = declared.get(entry.term)
        if not comps:
            continue
        more = f" (and {len(comps) - 1} more)" if len(comps) > 1 else ""
        signals.append(
            CategorySignal(
                kind="component",
                text=f"{comps[0].kind} {comps[0].name} declares {entry.term}{more}",
                weight=entry.weight,
                source=comps[0].source,
            )
        )
    return signals


def _score(signals: list[CategorySignal], caps: dict[str, float]) -> float:
    total = 0.0
    for kind in _KIND_ORDER:
        total += min(sum(s.weight for s in signals if s.kind == kind), caps[kind])
    return round(total, 2)


def _ordered(signals: list[CategorySignal]) -> tuple[CategorySignal, ...]:
    return tuple(sorted(signals, key=lambda s: (-s.weight, _KIND_ORDER.index(s.kind), s.text)))


def propose_category(
    app: AppInfo | None,
    components: Iterable[Component],
    sdks: Iterable[SdkPresence],
    permissions: Iterable[Permission],
    policy: PolicyEvidence | None,
) -> CategoryProposal | None:
    """The most likely of the 39 app types, its confidence and the signals behind it; None when
    no signal points to any type. See the module docstring for the formula."""
    scoring = knowledge.app_type_signals()
    categories = knowledge.app_categories()
    components, sdks, permissions = tuple(components), tuple(sdks), tuple(permissions)
    places = _places(app, policy, scoring.weights)
    body = lower = location = ""
    if policy is not None:
        body = _policy_body(policy)
        lower = body.lower()
        location = policy.location
    found: dict[str, list[CategorySignal]] = {}
    for type_id, spec in scoring.types.items():
        signals = _name_signals(spec, places)
        if policy is not None:
            signals += _policy_signals(spec, body, lower, location, scoring.policy_text_min_count)
        signals += _sdk_signals(spec, sdks)
        signals += _permission_signals(spec, permissions)
        signals += _component_signals(spec, components)
        found[type_id] = signals
    scores = {t: _score(found.get(t, []), scoring.caps) for t in categories}
    ranked = sorted(categories, key=lambda t: (-scores[t], categories[t].number))
    best = ranked[0]
    if scores[best] <= 0:
        return None
    top = scores[best]
    mass = sum(math.exp(s - top) for s in scores.values())

    def share(type_id: str) -> float:
        return round(math.exp(scores[type_id] - top) / mass, 2)

    second = ranked[1] if scores[ranked[1]] > 0 else None
    return CategoryProposal(
        category=best,
        confidence=share(best),
        threshold=scoring.threshold,
        score=top,
        signals=_ordered(found[best]),
        runner_up=second,
        runner_up_confidence=share(second) if second else 0.0,
        runner_up_score=scores[second] if second else 0.0,
        runner_up_signals=_ordered(found[second]) if second else (),
    )
