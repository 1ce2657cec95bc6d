"""Confidence of SDK detections (issue 19, point 3), on the class layouts of real fixture APKs.

strong: the SDK's code is in the package; medium: a native library of it (or a manifest
component whose class is present); weak: a domain string alone, or manifest entries whose classes
are absent. Weak detections are listed in the report's sdks with their confidence, and never
counted as an SDK the app carries (evidence.sdks, read by 2.1/5.1 and the policy comparison).
"""

from __future__ import annotations

import dataclasses
from functools import cache

from conftest import CONSTRUCTED

from pica.analysis.apk import analyse_apk
from pica.analysis.sdks import detect_sdks, sdk_for_class
from pica.audit import build_report
from pica.evidence import Evidence, HostRef
from pica.extract.apk import ApkFacts, extract
from pica.knowledge.sdks import LIBRARY


@cache
def _facts(name: str) -> ApkFacts:
    return extract(CONSTRUCTED / name)


def _detect(facts: ApkFacts, components=(), native=(), hosts=()):
    found = detect_sdks(
        facts.class_names,
        [c.name for c in facts.components] + list(components),
        list(facts.native_libs) + list(native),
        [h.host for h in facts.hosts] + list(hosts),
        app_package=facts.app.package,
    )
    return {s.sdk_id: s for s in found}


def test_code_in_the_package_is_strong() -> None:
    # preconsent.apk defines com.umeng.commonsdk.UMConfigure and cn.fakepush.sdk.* classes
    found = _detect(_facts("preconsent.apk"))
    umeng = [s for s in found.values() if any("com.umeng" in g for g in s.signals)]
    assert umeng and all(s.confidence == "strong" for s in umeng)


def test_a_domain_string_alone_is_weak() -> None:
    found = _detect(_facts("clean.apk"), hosts=["https://alog.umeng.com/app_logs"])
    assert found["umeng_analytics"].confidence == "weak"
    assert found["umeng_analytics"].signals == ("domain: alog.umeng.com",)


def test_a_manifest_component_whose_class_is_absent_is_weak() -> None:
    facts = _facts("clean.apk")
    assert "com.tencent.bugly.beta.ui.BetaActivity" not in facts.class_names
    found = _detect(facts, components=["com.tencent.bugly.beta.ui.BetaActivity"])
    assert found["bugly"].confidence == "weak"
    assert found["bugly"].signals == (
        "component: com.tencent.bugly.beta.ui.BetaActivity (class absent)",
    )


def test_a_native_library_with_the_apps_classes_is_medium() -> None:
    facts = _facts("clean.apk")
    assert facts.class_names  # the app's own classes; none of JCore's
    found = _detect(facts, native=["lib/arm64-v8a/libjcore220.so"])
    assert found["jcore"].confidence == "medium"
    # with a domain as well it stays medium; with its code it is strong
    found = _detect(facts, native=["lib/arm64-v8a/libjcore220.so"], hosts=["jpush.cn"])
    assert found["jcore"].confidence == "medium"
    found = detect_sdks(
        [*facts.class_names, "cn.jiguang.api.JCoreInterface"],
        native_libs=["lib/arm64-v8a/libjcore220.so"],
        app_package=facts.app.package,
    )
    assert {s.sdk_id: s.confidence for s in found}["jcore"] == "strong"


def test_open_source_libraries_are_never_third_parties() -> None:
    for cls in (
        "okhttp3.OkHttpClient",
        "com.google.zxing.MultiFormatReader",
        "com.android.volley.RequestQueue",
        "com.squareup.leakcanary.LeakCanary",
    ):
        entry = sdk_for_class(cls)
        assert entry is not None and entry.category == LIBRARY, cls
    # LeakCanary 2 is known by its manifest components: a library too, never in analysis.sdks
    facts = _facts("clean.apk")
    leak = "leakcanary.internal.activity.LeakActivity"
    found = _detect(facts, components=[leak])
    assert found["leakcanary"].category == LIBRARY
    derived = analyse_apk(dataclasses.replace(facts, class_names=(*facts.class_names, leak)))
    assert "leakcanary" not in {s.sdk_id for s in (*derived.sdks, *derived.weak_sdks)}


def _evidence(facts: ApkFacts) -> Evidence:
    derived = analyse_apk(facts)
    return Evidence(
        inputs={"apk": "x.apk"},
        app=facts.app,
        permissions=facts.permissions,
        components=facts.components,
        api_uses=derived.api_uses,
        hosts=facts.hosts,
        sdks=derived.sdks,
        weak_sdks=derived.weak_sdks,
        libraries=derived.libraries,
        reachable=derived.reachable,
    )


def test_weak_detections_are_listed_but_never_counted() -> None:
    facts = _facts("clean.apk")
    baseline = _evidence(facts)
    with_domain = dataclasses.replace(
        facts,
        hosts=(
            *facts.hosts,
            HostRef("alog.umeng.com", "https://alog.umeng.com/app_logs", "constructed test"),
        ),
    )
    derived = analyse_apk(with_domain)
    assert [s.sdk_id for s in derived.weak_sdks] == ["umeng_analytics"]
    assert "umeng_analytics" not in {s.sdk_id for s in derived.sdks}
    weak = _evidence(with_domain)
    report = build_report(weak)
    listed = {s["id"]: s for s in report.sdks}
    assert listed["umeng_analytics"]["confidence"] == "weak"
    assert all(s["confidence"] != "weak" for s in build_report(baseline).sdks)
    # the verdicts that count SDKs (2.1, 5.1 and the rest) are those without the weak one
    verdicts = {f.item_id: (f.verdict, f.reason) for f in build_report(baseline).findings}
    assert {f.item_id: (f.verdict, f.reason) for f in report.findings} == verdicts


def test_weak_detections_render(tmp_path) -> None:
    facts = _facts("clean.apk")
    with_domain = dataclasses.replace(
        facts, hosts=(HostRef("alog.umeng.com", "https://alog.umeng.com/x", "constructed test"),)
    )
    report = build_report(_evidence(with_domain))
    from pica.render.html import render_html
    from pica.render.markdown import render_markdown

    assert "weak: domain or manifest entry only" in render_markdown(report).decode()
    assert "weak: domain or manifest entry only" in render_html(report).decode()
