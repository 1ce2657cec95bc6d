"""Attribution by evidence (issue 19, point 1; point 3's confidence) on real class layouts.

The layouts in fixtures/sdk_layouts are derived (class names and reach edges, no code) from
real vendor builds on npm by tools/build_sdk_layouts.py: Baidu Location (BaiduLBS_Android.jar
and its .so), Alipay (alipaySdk-15.6.5 .aar, with UTDID), JPush 5.0.4 and JCore 3.2.2 (with
libjcore322.so). The APKs are the real ones of fixtures/apks.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

from conftest import APKS, CONSTRUCTED

from pica.analysis.apk import ApkAnalysis, analyse_apk
from pica.analysis.attribution import (
    APP_PACKAGE,
    JNI,
    PREFIX,
    REACH,
    UNATTRIBUTED,
    Attributor,
    ClassLayout,
)
from pica.analysis.sdks import (
    app_packages,
    attribute_call_sites,
    detect_sdks,
    native_owner,
    sdk_for_class,
    strengthen,
)
from pica.audit import build_report, gather
from pica.evidence import HostRef, Party
from pica.extract.apk import ApkFacts, extract
from pica.extract.apk.classrefs import ClassRefs
from pica.extract.apk.native import jni_classes
from pica.knowledge.sdks import SdkEntry

LAYOUTS = Path(__file__).parent / "fixtures" / "sdk_layouts"


@cache
def _layout(name: str) -> ClassLayout:
    return ClassLayout.from_json(LAYOUTS / f"{name}.json")


def _attributor(
    layout: ClassLayout, without: str | None = None, roots=(), untracked: str = "\0"
) -> Attributor:
    """The catalog's rules over a layout; ``without``: as if the catalog listed no package
    tree for that SDK (as for the entries it knows only by their native libraries);
    ``untracked``: as if it did not list that one package tree (a tree a vendor adds in a
    later build, before the catalog knows it)."""

    def prefix(name: str) -> SdkEntry | None:
        if name.startswith(untracked):
            return None
        entry = sdk_for_class(name)
        return None if entry is not None and entry.id == without else entry

    return Attributor(layout, prefix, roots, native_owner, layout.jni_classes)


def _rule(a: Attributor, name: str) -> tuple[str, str | None]:
    found = a.owner(name)
    return found.rule, found.entry.id if found.entry else None


# -- a sub-package outside the catalog's trees, and an obfuscated package ---------------------


def test_a_vendor_sub_package_outside_the_catalog_trees_goes_to_the_sdk_by_reach() -> None:
    # JPush 5.0.4 ships ASUS's push client under cn.asus.push; its AIDL stubs are reached
    # only from cn.jpush.android classes. The catalog now lists the tree (prefix); were it
    # missing, as it was before the vendor builds were scored, reach finds it
    assert sdk_for_class("cn.asus.push.IAIDLInvoke$Stub").id == "jpush"
    a = _attributor(_layout("jpush"), untracked="cn.asus.push.")
    for name in ("cn.asus.push.IAIDLInvoke$Stub", "cn.asus.push.DataBuffer", "cn.asus.push.c"):
        assert _rule(a, name) == (REACH, "jpush")
    # nothing calls BuildConfig: reached from nobody, it stays unattributed
    assert _rule(a, "cn.asus.push.BuildConfig") == (UNATTRIBUTED, None)


def test_an_obfuscated_package_reached_only_from_the_sdk_goes_to_it_by_reach() -> None:
    layout = _layout("alipay")
    a = _attributor(layout)
    obfuscated = sorted(c for c in layout.calls if c.startswith("com.alipay.a.a."))
    assert len(obfuscated) == 12
    assert all(sdk_for_class(c) is None for c in obfuscated)
    # the only code outside the package that calls it is Ant's mPaaS RPC client (mrpc), which
    # the Alipay SDK carries: the obfuscated package is the RPC layer's, not Alipay's own
    callers = layout.callers(obfuscated)
    outside = {c for o in obfuscated for c in callers[o] if not c.startswith("com.alipay.a.a.")}
    assert outside and {sdk_for_class(c).id for c in outside} == {"ant_mpaas_rpc"}
    assert {_rule(a, c) for c in obfuscated} == {(REACH, "ant_mpaas_rpc")}
    # the vendor's fork of org.json under a foreign top-level package, likewise
    assert _rule(a, "org.json.alipay.b") == (REACH, "ant_mpaas_rpc")
    # the prefix rule still comes first
    assert _rule(a, "com.alipay.sdk.app.PayTask") == (PREFIX, "alipay_sdk")


def test_code_the_app_also_calls_is_not_reach_attributed() -> None:
    # the same obfuscated package, once an app class calls into it: no longer only the SDK's
    layout = _layout("alipay")
    app = ClassLayout({"com.example.shop.Checkout": frozenset({"com.alipay.a.a.e"})})
    a = _attributor(layout.merged(app), roots=("com.example.shop",))
    assert _rule(a, "com.example.shop.Checkout") == (APP_PACKAGE, None)
    assert _rule(a, "com.alipay.a.a.e") == (UNATTRIBUTED, None)


# -- JNI -----------------------------------------------------------------------------------


def test_a_jni_class_goes_to_the_sdk_of_its_native_library() -> None:
    # liblocSDK7b.so exports Java_com_baidu_location_Jni_*; with no package tree for Baidu
    # Location in the catalog, its JNI class still goes to it, through the library's name
    layout = _layout("baidu_location")
    assert layout.jni_classes["liblocSDK7b.so"] == frozenset({"com.baidu.location.Jni"})
    a = _attributor(layout, without="baidu_location")
    assert _rule(a, "com.baidu.location.Jni") == (JNI, "baidu_location")
    # JCore's Protocol declares native methods and loads "jcore322" (libjcore322.so: JCore's)
    a = _attributor(_layout("jcore"), without="jcore")
    assert _rule(a, "cn.jiguang.dy.Protocol") == (JNI, "jcore")


def test_a_jni_class_makes_a_medium_detection_strong() -> None:
    medium = {s.sdk_id: s for s in detect_sdks([], native_libs=["libjcore322.so"])}["jcore"]
    assert medium.confidence == "medium"
    a = _attributor(_layout("jcore"), without="jcore")
    strong = strengthen([medium], a.signals())[0]
    assert strong.confidence == "strong"
    assert "code: 1 class by jni" in strong.signals


def test_jni_names_are_unmangled() -> None:
    # the JNI mangling of the specification: "_1" is "_", "_00024" is "$", "__" ends the name
    data = (
        b"\x00Java_com_vendor_a_1b_Native_00024Inner_init__Ljava_lang_String_2\x00"
        b"Java_cn_jiguang_dy_Protocol_GetVersion\x00com/vendor/reg/Loader\x00/system/lib\x00"
    )
    assert jni_classes(data) == {
        "com.vendor.a_b.Native$Inner",
        "cn.jiguang.dy.Protocol",
        "com.vendor.reg.Loader",
    }


# -- a shared library, an open-source library --------------------------------------------


def test_a_library_shared_by_two_sdks_goes_to_neither() -> None:
    # Baidu's CUID helper (com.baidu.android.bbalbs) is called by Baidu Location and by Baidu's
    # LBS auth classes. The catalog lists it as a shared library of its own (prefix); were the
    # tree unknown, reached from two SDKs it would be neither's
    cuid_class = "com.baidu.android.bbalbs.common.util.CommonParam"
    assert sdk_for_class(cuid_class).id == "baidu_lbs_common"
    layout = _layout("baidu_location")
    a = _attributor(layout, untracked="com.baidu.android.bbalbs.")
    callers = layout.callers([cuid_class])[cuid_class]
    owners = {sdk_for_class(c).id for c in callers if not c.startswith("com.baidu.android.bbalbs.")}
    assert owners == {"baidu_location", "baidu_lbs_common"}
    cuid = [c for c in layout.calls if c.startswith("com.baidu.android.bbalbs.")]
    assert cuid and {_rule(a, c) for c in cuid} == {(UNATTRIBUTED, None)}


def test_a_catalog_entry_of_a_shared_library_outranks_reach() -> None:
    # UTDID in the Alipay build is reached from Alipay code only, so reach alone would give it
    # to Alipay: its own catalog entry (prefix, checked first) keeps it apart
    a = _attributor(_layout("alipay"))
    assert a.owner("com.ta.utdid2.device.UTDevice") == a.owner("com.ta.utdid2.device.c")
    assert _rule(a, "com.ta.utdid2.device.UTDevice") == (PREFIX, "utdid")
    assert sdk_for_class("com.ta.utdid2.device.UTDevice").category == "shared_library"


@cache
def _analysis(path: Path) -> ApkAnalysis:
    return analyse_apk(extract(path), reachability=False)


def test_an_open_source_library_acts_for_the_app() -> None:
    # ApiDemos' Jetpack code reads the IMEI (TelephonyManagerCompat) and location: library
    # call sites, first party, never a detected SDK
    result = _analysis(APKS / "ApiDemos-debug.apk")
    lib = [u for u in result.api_uses if u.library]
    assert {u.library for u in lib} >= {"jetpack_core"}
    assert all(u.party == Party.FIRST and u.sdk is None for u in lib)
    assert not any(s.category == "library" for s in result.sdks)
    # androidx.emoji2 is in no catalog tree; reached from the app and from libraries, it is
    # nobody's by reach: unattributed, not a third party
    emoji = [u for u in result.api_uses if u.caller_class.startswith("androidx.emoji2.")]
    assert emoji and all(u.attributed_by == UNATTRIBUTED and u.sdk is None for u in emoji)


def test_a_domain_string_alone_is_a_weak_detection_never_counted() -> None:
    facts = extract(APKS / "ApiDemos-debug.apk")
    hosts = (*facts.hosts, HostRef("alog.umeng.com", "https://alog.umeng.com/app_logs", "t"))
    facts = dataclasses.replace(facts, hosts=hosts)
    result = analyse_apk(facts, reachability=False)
    assert "umeng_analytics" in {s.sdk_id for s in result.weak_sdks}
    assert "umeng_analytics" not in {s.sdk_id for s in result.sdks}  # what 2.1/5.1 read
    assert all(s.confidence == "weak" for s in result.weak_sdks)


# -- the APK reader and the figures on main ------------------------------------------------


def test_callers_found_by_the_scan_match_the_decoded_callees() -> None:
    facts = extract(APKS / "InsecureBank.apk")
    refs = ClassRefs(facts.dexes)
    names = [n for n in refs.names()]
    callers = refs.callers(names)
    edges = {(c, d) for c in names for d in refs.callees(c) if refs.defined(d)}
    assert edges and edges == {(c, d) for d, cs in callers.items() for c in cs}


def _main_rules(facts: ApkFacts):
    """What main attributed: prefix, then the app's packages, else unattributed."""
    own = app_packages(
        facts.app.package, facts.manifest.application_class, [c.name for c in facts.components]
    )
    return attribute_call_sites(facts.api_uses, lambda n: sdk_for_class(n, facts.app.package), own)


def test_every_call_site_attributed_on_main_keeps_its_party() -> None:
    paths = [APKS / n for n in ("ApiDemos-debug.apk", "settings_apk-debug.apk", "InsecureBank.apk")]
    paths += sorted(CONSTRUCTED.glob("*.apk"))
    compared = 0
    for path in paths:
        facts = extract(path)
        now = {(u.offset, u.dex): u for u in analyse_apk(facts, reachability=False).api_uses}
        for before in _main_rules(facts):
            after = now[(before.offset, before.dex)]
            if before.attributed_by != UNATTRIBUTED:
                compared += 1
                assert (after.party, after.sdk, after.library, after.attributed_by) == (
                    before.party, before.sdk, before.library, before.attributed_by
                ), (path.name, before.caller_class)  # fmt: skip
            else:
                assert after.attributed_by in (UNATTRIBUTED, JNI, REACH)
    assert compared > 100


def test_the_report_says_when_evidence_attributed_a_site() -> None:
    evidence = gather(CONSTRUCTED / "gated.apk")
    first = evidence.api_uses[0]
    evidence.api_uses = (
        dataclasses.replace(first, attributed_by=REACH, sdk="jpush", party=Party.THIRD),
        *evidence.api_uses[1:],
    )
    report = build_report(evidence)
    sites = [
        s
        for by_party in (report.pi_by_party, report.present_unreached)
        for s in (by_party.get("jpush") or {}).get(first.pi_type, [])
    ]
    assert sites == [f"{first.caller} → {first.api} (attributed by reach)"]
