"""Everything derived from one APK's facts: its SDKs, whose code each call site is, and what
runs before any UI."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from pica.analysis.attribution import Attributor
from pica.analysis.packers import detect_packers, hidden_by_packers
from pica.analysis.reachability import app_reachable, class_descriptor, pre_ui_paths
from pica.analysis.sdks import (
    STRONG,
    WEAK,
    app_packages,
    attribute_call_sites,
    detect_sdks,
    native_owner,
    sdk_for_class,
    strengthen,
)
from pica.evidence import (
    ApiUse,
    HiddenCode,
    PackerPresence,
    Party,
    ReachablePath,
    SdkPresence,
)
from pica.extract.apk import ApkFacts
from pica.extract.apk.callgraph import CallGraph
from pica.extract.apk.classrefs import ClassRefs
from pica.knowledge.sdks import LIBRARY, SdkEntry

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ApkAnalysis:
    sdks: tuple[SdkPresence, ...]  # third-party SDKs: they collect or send data themselves
    libraries: tuple[SdkPresence, ...]  # open-source libraries: their code acts for the app
    api_uses: tuple[ApiUse, ...]  # the extractor's call sites: party, and reachable or not
    reachable: tuple[ReachablePath, ...] | None  # None: reachability not analysed
    # third-party SDKs detected weakly (a domain string alone, manifest entries whose classes
    # are absent): facts for the report, never counted as an SDK the app carries
    weak_sdks: tuple[SdkPresence, ...] = ()
    packers: tuple[PackerPresence, ...] = ()  # hardening services that packed the APK
    hidden_code: tuple[HiddenCode, ...] = ()  # code out of a static reader's sight


def _payload_party(
    uses: tuple[ApiUse, ...], facts: ApkFacts, owner: Callable[[str], SdkEntry | None]
) -> tuple[ApiUse, ...]:
    """Call sites in a loaded payload that no catalog prefix claims belong to the party whose
    code loads it, when that is one SDK (``attributed_by="loader"``)."""
    payload = set(facts.payload_dex)
    if not payload:
        return uses
    parties = {owner(use.caller_class) for use in facts.loaders}
    sdks = {p for p in parties if p is not None and not p.is_library}
    if len(sdks) != 1 or len(parties) != 1:
        return uses
    entry = sdks.pop()
    return tuple(
        dataclasses.replace(u, party=Party.THIRD, sdk=entry.id, attributed_by="loader")
        if u.dex in payload and u.sdk is None and u.library is None
        else u
        for u in uses
    )


def _native_party(uses: tuple[ApiUse, ...]) -> tuple[ApiUse, ...]:
    """A native library's PI reads that no JNI class attributes belong to the SDK whose
    catalog entry names the library (``attributed_by="native"``)."""
    out = []
    for u in uses:
        entry = native_owner(PurePosixPath(u.dex).name) if u.via == "native" and not u.sdk else None
        if entry is not None and not entry.is_library:
            u = dataclasses.replace(u, party=Party.THIRD, sdk=entry.id, attributed_by="native")
        out.append(u)
    return tuple(out)


def analyse_apk(
    facts: ApkFacts, *, reachability: bool = True, progress: Progress | None = None
) -> ApkAnalysis:
    step = progress or (lambda _msg: None)
    step("packers")
    packers = detect_packers(
        facts.manifest.application_class,
        facts.class_names,
        facts.native_libs,
        facts.asset_names,
        facts.app.file_name or "the APK",
    )
    step("third-party SDKs")
    detected = detect_sdks(
        facts.class_names,
        [c.name for c in facts.components] + [facts.manifest.application_class or ""],
        facts.native_libs,
        [h.host for h in facts.hosts],
        app_package=facts.app.package,
    )

    def owner(class_name: str) -> SdkEntry | None:
        return sdk_for_class(class_name, app_package=facts.app.package)

    own = app_packages(
        facts.app.package,
        facts.manifest.application_class,
        [c.name for c in facts.components] + list(facts.delegate_applications),
    )
    with_code = [s.sdk_id for s in detected if s.confidence == STRONG and s.category != LIBRARY]
    attributor = Attributor(
        ClassRefs(facts.dexes), owner, own, native_owner, facts.jni_classes, with_code
    )
    api_uses = attribute_call_sites(facts.api_uses, owner, own, attributor)
    api_uses = _payload_party(api_uses, facts, owner)
    api_uses = _native_party(api_uses)
    detected = strengthen(detected, attributor.signals())
    reachable = None
    if reachability:
        step("reachability from the app's entry points")
        live = app_reachable(facts, CallGraph(facts.dexes))
        payload = set(facts.payload_dex)
        api_uses = tuple(
            dataclasses.replace(
                u,
                # code loaded at run time is entered by reflection, which no edge shows:
                # whether it is reached stays unknown (None), never "unreached"
                reachable=None
                if u.dex in payload or u.via == "native"
                else (class_descriptor(u.caller_class), u.caller_method) in live,
            )
            for u in api_uses
        )
        step("pre-consent reachability")
        reachable = tuple(
            pre_ui_paths(facts, api_uses, lambda name: owner(name) or attributor.decided(name))
        )
    return ApkAnalysis(
        sdks=tuple(s for s in detected if s.category != LIBRARY and s.confidence != WEAK),
        libraries=tuple(s for s in detected if s.category == LIBRARY),
        api_uses=api_uses,
        reachable=reachable,
        weak_sdks=tuple(s for s in detected if s.category != LIBRARY and s.confidence == WEAK),
        packers=packers,
        hidden_code=hidden_by_packers(packers) + facts.hidden,
    )
