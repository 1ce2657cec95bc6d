"""Everything derived from one APK's facts: its SDKs, whose code each call site is, and what
runs before any UI."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

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
from pica.evidence import ApiUse, HiddenCode, PackerPresence, ReachablePath, SdkPresence
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
    detected = strengthen(detected, attributor.signals())
    reachable = None
    if reachability:
        step("reachability from the app's entry points")
        live = app_reachable(facts, CallGraph(facts.dexes))
        api_uses = tuple(
            dataclasses.replace(
                u, reachable=(class_descriptor(u.caller_class), u.caller_method) in live
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
