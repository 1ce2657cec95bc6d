"""Data quality of the SDK catalog (src/pica/knowledge/data/sdk_catalog.json)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from pica.knowledge.sdks import SdkEntry, catalog, catalog_by_id

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("/work/shared")

PI_TYPES = set(
    "imei meid imsi iccid android_id mac_address serial_number oaid advertising_id "
    "location_precise location_coarse wifi_info bluetooth_info cell_info contacts sms call_log "
    "calendar installed_apps running_processes clipboard camera microphone photos_media "
    "phone_number device_accounts id_number bank_card biometrics health sensors real_name email "
    "postal_address user_account transaction_records browsing_history".split()
)
CATEGORIES = {
    "push", "analytics", "ads", "maps_location", "payment", "social_login", "crash_reporting",
    "device_id", "risk_control", "im", "cdn_network", "webview", "utility", "library", "shared_library", "other",
}  # fmt: skip
SINGLE_SEGMENT_OK = {
    "kotlin.",
    "kotlinx.",
    "okhttp3.",
    "mtopsdk.",  # Alibaba MTOP (issue 19): the SDK's own root package
    "okio.",
    "retrofit2.",
    "dagger.",
    "butterknife.",
}
BROAD = {"com.google.", "com.android.", "com.tencent.", "com.alibaba.", "com.baidu.", "com.huawei.",
         "com.xiaomi.", "com.facebook.", "com.bytedance.", "com.alipay.", "android.", "androidx."}  # fmt: skip


def _raw() -> dict:
    text = resources.files("pica.knowledge").joinpath("data", "sdk_catalog.json").read_text("utf-8")
    return json.loads(text)


def test_counts():
    entries = catalog()
    assert len(entries) >= 600
    assert sum(1 for e in entries if e.chinese) >= 200
    raw = _raw()
    assert raw["count"] == len(entries)
    assert raw["count_chinese"] == sum(1 for e in entries if e.chinese)


def test_every_entry_has_a_source_and_a_signal():
    for e in catalog():
        assert e.sources, e.id
        assert all(
            re.fullmatch(r"(exodus:\d+|libchecker:.+|appscan:.+|pica:hand)", s) for s in e.sources
        ), e
        assert e.code_signatures or e.code_regex or e.components or e.native_libs or e.domains, e.id


def test_ids_unique_and_sorted_slugs():
    ids = [e.id for e in catalog()]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_]*", i) for i in ids)


def test_no_two_entries_share_a_code_signature_component_or_native_lib():
    for attr in ("code_signatures", "components", "native_libs", "domains"):
        seen: dict[str, str] = {}
        for e in catalog():
            for v in getattr(e, attr):
                assert v not in seen, f"{attr} {v} in {seen[v]} and {e.id}"
                seen[v] = e.id


def test_code_signatures_are_specific():
    for e in catalog():
        for sig in e.code_signatures:
            assert re.fullmatch(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*\.?", sig), sig
            assert sig not in BROAD, (e.id, sig)
            segments = sig.rstrip(".").split(".")
            assert len(segments) >= 2 or sig in SINGLE_SEGMENT_OK, (e.id, sig)
        for pattern in e.code_regex:
            re.compile(pattern)


def test_chinese_entries_have_a_chinese_name():
    for e in catalog():
        if e.chinese:
            assert e.name_zh and re.search(r"[\u3400-\u9fff]", e.name_zh), e.id
        assert e.name_en and e.vendor, e.id


def test_categories_and_pi_types_are_known():
    known = PI_TYPES
    try:  # once the taxonomy file exists it is the authority as well
        from pica.knowledge import taxonomy

        known = PI_TYPES & set(taxonomy())
    except (FileNotFoundError, OSError):
        pass
    for e in catalog():
        assert e.category in CATEGORIES, e.id
        assert set(e.pi_types) <= known, (e.id, set(e.pi_types) - known)


def test_hand_entries_are_in_the_catalog():
    text = (
        resources.files("pica.knowledge").joinpath("data", "sdk_catalog_cn.yaml").read_text("utf-8")
    )
    hand = yaml.safe_load(text)["entries"]
    by_id = catalog_by_id()
    assert len(hand) >= 50
    for h in hand:
        e = by_id[h["id"]]
        assert "pica:hand" in e.sources
        assert e.name_zh == h["name_zh"] and e.category == h["category"]
        assert set(e.pi_types) == set(h.get("pi_types") or [])
    for required in ("getui_push", "jpush", "umeng_analytics", "pangle", "tencent_gdt", "amap",
                     "bugly", "msa_oaid", "shumei", "tongdun", "wechat_opensdk", "alipay_sdk"):  # fmt: skip
        assert by_id[required].chinese


def test_catalog_entries_are_typed():
    e = catalog()[0]
    assert isinstance(e, SdkEntry)
    assert isinstance(e.code_signatures, tuple)


@pytest.mark.skipif(
    not (SHARED / "data" / "trackers").is_dir(), reason="shared tracker data absent"
)
def test_build_is_deterministic_and_matches_committed(tmp_path):
    out = tmp_path / "sdk_catalog.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_sdk_catalog.py"),
            "--shared",
            str(SHARED),
            "--out",
            str(out),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    committed = resources.files("pica.knowledge").joinpath("data", "sdk_catalog.json").read_bytes()
    assert out.read_bytes() == committed


# ------------------------------------------------------------------ the build tool's data files


def _tool():
    """tools/build_sdk_catalog.py as a module (it is a script, not part of the package)."""
    import importlib.util

    name = "build_sdk_catalog"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "build_sdk_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_library_roots_come_from_the_data_file(tmp_path):
    tool = _tool()
    doc = yaml.safe_load((ROOT / "src/pica/knowledge/data/libraries.yaml").read_text("utf-8"))
    roots = tool.load_library_roots(tool.LIBRARIES_FILE)
    assert roots == tuple(r["prefix"] for r in doc["roots"])
    assert all(r["library"] and r["licence"] for r in doc["roots"])
    assert not hasattr(tool, "LIBRARY_ROOTS")  # no second, literal list in the tool

    okhttp3 = catalog_by_id()["okhttp3"]
    entry = {"category": "cdn_network", "_category_guessed": True, "sources": list(okhttp3.sources),
             "code_signatures": list(okhttp3.code_signatures), "components": list(okhttp3.components)}  # fmt: skip
    assert okhttp3.category == "library" and tool.is_library(entry, roots)
    # Take okhttp3's root out of the data: the same entry is no longer a library.
    doc["roots"] = [r for r in doc["roots"] if r["prefix"] != "okhttp3."]
    edited = tmp_path / "libraries.yaml"
    edited.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert not tool.is_library(entry, tool.load_library_roots(edited))
    # An explicit category (hand entry, override, Exodus) is never replaced by "library".
    assert not tool.is_library({**entry, "_category_guessed": False}, roots)
    # A hand entry is never turned into a library, whatever its signatures.
    assert not tool.is_library({**entry, "sources": ["pica:hand"]}, roots)


def test_library_entries_lie_under_library_roots():
    roots = _tool().load_library_roots(_tool().LIBRARIES_FILE)
    libraries = [e for e in catalog() if e.category == "library"]
    assert len(libraries) >= 70
    for e in libraries:
        names = [*e.code_signatures, *e.components]
        assert names and all(n.startswith(roots) for n in names), e.id


# ------------------------------------------------------------------ aliases


def _key(alias: str) -> str:
    """How aliases are compared: NFKC, case-folded, without spaces (as the build tool does)."""
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", alias).casefold())


def _alias_index() -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for e in catalog():
        for a in e.aliases:
            index.setdefault(_key(a), set()).add(e.id)
    return index


def _alias_data() -> dict:
    return yaml.safe_load((ROOT / "src/pica/knowledge/data/sdk_aliases.yaml").read_text("utf-8"))


# alias as a privacy policy writes it -> the catalog entry (or entries, for a reviewed shared alias)
ALIAS_TABLE = [
    ("友盟", "umeng_analytics"), ("Umeng", "umeng_analytics"), ("UMeng+", "umeng_analytics"),
    ("友盟+", "umeng_analytics"), ("友盟统计", "umeng_analytics"),
    ("极光", "jpush"), ("JPush", "jpush"), ("JIGUANG", "jpush"), ("极光推送", "jpush"),
    ("个推", "getui_push"), ("Getui", "getui_push"), ("GeTui", "getui_push"),
    ("腾讯Bugly", "bugly"), ("腾讯 Bugly", "bugly"), ("Bugly", "bugly"),
    ("穿山甲", "pangle"), ("Pangle", "pangle"), ("CSJ", "pangle"),
    ("广点通", "tencent_gdt"), ("优量汇", "tencent_gdt"), ("GDT", "tencent_gdt"),
    ("高德", "amap"), ("AMap", "amap"), ("Autonavi", "amap"), ("高德地图", "amap"),
    ("百度地图", "baidu_map"), ("Baidu Map", "baidu_map"),
    ("华为推送", "huawei_push"), ("HMS Push", "huawei_push"), ("Huawei Push Kit", "huawei_push"),
    ("小米推送", "xiaomi_push"), ("MiPush", "xiaomi_push"),
    ("OPPO推送", "oppo_push"), ("HeyTap Push", "oppo_push"), ("vivo推送", "vivo_push"),
    ("魅族推送", "meizu_push"), ("Flyme Push", "meizu_push"),
    ("移动安全联盟", "msa_oaid"), ("MSA", "msa_oaid"), ("OAID SDK", "msa_oaid"),
    ("数美", "shumei"), ("Shumei", "shumei"), ("同盾", "tongdun"), ("Tongdun", "tongdun"),
    ("支付宝", "alipay_sdk"), ("Alipay", "alipay_sdk"),
    ("微信支付", "wechat_opensdk"), ("WeChat Pay", "wechat_opensdk"),
    ("微信开放平台", "wechat_opensdk"), ("WeChat OpenSDK", "wechat_opensdk"),
    ("银联", "unionpay_sdk"), ("UnionPay", "unionpay_sdk"),
    ("新浪微博", "weibo_sdk"), ("Weibo", "weibo_sdk"),
    ("QQ互联", "qq_connect"), ("Tencent QQ", "qq_connect"), ("QQ登录", "qq_connect"),
    ("神策", "sensors_data"), ("Sensors Data", "sensors_data"), ("GrowingIO", "growingio"),
    ("TalkingData", "talkingdata"), ("友盟分享", "umeng_share"), ("Umeng Share", "umeng_share"),
    ("Mob", "mobtech_sharesdk"), ("ShareSDK", "mobtech_sharesdk"), ("MobTech", "mobtech_sharesdk"),
    ("融云", "rongcloud"), ("RongCloud", "rongcloud"), ("环信", "easemob"), ("Easemob", "easemob"),
    ("网易云信", ("netease_im", "sdk_rtssdk")), ("NIM", "netease_im"),
    ("声网", "agora"), ("Agora", "agora"), ("七牛", "qiniu_resource"), ("Qiniu", "qiniu_resource"),
    ("阿里云OSS", "aliyun_oss"), ("腾讯X5", "tencent_x5"), ("TBS", "tencent_x5"),
    ("腾讯地图", "tencent_location"), ("百度定位", "baidu_location"),
    ("讯飞", "iflytek_msc"), ("iFlytek", "iflytek_msc"),
    ("极验", "geetest"), ("GeeTest", "geetest"),
    ("信鸽", "tencent_tpns"), ("Crashlytics", "firebase_crashlytics"),
]  # fmt: skip

# Vendor brands shared by many SDKs and generic words: no entry may answer to them.
NOT_ALIASES = ["腾讯", "Tencent", "阿里", "阿里巴巴", "Alibaba", "阿里云", "百度", "Baidu", "华为",
               "Huawei", "小米", "字节跳动", "网易", "京东", "SDK", "推送", "Push", "统计", "广告",
               "支付", "地图", "定位", "开放平台", "人脸识别", "OAID", "IMEI"]  # fmt: skip


def test_every_chinese_entry_has_an_alias():
    chinese = [e for e in catalog() if e.chinese]
    assert len(chinese) >= 398
    assert [e.id for e in chinese if not e.aliases] == []
    for e in catalog():
        assert isinstance(e.aliases, tuple)
        assert all(isinstance(a, str) and a and a == a.strip() for a in e.aliases), e.id


@pytest.mark.parametrize("alias, expected", ALIAS_TABLE, ids=[a for a, _ in ALIAS_TABLE])
def test_alias_resolves_to_its_entry(alias, expected):
    expected_ids = {expected} if isinstance(expected, str) else set(expected)
    assert _alias_index().get(_key(alias)) == expected_ids


def test_alias_table_is_big_enough_and_brands_are_no_aliases():
    assert len(ALIAS_TABLE) >= 30
    index = _alias_index()
    assert [w for w in NOT_ALIASES if _key(w) in index] == []


def test_no_alias_belongs_to_two_entries_outside_the_reviewed_list():
    shared = {_key(s["alias"]): set(s["ids"]) for s in _alias_data()["shared_aliases"]}
    for s in _alias_data()["shared_aliases"]:
        assert len(s["ids"]) >= 2 and s["reason"], s
    index = _alias_index()
    for key, ids in index.items():
        if len(ids) > 1:
            assert shared.get(key) == ids, (key, sorted(ids))
    for key, ids in shared.items():  # the reviewed list holds no stale item
        assert index.get(key) == ids, key


def test_no_alias_is_generic_or_a_bare_brand():
    data = _alias_data()
    generic = {_key(w) for w in data["generic_words"]}
    never_alone = {_key(w) for w in data["vendor_brands"] + data["data_words"]}
    for e in catalog():
        for a in e.aliases:
            words = [_key(w) for w in re.findall(r"[\u3400-\u9fff]+|[^\s\u3400-\u9fff]+", a)
                     if re.search(r"\w", w)]  # fmt: skip
            assert not all(w in generic for w in words), (e.id, a)
            assert _key(a) not in never_alone, (e.id, a)


def test_reviewed_aliases_reach_the_catalog():
    by_id = catalog_by_id()
    hand = yaml.safe_load(
        (ROOT / "src/pica/knowledge/data/sdk_catalog_cn.yaml").read_text("utf-8")
    )["entries"]
    reviewed = {h["id"]: h["aliases"] for h in hand} | dict(_alias_data()["aliases"])
    for eid, aliases in reviewed.items():
        keys = {_key(a) for a in by_id[eid].aliases}
        assert {_key(a) for a in aliases or []} <= keys, eid
    # Every Chinese entry was reviewed: in the hand file or in sdk_aliases.yaml's aliases.
    assert {e.id for e in catalog() if e.chinese} <= set(reviewed)


def test_alias_check_and_derivation():
    tool = _tool()
    data = tool.load_aliases(tool.ALIASES_FILE, {})
    entries = [
        {"id": "a", "chinese": True, "sources": ["pica:hand"], "aliases": ["极光", "Ji Guang"]},
        {"id": "b", "chinese": True, "sources": ["pica:hand"], "aliases": ["JIGUANG"]},
        {"id": "c", "chinese": True, "sources": ["pica:hand"], "aliases": []},
    ]
    errors = "\n".join(tool.check_aliases(entries, data))
    # "Ji Guang" and "JIGUANG" are one alias; two entries may not both hold it.
    assert "alias 'jiguang' of ['a', 'b'] is not in the shared-alias list" in errors
    assert "c: Chinese entry without an alias" in errors
    entries[0]["aliases"] = ["极光"]
    assert "jiguang" not in "\n".join(tool.check_aliases(entries, data))
    entries[0]["aliases"] = ["腾讯"]
    entries[1]["aliases"] = ["推送 SDK"]
    errors = "\n".join(tool.check_aliases(entries, data))
    assert "alias '腾讯' is a vendor brand" in errors and "'推送 SDK' is generic" in errors

    vendors = ["字节跳动", "ByteDance"]
    entry = {"name_en": "BHook", "name_zh": "字节跳动 BHook", "chinese": True}
    assert {a for a, _ in tool.alias_candidates(entry, data, vendors)} >= {
        "BHook",
        "字节跳动 BHook",
    }
    cut = {"name_en": "Tencent Reading", "name_zh": "腾讯阅读", "chinese": True}
    assert "阅读" not in {a for a, _ in tool.alias_candidates(cut, data, ["腾讯", "Tencent"])}
    assert tool.alias_rejected("Core AAID", False, data, frozenset()) is not None
    assert tool.alias_rejected("百度定位", False, data, frozenset()) is None


# ---------------------------------------------------------------- issue 19: product-level entries
# Class and library names below are real: read from the class listings of the vendor builds in
# benchmarks/vendor_sdks/recipe.yaml (npm tarballs with their sha256); names only, no code.
SHARED_LIBRARIES = {
    "utdid", "msa_oaid", "tinker", "jcore", "getui_gtc", "ant_mpaas_rpc", "baidu_lbs_common",
    "mobtech_mobsdk_common", "huawei_oaid", "alibaba_mtop",
}  # fmt: skip


def test_shared_libraries_are_their_own_entries() -> None:
    by_id = catalog_by_id()
    for sid in SHARED_LIBRARIES:
        assert by_id[sid].category == "shared_library", sid
        assert not by_id[sid].is_library, (
            sid
        )  # third-party code, not open source acting for the app
    # the consumer SDKs that ship them no longer claim their trees
    assert not {"com.ta.utdid2.", "com.ut.device."} & set(by_id["alipay_sdk"].code_signatures)
    assert "cn.jiguang." not in by_id["jpush"].code_signatures
    assert "com.mob." not in by_id["mobtech_sharesdk"].code_signatures
    # carried_by names consumer SDKs, and only shared libraries carry it
    for e in catalog():
        for carrier in e.carried_by:
            assert e.category == "shared_library", e.id
            assert by_id[carrier].category not in ("shared_library", "library"), (e.id, carrier)
    assert "alipay_sdk" in by_id["utdid"].carried_by and by_id["jcore"].carried_by == ("jpush",)


@pytest.mark.parametrize(
    ("class_name", "sdk_id"),
    [
        # alipaySdk-15.6.5-20190718211148.aar / alipaySdk-20160223.jar
        ("com.alipay.sdk.app.PayTask", "alipay_sdk"),
        ("com.ta.utdid2.device.UTDevice", "utdid"),
        ("com.ut.device.AidCallback", "utdid"),
        ("com.alipay.android.phone.mrpc.core.HttpUrlHeader", "ant_mpaas_rpc"),
        # jcore-android-3.3.2.jar / jpush-android-4.8.1.jar
        ("cn.jiguang.api.JDispatchAction", "jcore"),
        ("cn.jpush.android.service.PushService", "jcore"),  # JCore's class, JPush's package
        ("cn.jpush.android.api.JPushInterface", "jpush"),
        ("cn.jiguang.union.ads.api.JUnionAdApi", "jiguang_union_ads"),
        # gtc-3.2.18.0.jar / gtsdk-3.3.12.0.jar
        ("com.getui.gtc.SdkLoader", "getui_gtc"),
        ("com.igexin.base.api.SharedPreferencesManager", "getui_gtc"),
        ("com.igexin.push.GtPushInterface$Stub", "getui_gtc"),
        ("com.igexin.sdk.PushManager", "getui_push"),
        # BaiduLBS_Android.jar
        ("com.baidu.location.LocationClient", "baidu_location"),
        ("com.baidu.android.bbalbs.common.util.CommonParam", "baidu_lbs_common"),
        ("com.baidu.lbsapi.auth.LBSAuthManager", "baidu_lbs_common"),
        # open_sdk_r5793.jar: obfuscated location helpers inside QQ Connect, not Tencent Location
        ("com.tencent.map.b.d", "qq_connect"),
        ("com.tencent.map.geolocation.TencentLocationManager", "tencent_location"),
        ("com.tencent.stat.StatService", "tencent_mta"),
        # openDefault-4.3.6.aar
        ("com.sina.deviceidjnisdk.DeviceInfo", "weibo_sdk"),
        # umeng-analytics-v5.6.7.jar: the obfuscated core
        ("u.aly.bt", "umeng_analytics"),
        ("com.umeng.analytics.MobclickAgent", "umeng_analytics"),
        # MiPush_SDK_Client_3_0_3.jar
        ("com.xiaomi.network.HostManager", "xiaomi_push"),
        ("com.xiaomi.channel.commonutils.android.b", "xiaomi_push"),
        # AMap3DMap_5.7.0_AMapNavi_5.6.0_AMapLocation_3.7.0 + Msc.jar
        ("com.alibaba.idst.nls.NlsClient", "alibaba_nls"),
        ("com.iflytek.cloud.SpeechUtility", "iflytek_msc"),
        # products the issue names that no recipe build holds (vendors' documented packages)
        ("com.huawei.hms.ads.identifier.AdvertisingIdClient", "huawei_oaid"),
        ("com.huawei.hms.push.HmsMessageService", "huawei_push"),
        ("com.bun.miitmdid.core.MdidSdkHelper", "msa_oaid"),
        ("com.tencent.tinker.lib.tinker.Tinker", "tinker"),
        ("cn.smssdk.SMSSDK", "mobtech_smssdk"),
        ("com.mob.MobSDK", "mobtech_mobsdk_common"),
        ("cn.sharesdk.framework.ShareSDK", "mobtech_sharesdk"),
        ("com.tapsdk.antiaddiction.settings.AntiAddictionSettings", "tapsdk_antiaddiction"),
        ("com.tapsdk.antiaddictionui.AntiAddictionUIKit", "tapsdk_antiaddiction"),
        ("com.UCMobile.PayPlugin.a", "unionpay_sdk"),
        ("cn.gov.pbc.tsm.client.mobile.android.bank.service.IUPJniInterface", "unionpay_sdk"),
        ("mtopsdk.mtop.intf.Mtop", "alibaba_mtop"),
        # play-services-basement's exception classes (io.appium.settings), not Firebase's
        ("com.google.firebase.FirebaseException", "google_play_services"),
        ("com.google.firebase.messaging.FirebaseMessaging", "firebase"),
    ],
)
def test_vendor_classes_belong_to_their_product(class_name: str, sdk_id: str) -> None:
    from pica.analysis.sdks import sdk_for_class

    entry = sdk_for_class(class_name)
    assert entry is not None and entry.id == sdk_id, (class_name, entry and entry.id)


@pytest.mark.parametrize(
    ("lib", "sdk_id"),
    [
        ("libjcore332.so", "jcore"),
        ("libindoor.so", "baidu_location"),
        ("liblocSDK7b.so", "baidu_location"),
        ("libmsc.so", "iflytek_msc"),
        ("libztcodec2.so", "alibaba_nls"),
        ("libGNaviMap.so", "amap"),
        ("librtbt800.so", "amap"),
        ("libweibosdkcore.so", "weibo_sdk"),
    ],
)
def test_vendor_native_libraries_belong_to_their_product(lib: str, sdk_id: str) -> None:
    from pica.analysis.sdks import detect_sdks

    (found,) = detect_sdks([], native_libs=[f"lib/armeabi-v7a/{lib}"])
    assert found.sdk_id == sdk_id and found.confidence == "medium"


def test_utdid_alone_is_no_alipay_detection() -> None:
    """The false Alipay detection of issue 19: UTDID, which several Alibaba SDKs ship, named as
    the Alipay SDK. Alone it is UTDID; inside the Alipay SDK's layout, both are named."""
    from pica.analysis.sdks import detect_sdks

    utdid = ["com.ta.utdid2.device.UTDevice", "com.ut.device.AidCallback"]
    assert [s.sdk_id for s in detect_sdks(utdid)] == ["utdid"]
    alipay = [
        *utdid,
        "com.alipay.sdk.app.PayTask",
        "com.alipay.android.phone.mrpc.core.HttpUrlHeader",
    ]
    assert [s.sdk_id for s in detect_sdks(alipay)] == ["alipay_sdk", "ant_mpaas_rpc", "utdid"]


def test_vendor_recipe_labels_are_catalog_ids() -> None:
    """The attribution score's ground truth (benchmarks/vendor_sdks) names catalog ids, so a
    renamed or merged entry cannot silently turn its figures into misses; every tarball is
    pinned by npm's integrity and shasum and our sha256."""
    here = ROOT / "benchmarks" / "vendor_sdks"
    by_id = catalog_by_id()
    recipe = yaml.safe_load((here / "recipe.yaml").read_text("utf-8"))
    labels = set()
    for host in recipe["hosts"]:
        for spec in host["plugins"]:
            assert re.fullmatch(r"(@[\w.-]+/)?[\w.-]+@\d[\w.+-]*", spec["npm"]), spec["npm"]
            assert re.fullmatch(r"[0-9a-f]{64}", spec["sha256"]), spec["npm"]
            assert re.fullmatch(r"[0-9a-f]{40}", spec["shasum"]), spec["npm"]
            assert spec["integrity"].startswith("sha512-"), spec["npm"]
            for f in spec["files"]:
                labels.add(f["sdk"])
                labels.update(v for v in (f.get("parts") or {}).values() if v != "library")
    real = yaml.safe_load((here / "real_apks.yaml").read_text("utf-8"))["apks"]
    labels.update(sdk for trees in real.values() for sdk in trees.values())
    assert labels <= set(by_id), sorted(labels - set(by_id))
    assert not any(by_id[s].is_library for s in labels)
    assert len(labels) >= 10  # distinct vendor SDKs the score covers
